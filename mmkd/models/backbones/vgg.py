# Copyright (c) mmkd contributors. All rights reserved.
"""VGG with BatchNorm for CIFAR (Simonyan & Zisserman 2015), RepDistiller's names: vgg8 ... vgg19."""
from typing import List, Union

import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch

VGG_STAGES = {
    8: [[64], [128], [256], [512], [512]],
    11: [[64], [128], [256, 256], [512, 512], [512, 512]],
    13: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    19: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
}


def _stage(channels: List[int], in_channels: int) -> nn.Sequential:
    layers = []
    for v in channels:
        layers += [nn.Conv2d(in_channels, v, kernel_size=3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers[:-1])  # the stage's last ReLU is applied in forward


@MODELS.register_module()
class CifarVGG(nn.Module):
    """VGG-BN: five conv stages (``block0``..``block4``), max-pooling after the first three (and after the
    fourth for 64x64 inputs); classifier key ``classifier``.

    Args:
        arch (str | dict): ``'vgg8'``, ``'vgg11'``, ``'vgg13'``, ``'vgg16'`` or ``'vgg19'``, or ``dict(stages=[[c,
            ...], ...])`` (five stages of conv widths). Defaults to 'vgg13'.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'classifier'
    arch_settings = {f'vgg{depth}': dict(stages=stages) for depth, stages in VGG_STAGES.items()}

    def __init__(self, arch: Union[str, dict] = 'vgg13', in_channels: int = 3) -> None:
        super().__init__()
        stages = resolve_arch(self, arch, ('stages', ))['stages']
        prev = in_channels
        for i, channels in enumerate(stages):
            setattr(self, f'block{i}', _stage(channels, prev))
            prev = channels[-1]
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.out_channels = prev

    def forward(self, x: Tensor) -> Tensor:
        h = x.shape[2]
        x = self.pool(F.relu(self.block0(x)))
        x = self.pool(F.relu(self.block1(x)))
        x = F.relu(self.block2(x))
        x = self.pool(x)
        x = F.relu(self.block3(x))
        if h == 64:
            x = self.pool(x)
        return F.relu(self.block4(x))
