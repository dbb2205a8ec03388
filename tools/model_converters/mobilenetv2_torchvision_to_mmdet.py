# Copyright (c) mmkd contributors. All rights reserved.
"""Convert torchvision-layout ImageNet MobileNetV2 weights to mmdet's MobileNetV2 backbone.

Usage:
    python tools/model_converters/mobilenetv2_torchvision_to_mmdet.py mobilenet_v2-b0353104.pth \
        data/pretrained/mobilenet_v2_mmdet.pth
then point the student backbone's ``init_cfg=dict(type='Pretrained', checkpoint=...)`` at the output.
"""
import argparse
import os
import os.path as osp

import torch

from mmkd.models.converters import mobilenetv2_torchvision_to_mmdet


def main():
    parser = argparse.ArgumentParser(description='torchvision MobileNetV2 -> mmdet MobileNetV2 backbone keys')
    parser.add_argument('src', help='torchvision-layout state dict (.pth)')
    parser.add_argument('dst', help='output checkpoint for the mmdet backbone')
    args = parser.parse_args()
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    if 'state_dict' in state:
        state = state['state_dict']
    converted = mobilenetv2_torchvision_to_mmdet(state)
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(source=osp.basename(args.src))), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
