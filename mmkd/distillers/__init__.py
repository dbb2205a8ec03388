# Copyright (c) mmkd contributors. All rights reserved.
from .base import BaseDistiller, build_distill_losses
from .classification import ClassificationDistiller
from .dense_head import DenseHeadDistiller
from .roi_head import RoIHeadDistiller

__all__ = [
    'BaseDistiller', 'build_distill_losses', 'ClassificationDistiller', 'DenseHeadDistiller', 'RoIHeadDistiller'
]
