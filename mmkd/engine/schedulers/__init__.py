# Copyright (c) mmkd contributors. All rights reserved.
from .warmup_cosine import WarmupCosineLR, WarmupCosineParamScheduler

__all__ = ['WarmupCosineLR', 'WarmupCosineParamScheduler']
