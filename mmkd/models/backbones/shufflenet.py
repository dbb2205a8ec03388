# Copyright (c) mmkd contributors. All rights reserved.
"""ShuffleNet V1 (Zhang et al. 2018) and V2 (Ma et al. 2018) for CIFAR, RepDistiller's ``ShuffleV1`` /
``ShuffleV2`` with their module names; classifier key ``linear``."""
from typing import Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Block(nn.Module):

    def __init__(self, in_planes: int, out_planes: int, stride: int, groups: int) -> None:
        super().__init__()
        self.stride = stride
        mid = out_planes // 4
        g = 1 if in_planes == 24 else groups
        self.groups_first = g
        self.conv1 = nn.Conv2d(in_planes, mid, kernel_size=1, groups=g, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, kernel_size=3, stride=stride, padding=1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out_planes, kernel_size=1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = channel_shuffle(F.relu(self.bn1(self.conv1(x))), self.groups_first)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        return F.relu(torch.cat([out, res], 1) if self.stride == 2 else out + res)


@MODELS.register_module()
class CifarShuffleNetV1(nn.Module):
    """ShuffleNet V1 for CIFAR.

    Args:
        arch (str | dict): ``'ShuffleV1'`` (groups 3, out planes 240/480/960, blocks 4/8/4) or
            ``dict(out_planes=(...), num_blocks=(...), groups=g)``. Defaults to 'ShuffleV1'.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'linear'
    arch_settings = {'ShuffleV1': dict(out_planes=(240, 480, 960), num_blocks=(4, 8, 4), groups=3)}

    def __init__(self, arch: Union[str, dict] = 'ShuffleV1', in_channels: int = 3) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('out_planes', 'num_blocks', 'groups'))
        out_planes, num_blocks, groups = arch['out_planes'], arch['num_blocks'], arch['groups']
        self.conv1 = nn.Conv2d(in_channels, 24, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        self.in_planes = 24
        for i in range(3):
            setattr(self, f'layer{i + 1}', self._make_layer(out_planes[i], num_blocks[i], groups))
        self.out_channels = out_planes[2]

    def _make_layer(self, out_planes: int, num_blocks: int, groups: int) -> nn.Sequential:
        layers = []
        for i in range(num_blocks):
            cat_planes = self.in_planes if i == 0 else 0  # the stride-2 block concatenates its shortcut
            layers.append(ShuffleV1Block(self.in_planes, out_planes - cat_planes, 2 if i == 0 else 1, groups))
            self.in_planes = out_planes
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))


class ShuffleV2Block(nn.Module):
    """Split half the channels, transform the other half, concatenate, shuffle."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        c = in_channels // 2
        self.conv1 = nn.Conv2d(c, c, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, kernel_size=3, stride=1, padding=1, groups=c, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(c)

    def forward(self, x: Tensor) -> Tensor:
        c = x.size(1) // 2
        x1, x2 = x[:, :c], x[:, c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return channel_shuffle(torch.cat([x1, out], 1), 2)


class ShuffleV2DownBlock(nn.Module):

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        mid = out_channels // 2
        self.conv1 = nn.Conv2d(in_channels, in_channels, 3, stride=2, padding=1, groups=in_channels, bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(in_channels, mid, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(in_channels, mid, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, kernel_size=3, stride=2, padding=1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, kernel_size=1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x: Tensor) -> Tensor:
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], 1), 2)


@MODELS.register_module()
class CifarShuffleNetV2(nn.Module):
    """ShuffleNet V2 for CIFAR.

    Args:
        arch (str | dict): ``'ShuffleV2'`` (net size 1: channels 116/232/464/1024, blocks 3/7/3) or
            ``dict(out_channels=(c1, c2, c3, c_last), num_blocks=(n1, n2, n3))``. Defaults to 'ShuffleV2'.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'linear'
    arch_settings = {'ShuffleV2': dict(out_channels=(116, 232, 464, 1024), num_blocks=(3, 7, 3))}

    def __init__(self, arch: Union[str, dict] = 'ShuffleV2', in_channels: int = 3) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('out_channels', 'num_blocks'))
        out_channels, num_blocks = arch['out_channels'], arch['num_blocks']
        self.conv1 = nn.Conv2d(in_channels, 24, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        prev = 24
        for i in range(3):
            layers = [ShuffleV2DownBlock(prev, out_channels[i])]
            layers += [ShuffleV2Block(out_channels[i]) for _ in range(num_blocks[i])]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layers))
            prev = out_channels[i]
        self.conv2 = nn.Conv2d(out_channels[2], out_channels[3], kernel_size=1, stride=1, padding=0, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels[3])
        self.out_channels = out_channels[3]

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return F.relu(self.bn2(self.conv2(x)))
