# Copyright (c) mmkd contributors. All rights reserved.
"""Convert torchvision-layout ImageNet MobileNetV2 weights to mmdet's MobileNetV2 backbone.

Usage:
    python tools/model_converters/mobilenetv2_torchvision_to_mmdet.py mobilenet_v2-b0353104.pth \
        data/pretrained/mobilenet_v2_mmdet.pth
then point the student backbone's ``init_cfg=dict(type='Pretrained', checkpoint=...)`` at the output.
"""
import argparse

from mmkd.models.converters import convert_mobilenetv2_checkpoint


def main():
    parser = argparse.ArgumentParser(description='torchvision MobileNetV2 -> mmdet MobileNetV2 backbone keys')
    parser.add_argument('src', help='torchvision-layout state dict (.pth)')
    parser.add_argument('dst', help='output checkpoint for the mmdet backbone')
    args = parser.parse_args()
    print(f'{convert_mobilenetv2_checkpoint(args.src, args.dst)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
