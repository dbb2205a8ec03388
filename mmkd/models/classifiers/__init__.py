# Copyright (c) mmkd contributors. All rights reserved.
from .linear_head_classifier import LinearHeadClassifier, stack_labels

__all__ = ['LinearHeadClassifier', 'stack_labels']
