# Copyright (c) mmkd contributors. All rights reserved.
"""Wide ResNets (Zagoruyko & Komodakis 2016) with RepDistiller's module names: wrn_16_1 ... wrn_40_2."""
from typing import Union

import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


class BasicBlock(nn.Module):
    """Pre-activation block; a 1x1 ``convShortcut`` when the width changes."""

    def __init__(self, in_planes: int, out_planes: int, stride: int, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = drop_rate
        self.equal_in_out = in_planes == out_planes
        self.convShortcut = None if self.equal_in_out else nn.Conv2d(
            in_planes, out_planes, kernel_size=1, stride=stride, padding=0, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        pre = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(pre)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        out = self.conv2(out)
        return out + (x if self.equal_in_out else self.convShortcut(pre))


class NetworkBlock(nn.Module):

    def __init__(self, num_layers: int, in_planes: int, out_planes: int, stride: int,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        self.layer = nn.Sequential(*[
            BasicBlock(in_planes if i == 0 else out_planes, out_planes, stride if i == 0 else 1, drop_rate)
            for i in range(num_layers)
        ])

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x)


@MODELS.register_module()
class WideResNet(nn.Module):
    """WRN-depth-width for 32x32 inputs; classifier key ``fc``.

    Args:
        arch (str | dict): ``'wrn_16_1'``, ``'wrn_16_2'``, ``'wrn_40_1'`` or ``'wrn_40_2'`` (RepDistiller's
            ``wrn_<depth>_<width>``), or ``dict(depth=6n + 4, widen_factor=k)``. Defaults to 'wrn_40_2'.
        drop_rate (float): Dropout inside the blocks. Defaults to 0.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'fc'
    arch_settings = {f'wrn_{d}_{w}': dict(depth=d, widen_factor=w) for d, w in ((16, 1), (16, 2), (40, 1), (40, 2))}

    def __init__(self, arch: Union[str, dict] = 'wrn_40_2', drop_rate: float = 0.0, in_channels: int = 3) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('depth', 'widen_factor'))
        depth, widen_factor = arch['depth'], arch['widen_factor']
        if (depth - 4) % 6 != 0:
            raise ValueError(f'WideResNet depth must be 6n + 4 (16, 40, ...), got {depth}.')
        n = (depth - 4) // 6
        ch = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.conv1 = nn.Conv2d(in_channels, ch[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.block1 = NetworkBlock(n, ch[0], ch[1], 1, drop_rate)
        self.block2 = NetworkBlock(n, ch[1], ch[2], 2, drop_rate)
        self.block3 = NetworkBlock(n, ch[2], ch[3], 2, drop_rate)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.relu = nn.ReLU(inplace=True)
        self.out_channels = ch[3]

    def forward(self, x: Tensor) -> Tensor:
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.relu(self.bn1(x))
