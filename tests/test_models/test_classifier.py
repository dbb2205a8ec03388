"""LinearHeadClassifier: the three modes, checkpoint key conversion, and the ImageNet backbones."""
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import BaseDataElement
from torch import nn

from mmkd.models.classifiers import LinearHeadClassifier
from mmkd.registry import MODELS

RESNET = dict(type='ResNet', out_indices=(3, ), norm_eval=False, style='pytorch')


def build(backbone: dict, num_classes: int = 10, **kwargs) -> LinearHeadClassifier:
    return MODELS.build(dict(type='LinearHeadClassifier', backbone=backbone, num_classes=num_classes, **kwargs))


def samples(labels):
    return [BaseDataElement(gt_label=torch.tensor([label])) for label in labels]


@pytest.fixture(scope='module')
def resnet8():
    torch.manual_seed(0)
    return build(dict(type='CifarResNet', arch='resnet8')).eval()


def test_tensor_mode(resnet8):
    x = torch.randn(3, 3, 32, 32)
    logits = resnet8(x)  # mode='tensor' is the default
    assert logits.shape == (3, 10)
    torch.testing.assert_close(logits, resnet8.fc(resnet8.extract_feat(x)))
    assert resnet8.extract_feat(x).shape == (3, resnet8.backbone.out_channels)


def test_loss_mode(resnet8):
    x, labels = torch.randn(4, 3, 32, 32), [1, 0, 9, 1]
    losses = resnet8(x, samples(labels), mode='loss')
    assert set(losses) == {'loss_cls'}
    torch.testing.assert_close(losses['loss_cls'], F.cross_entropy(resnet8(x), torch.tensor(labels)))
    losses['loss_cls'].backward()
    assert resnet8.fc.weight.grad is not None
    resnet8.zero_grad()


def test_predict_mode(resnet8):
    x = torch.randn(2, 3, 32, 32)
    out = resnet8(x, samples([4, 5]), mode='predict')
    logits = resnet8(x)
    assert len(out) == 2
    for i, sample in enumerate(out):
        torch.testing.assert_close(sample.pred_score, logits[i].softmax(0))
        assert sample.pred_label.tolist() == [int(logits[i].argmax())]
        assert sample.gt_label.tolist() == [[4, 5][i]]
    assert len(resnet8(x, None, mode='predict')) == 2  # no data samples: new ones
    with pytest.raises(RuntimeError, match='Invalid mode'):
        resnet8(x, mode='features')


def test_in_channels_from_the_backbone_or_required():
    assert build(dict(RESNET, depth=18)).fc.in_features == 512  # mmdet ResNet's feat_dim
    assert build(dict(RESNET, depth=50)).fc.in_features == 2048
    with pytest.raises(ValueError, match='set in_channels'):
        build(dict(type='MobileNetV2', out_indices=(7, )))  # mmdet's: declares neither
    assert build(dict(type='MobileNetV2', out_indices=(7, )), in_channels=1280).fc.in_features == 1280


def test_convert_state_dict_mapping():
    w = [torch.full((1, ), float(i)) for i in range(6)]
    state = OrderedDict([('conv1.weight', w[0]), ('layer1.0.bn1.running_mean', w[1]), ('linear.weight', w[2]),
                         ('linear.bias', w[3]), ('backbone.stem.weight', w[4]), ('fc.extra', w[5])])
    converted = LinearHeadClassifier.convert_state_dict(state, head_key='linear')
    assert list(converted) == ['backbone.conv1.weight', 'backbone.layer1.0.bn1.running_mean', 'fc.weight', 'fc.bias',
                               'backbone.stem.weight', 'fc.extra']  # keys already in the layout are kept
    assert all(converted[k] is v
               for k, v in zip(['backbone.conv1.weight', 'backbone.layer1.0.bn1.running_mean', 'fc.weight'], w))
    # dotted head keys (e.g. 'classifier.0') and the default 'fc'
    dotted = LinearHeadClassifier.convert_state_dict({'classifier.0.weight': w[0], 'classifier.1.x': w[1]},
                                                     'classifier.0')
    assert list(dotted) == ['fc.weight', 'backbone.classifier.1.x']
    assert list(LinearHeadClassifier.convert_state_dict({'fc.weight': w[0], 'fcx.weight': w[1]})) == \
        ['fc.weight', 'backbone.fcx.weight']


@pytest.mark.parametrize('backbone,in_channels', [(dict(type='MobileNetV1'), None),
                                                  (dict(RESNET, depth=18), 512)])
def test_imagenet_backbones_give_1000_logits(backbone, in_channels):
    model = build(backbone, num_classes=1000, in_channels=in_channels)
    model.init_weights()
    x = torch.randn(2, 3, 64, 64)
    assert model(x).shape == (2, 1000)
    assert model(x, samples([0, 999]), mode='loss')['loss_cls'].ndim == 0


# torchvision's resnet key names (torchvision/models/resnet.py: conv1, bn1, layerN.M.{conv,bn}K, downsample.{0,1})
TORCHVISION_KEYS = {
    18: ['conv1.weight', 'bn1.running_var', 'layer1.1.conv2.weight', 'layer2.0.downsample.0.weight',
         'layer2.0.downsample.1.num_batches_tracked', 'layer4.1.bn2.bias'],
    50: ['conv1.weight', 'layer1.0.conv3.weight', 'layer1.0.bn3.running_mean', 'layer1.0.downsample.0.weight',
         'layer3.5.bn2.weight', 'layer4.2.bn3.bias'],
}
# len(torchvision.models.resnetXX().state_dict()) is 122 / 320, minus fc.weight and fc.bias. ResNet-18: stem
# 1 + 5 (conv, BN) + 8 blocks x 12 + 3 downsamples x 6; ResNet-50: 6 + 16 blocks x 18 + 4 downsamples x 6.
NUM_TENSORS = {18: 120, 50: 318}


@pytest.mark.parametrize('depth', [18, 50])
def test_mmdet_resnet_has_torchvision_keys(depth):
    keys = list(MODELS.build(dict(RESNET, depth=depth)).state_dict())
    assert set(TORCHVISION_KEYS[depth]) <= set(keys)
    assert len(keys) == NUM_TENSORS[depth]


def test_torchvision_checkpoint_loads_into_the_imagenet_teacher(tmp_path):
    """configs/kd/kd_r34_r18_8xb64-100e_in1k.py loads a bare torchvision-layout state dict (as
    resnet34-b627a593.pth)."""
    cfg = Config.fromfile('configs/kd/kd_r34_r18_8xb64-100e_in1k.py')
    torch.manual_seed(0)
    ref = MODELS.build(cfg.model.teacher).eval()
    with torch.no_grad():
        for key, value in ref.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.rand_like(value) + 0.5 if 'running_var' in key else torch.randn_like(value) * 0.05)
    tv = OrderedDict((k[len('backbone.'):] if k.startswith('backbone.') else k, v) for k, v in ref.state_dict().items())
    assert 'fc.weight' in tv and 'conv1.weight' in tv and not any(k.startswith('backbone.') for k in tv)
    path = str(tmp_path / 'resnet34-b627a593.pth')
    torch.save(tv, path)
    cfg.model.teacher_ckpt = path
    distiller = MODELS.build(cfg.model)
    distiller.load_teacher()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(distiller.teacher(x), ref(x), rtol=0, atol=0)
    assert isinstance(distiller.student.backbone, nn.Module) and distiller.student.backbone.depth == 18
