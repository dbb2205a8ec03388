# Copyright (c) mmkd contributors. All rights reserved.
"""VGG with BatchNorm for CIFAR (Simonyan & Zisserman 2015), RepDistiller's names: vgg8 ... vgg19."""
from typing import List

import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .variants import register_variants

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
        depth (int): 8, 11, 13, 16 or 19.
        in_channels (int): Input channels. Defaults to 3.
    """
    head_key = 'classifier'

    def __init__(self, depth: int, in_channels: int = 3) -> None:
        super().__init__()
        if depth not in VGG_STAGES:
            raise ValueError(f'CifarVGG depth must be one of {sorted(VGG_STAGES)}, got {depth}.')
        stages = VGG_STAGES[depth]
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


register_variants(CifarVGG, {f'vgg{d}': dict(depth=d) for d in VGG_STAGES})
