# Copyright (c) mmkd contributors. All rights reserved.
"""Weight-layout converters for published checkpoints."""
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict

import torch
from torch import Tensor

#: blocks per stage of MobileNetV2 (t, c, n, s settings): torchvision features.1 ... features.17
MOBILENETV2_BLOCKS = (1, 2, 3, 4, 3, 3, 1)
# torchvision sub-module -> mmdet ConvModule part
STEM = {'0': 'conv', '1': 'bn'}
FIRST_BLOCK = {  # expand ratio 1: depthwise, then linear 1x1
    'conv.0.0': 'depthwise_conv.conv', 'conv.0.1': 'depthwise_conv.bn', 'conv.1': 'linear_conv.conv',
    'conv.2': 'linear_conv.bn'
}
BLOCK = {
    'conv.0.0': 'expand_conv.conv', 'conv.0.1': 'expand_conv.bn', 'conv.1.0': 'depthwise_conv.conv',
    'conv.1.1': 'depthwise_conv.bn', 'conv.2': 'linear_conv.conv', 'conv.3': 'linear_conv.bn'
}


def mobilenetv2_torchvision_to_mmdet(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """Map torchvision's ImageNet MobileNetV2 (``features.*``, ``classifier.1.*``) onto mmdet's ``MobileNetV2``
    backbone keys (``conv1``, ``layer1`` ... ``layer7``, ``conv2``). The classifier is dropped.

    Args:
        state_dict (dict): torchvision-layout weights (e.g. ``mobilenet_v2-b0353104.pth``).

    Returns:
        OrderedDict: Weights for ``mmdet.models.backbones.MobileNetV2`` (load with its ``init_cfg``).
    """
    feature_to_block = {0: ('conv1', STEM)}
    index = 1
    for layer, num in enumerate(MOBILENETV2_BLOCKS, 1):
        for block in range(num):
            feature_to_block[index] = (f'layer{layer}.{block}', FIRST_BLOCK if index == 1 else BLOCK)
            index += 1
    feature_to_block[index] = ('conv2', STEM)  # the final 1x1 conv
    converted = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('classifier.'):
            continue
        match = re.match(r'features\.(\d+)\.(.*)\.(\w+)$', key)
        if match is None or int(match.group(1)) not in feature_to_block:
            raise KeyError(f'{key} is not a torchvision MobileNetV2 key (expected features.* or classifier.*).')
        name, modules = feature_to_block[int(match.group(1))]
        converted[f'{name}.{modules[match.group(2)]}.{match.group(3)}'] = value
    return converted


def convert_mobilenetv2_checkpoint(src: str, dst: str) -> int:
    """Convert the torchvision MobileNetV2 weights file ``src`` into an mmdet backbone checkpoint ``dst``
    (``{'state_dict': ..., 'meta': ...}``, loadable with ``init_cfg=dict(type='Pretrained', checkpoint=dst)``).

    Returns:
        int: The number of tensors written.
    """
    state = torch.load(src, map_location='cpu', weights_only=True)
    if 'state_dict' in state:
        state = state['state_dict']
    converted = mobilenetv2_torchvision_to_mmdet(state)
    if osp.dirname(dst):
        os.makedirs(osp.dirname(dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(source=osp.basename(src))), dst)
    return len(converted)
