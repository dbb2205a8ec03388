# Copyright (c) mmkd contributors. All rights reserved.
from .base import BaseDistiller
from .classification import ClassificationDistiller
from .dense_head import DenseHeadDistiller
from .distill_losses import LogitRows, build_distill_losses, compute_distill_losses
from .mlkd import MLKDDistiller
from .recorder import record_calls
from .roi_head import RoIHeadDistiller

__all__ = [
    'BaseDistiller', 'build_distill_losses', 'compute_distill_losses', 'LogitRows', 'record_calls',
    'ClassificationDistiller', 'DenseHeadDistiller', 'RoIHeadDistiller', 'MLKDDistiller'
]
