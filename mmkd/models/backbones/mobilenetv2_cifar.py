# Copyright (c) mmkd contributors. All rights reserved.
"""MobileNetV2 for CIFAR (Sandler et al. 2018) as in RepDistiller: ``mobile_half`` = width 0.5, expand 6."""
from typing import Union

from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


def conv_bn(inp: int, oup: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, oup, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(oup), nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True), nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


@MODELS.register_module()
class CifarMobileNetV2(nn.Module):
    """RepDistiller's CIFAR MobileNetV2 (stride-2 stem); classifier key ``classifier.0``.

    Args:
        arch (str | dict): ``'mobile_half'`` (width 0.5, expansion 6) or ``dict(expand_ratio=T,
            width_mult=W)``. Defaults to 'mobile_half'.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'classifier.0'
    arch_settings = {'mobile_half': dict(expand_ratio=6, width_mult=0.5)}

    def __init__(self, arch: Union[str, dict] = 'mobile_half', in_channels: int = 3) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('expand_ratio', 'width_mult'))
        expand_ratio, width_mult = arch['expand_ratio'], arch['width_mult']
        setting = [[1, 16, 1, 1], [expand_ratio, 24, 2, 1], [expand_ratio, 32, 3, 2], [expand_ratio, 64, 4, 2],
                   [expand_ratio, 96, 3, 1], [expand_ratio, 160, 3, 2], [expand_ratio, 320, 1, 1]]
        channels = int(32 * width_mult)
        self.conv1 = conv_bn(in_channels, channels, 3, 2)
        self.blocks = nn.ModuleList()
        for t, c, n, s in setting:
            out = int(c * width_mult)
            layers = []
            for stride in [s] + [1] * (n - 1):
                layers.append(InvertedResidual(channels, out, stride, t))
                channels = out
            self.blocks.append(nn.Sequential(*layers))
        self.out_channels = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = conv_bn(channels, self.out_channels, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(x)
        for block in self.blocks:
            x = block(x)
        return self.conv2(x)
