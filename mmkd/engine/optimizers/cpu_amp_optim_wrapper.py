# Copyright (c) mmkd contributors. All rights reserved.
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmkd.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed precision on CPU: forward under bfloat16 autocast, no loss scaling.

    mmengine's ``AmpOptimWrapper`` only runs on accelerators; ``tools/train.py --amp`` picks this wrapper when
    no GPU is present. bfloat16 has float32's exponent range, so gradients need no scaling; mmkd's losses
    compute in float32 whatever the input dtype.

    Args:
        dtype (str): Autocast dtype, 'bfloat16' (the one CPU autocast supports well). Defaults to 'bfloat16'.
        **kwargs: See :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=self.cast_dtype):
            yield
