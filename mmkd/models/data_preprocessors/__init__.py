# Copyright (c) mmkd contributors. All rights reserved.
from .multi_view import MultiViewDataPreprocessor

__all__ = ['MultiViewDataPreprocessor']
