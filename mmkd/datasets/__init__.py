# Copyright (c) mmkd contributors. All rights reserved.
from .cifar import CIFAR10Dataset, CIFAR100Dataset
from .fashion_mnist import FashionMNISTDataset
from .imagenet import ImageNetDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['CIFAR10Dataset', 'CIFAR100Dataset', 'FashionMNISTDataset', 'ImageNetDataset']
