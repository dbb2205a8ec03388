# Copyright (c) mmkd contributors. All rights reserved.
from .cifar import CIFAR10, CIFAR100
from .fashion_mnist import FashionMNIST
from .imagenet import ImageNet
from .transforms import *  # noqa: F401,F403

__all__ = ['CIFAR10', 'CIFAR100', 'FashionMNIST', 'ImageNet']
