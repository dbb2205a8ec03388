"""torchvision-layout MobileNetV2 -> mmdet MobileNetV2: same keys, same function."""
import os.path as osp

import pytest
import torch
from mmdet.models.backbones import MobileNetV2
from torch import nn

from mmkd.models.converters import mobilenetv2_torchvision_to_mmdet


def conv_bn(inp, oup, k, s, groups=1, act=True):
    layers = [nn.Conv2d(inp, oup, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(oup)]
    return nn.Sequential(*layers, *([nn.ReLU6()] if act else []))


class TorchvisionBlock(nn.Module):
    """torchvision.models.mobilenetv2.InvertedResidual, with its module names."""

    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = inp * t
        layers = [conv_bn(inp, hidden, 1, 1)] if t != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
                   nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)
        self.use_res = stride == 1 and inp == oup

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class TorchvisionMobileNetV2(nn.Module):

    def __init__(self):
        super().__init__()
        feats = [conv_bn(3, 32, 3, 2)]
        inp = 32
        for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                           [6, 160, 3, 2], [6, 320, 1, 1]]:
            for i in range(n):
                feats.append(TorchvisionBlock(inp, c, s if i == 0 else 1, t))
                inp = c
        feats.append(conv_bn(inp, 1280, 1, 1))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        return self.features(x)


def randomize_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)


def test_converted_weights_compute_the_same_features():
    torch.manual_seed(0)
    src = TorchvisionMobileNetV2().eval()
    randomize_bn(src)
    converted = mobilenetv2_torchvision_to_mmdet(src.state_dict())
    dst = MobileNetV2(out_indices=(7, ))
    dst.eval()  # mmdet's train() returns None
    dst.load_state_dict(converted, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(dst(x)[0], src(x), atol=1e-5)


def test_unknown_key_is_rejected():
    with pytest.raises(KeyError, match='not a torchvision MobileNetV2 key'):
        mobilenetv2_torchvision_to_mmdet({'backbone.conv1.weight': torch.zeros(1)})


SHARED = osp.join(osp.dirname(__file__), '..', '..', '..', 'shared', 'weights', 'mobilenet_v2-b0353104.pth')


@pytest.mark.skipif(not osp.isfile(SHARED), reason='published weights not present')
def test_published_weights_load_strictly():
    state = torch.load(SHARED, map_location='cpu', weights_only=True)
    MobileNetV2(out_indices=(7, )).load_state_dict(mobilenetv2_torchvision_to_mmdet(state), strict=True)
