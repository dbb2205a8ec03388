# Copyright (c) mmkd contributors. All rights reserved.
"""CIFAR ResNets (He et al. 2016) with RepDistiller's module names: resnet8 ... resnet110, resnet8x4,
resnet32x4. Public RepDistiller / mdistiller teacher checkpoints load as-is."""
from typing import Optional, Union

import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


@MODELS.register_module()
class CifarResNet(nn.Module):
    """ResNet for 32x32 inputs: a 3x3 stem and three stages of (depth - 2) / 6 basic blocks.

    Args:
        arch (str | dict): A RepDistiller name in :attr:`arch_settings` (``'resnet8'`` ... ``'resnet110'``,
            ``'resnet8x4'``, ``'resnet32x4'``), or ``dict(depth=6n + 2, num_filters=[stem, stage1, stage2,
            stage3])``. Defaults to 'resnet56'.
        in_channels (int): Input channels. Defaults to 3.

    The classifier of the RepDistiller checkpoint is ``fc`` (see ``head_key``); forward returns the last
    feature map.
    """
    head_key = 'fc'
    arch_settings = {
        **{f'resnet{d}': dict(depth=d, num_filters=[16, 16, 32, 64]) for d in (8, 14, 20, 32, 44, 56, 110)},
        'resnet8x4': dict(depth=8, num_filters=[32, 64, 128, 256]),
        'resnet32x4': dict(depth=32, num_filters=[32, 64, 128, 256]),
    }

    def __init__(self, arch: Union[str, dict] = 'resnet56', in_channels: int = 3) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('depth', 'num_filters'))
        depth, num_filters = arch['depth'], arch['num_filters']
        if (depth - 2) % 6 != 0:
            raise ValueError(f'CifarResNet depth must be 6n + 2 (8, 14, 20, 32, ...), got {depth}.')
        n = (depth - 2) // 6
        self.inplanes = num_filters[0]
        self.conv1 = nn.Conv2d(in_channels, num_filters[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(num_filters[1], n)
        self.layer2 = self._make_layer(num_filters[2], n, stride=2)
        self.layer3 = self._make_layer(num_filters[3], n, stride=2)
        self.out_channels = num_filters[3]

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))
