# Copyright (c) mmkd contributors. All rights reserved.
"""MobileNet-V1 for ImageNet (Howard et al. 2017), mdistiller's module names (``model.*``, ``fc``)."""
from torch import Tensor, nn

from mmkd.registry import MODELS


def _conv_bn(inp: int, oup: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=False), nn.BatchNorm2d(oup), nn.ReLU(inplace=True))


def _conv_dw(inp: int, oup: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), nn.BatchNorm2d(inp), nn.ReLU(inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup), nn.ReLU(inplace=True))


@MODELS.register_module()
class MobileNetV1(nn.Module):
    """MobileNet-V1 (1.0x): a stride-2 stem and 13 depthwise-separable blocks; classifier key ``fc``."""
    head_key = 'fc'

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        spec = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)] + \
            [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
        self.model = nn.Sequential(_conv_bn(in_channels, 32, 2), *[_conv_dw(i, o, s) for i, o, s in spec])
        self.out_channels = 1024

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)
