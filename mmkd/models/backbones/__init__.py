# Copyright (c) mmkd contributors. All rights reserved.
from .cifar_resnet import CifarResNet
from .cifar_resnet50 import CifarResNetV2
from .deit import DeiT
from .mobilenetv1 import MobileNetV1
from .mobilenetv2_cifar import CifarMobileNetV2
from .mobilenetv4 import MobileNetV4
from .pit import PiT
from .pvt import PVT
from .shufflenet import CifarShuffleNetV1, CifarShuffleNetV2
from .t2t_vit import T2TViT
from .vgg import CifarVGG
from .vit import ViT
from .wrn import WideResNet

#: RepDistiller / mdistiller network name -> the mmkd backbone that builds it with ``arch=<name>``.
CIFAR_ARCHS = {
    arch: cls.__name__
    for cls in (CifarResNet, WideResNet, CifarVGG, CifarShuffleNetV1, CifarShuffleNetV2, CifarMobileNetV2,
                CifarResNetV2) for arch in cls.arch_settings
}

__all__ = [
    'CifarResNet', 'CifarResNetV2', 'MobileNetV1', 'CifarMobileNetV2', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarVGG', 'WideResNet', 'CIFAR_ARCHS', 'ViT', 'MobileNetV4', 'DeiT', 'T2TViT', 'PiT', 'PVT'
]
