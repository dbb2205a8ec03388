# Copyright (c) mmkd contributors. All rights reserved.
"""RepDistiller's CIFAR ResNet-50 (``ResNet50``: 3x3 stem, bottleneck stages 3/4/6/3); classifier ``linear``."""
from typing import Union

import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = self.expansion * planes
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarResNetV2(nn.Module):
    """Bottleneck ResNet for 32x32 inputs (RepDistiller ``resnetv2``).

    Args:
        arch (str | dict): ``'ResNet50Cifar'`` (RepDistiller's ``ResNet50``, blocks 3/4/6/3) or
            ``dict(num_blocks=(n1, n2, n3, n4))``. Defaults to 'ResNet50Cifar'.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'linear'
    arch_settings = {'ResNet50Cifar': dict(num_blocks=(3, 4, 6, 3))}

    def __init__(self, arch: Union[str, dict] = 'ResNet50Cifar', in_channels: int = 3) -> None:
        super().__init__()
        num_blocks = resolve_arch(self, arch, ('num_blocks', ))['num_blocks']
        self.in_planes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        for i, (planes, stride) in enumerate(zip((64, 128, 256, 512), (1, 2, 2, 2))):
            setattr(self, f'layer{i + 1}', self._make_layer(planes, num_blocks[i], stride))
        self.out_channels = 512 * Bottleneck.expansion

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(Bottleneck(self.in_planes, planes, s))
            self.in_planes = planes * Bottleneck.expansion
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))
