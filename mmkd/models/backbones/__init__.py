# Copyright (c) mmkd contributors. All rights reserved.
from .cifar_resnet import CifarResNet
from .cifar_resnet50 import CifarResNetV2
from .mobilenetv1 import MobileNetV1
from .mobilenetv2_cifar import CifarMobileNetV2
from .shufflenet import CifarShuffleNetV1, CifarShuffleNetV2
from .vgg import CifarVGG
from .wrn import WideResNet

__all__ = [
    'CifarResNet', 'CifarResNetV2', 'MobileNetV1', 'CifarMobileNetV2', 'CifarShuffleNetV1', 'CifarShuffleNetV2',
    'CifarVGG', 'WideResNet'
]
