# Copyright (c) mmkd contributors. All rights reserved.
"""timm's ``CosineLRScheduler`` (``warmup_prefix=False``, no restarts) as an MMEngine parameter scheduler.

timm's warm-up *replaces* the first ``warmup`` steps of a cosine that spans the whole run: at step t the value is

- ``warmup_init + t (base - warmup_init) / warmup`` for t < ``warmup``,
- ``eta_min + (base - eta_min) (1 + cos(pi t / T_max)) / 2`` from then on,

so the cosine is not restarted at the end of the warm-up. MMEngine's ``LinearLR`` + ``CosineAnnealingLR`` pair
restarts it there (the cosine counts from the end of the warm-up); the recipes that come from timm-based code
(the official code of the RKKD paper's transformer students, built on timm's scheduler) need this one.
"""
import math
from typing import Optional

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmkd.registry import PARAM_SCHEDULERS


class WarmupCosineParamScheduler(_ParamScheduler):
    """Linear warm-up that replaces the start of a whole-run cosine (timm's ``CosineLRScheduler``).

    Args:
        optimizer: The optimizer (wrapper).
        param_name (str): The parameter scheduled, e.g. ``'lr'``.
        T_max (int, optional): Length of the cosine, counted from ``begin``; defaults to ``end - begin``.
        eta_min (float): The value at ``T_max``. Defaults to 0.
        warmup (int): Steps of linear warm-up. Defaults to 0.
        warmup_factor (float): The warm-up starts at ``warmup_factor * base`` (timm's ``warmup_lr_init``
            relative to the base value). Defaults to 1e-3.
        begin, end, last_step, by_epoch, verbose: As for every MMEngine parameter scheduler.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 T_max: Optional[int] = None,
                 eta_min: float = 0.,
                 warmup: int = 0,
                 warmup_factor: float = 1e-3,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        self.T_max = T_max or (end - begin)
        if self.T_max <= 0 or self.T_max == INF:
            raise ValueError(f'{type(self).__name__}: give T_max or a finite end (got T_max={T_max}, end={end}).')
        if not 0 <= warmup < self.T_max:
            raise ValueError(f'{type(self).__name__}: warmup must be in [0, T_max), got {warmup}.')
        self.eta_min, self.warmup, self.warmup_factor = eta_min, warmup, warmup_factor
        super().__init__(optimizer, param_name=param_name, begin=begin, end=end, last_step=last_step,
                         by_epoch=by_epoch, verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, T_max=None, warmup=0, begin=0, end=INF, by_epoch=True, epoch_length=None,
                              **kwargs):
        """The iteration-based scheduler of an epoch-based config (``convert_to_iter_based=True``)."""
        if not by_epoch or not epoch_length:
            raise ValueError('convert_to_iter_based needs an epoch-based config and the epoch length.')
        end = end if end == INF else int(end * epoch_length)
        return cls(*args, T_max=None if T_max is None else T_max * epoch_length, warmup=warmup * epoch_length,
                   begin=int(begin * epoch_length), end=end, by_epoch=False, **kwargs)

    def value_at(self, base: float, step: int) -> float:
        """The closed form at ``step`` (counted from ``begin``)."""
        if step < self.warmup:
            start = self.warmup_factor * base
            return start + step * (base - start) / self.warmup
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * min(step, self.T_max) / self.T_max)) / 2

    def _get_value(self) -> list:
        return [self.value_at(base, self.last_step) for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(LRSchedulerMixin, WarmupCosineParamScheduler):
    """:class:`WarmupCosineParamScheduler` on the learning rate, e.g. the official recipe of the RKKD paper's
    CIFAR-100 transformers: ``dict(type='WarmupCosineLR', T_max=300, eta_min=5e-6, warmup=20, warmup_factor=1e-3,
    by_epoch=True, begin=0, end=300)``."""
