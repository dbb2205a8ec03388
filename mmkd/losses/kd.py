# Copyright (c) mmkd contributors. All rights reserved.
"""Hinton et al., "Distilling the Knowledge in a Neural Network", 2015."""
import math
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .utils import kl_rows, logit_stand_mode, squared_temperature, standardize_pair

#: forward KL(p_t || p_s) (Hinton), reverse KL(p_s || p_t), Jensen-Shannon (PLD Table 11)
DIVERGENCES = ('forward', 'reverse', 'js')


def kd_loss(preds_S: Tensor, preds_T: Tensor, tau: Union[float, Tensor] = 4.0, logit_stand: Union[bool, str] = False,
            divergence: str = 'forward') -> Tensor:
    """KD of each row: ``tau^2 * D(softmax(t / tau), softmax(s / tau))``, summed over classes.

    Args:
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
        tau (float | Tensor): Temperature: a number, or a tensor [1, 1] or [N, 1] (CTKD's learnable one).
        logit_stand (bool | str): Z-score the rows first (logit standardisation, Sun et al. 2024): ``True`` /
            ``'both'``, ``'teacher'`` (the teacher's only) or ``False`` / ``'none'``.
        divergence (str): ``'forward'`` KL(p_t || p_s) (Hinton's KD), ``'reverse'`` KL(p_s || p_t), or ``'js'``,
            the Jensen-Shannon divergence ``(KL(p_t || m) + KL(p_s || m)) / 2`` with ``m = (p_t + p_s) / 2``.

    Returns:
        Tensor: Per-row loss [N].
    """
    preds_S, preds_T = standardize_pair(preds_S, preds_T, logit_stand)
    log_p_s = torch.log_softmax(preds_S / tau, dim=1)
    log_p_t = torch.log_softmax(preds_T / tau, dim=1)
    if divergence == 'forward':  # torch's kl_div: the numbers of mdistiller's and MMRazor's KD
        rows = F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1)
    elif divergence == 'reverse':
        rows = kl_rows(log_p_s, log_p_t)
    else:
        log_m = torch.logaddexp(log_p_t, log_p_s) - math.log(2.0)
        rows = 0.5 * (kl_rows(log_p_t, log_m) + kl_rows(log_p_s, log_m))
    return rows * squared_temperature(tau)


@MODELS.register_module()
class KDLoss(LogitDistillLoss):
    """Hinton knowledge distillation (see :func:`kd_loss`).

    Args:
        tau (float): Temperature. Defaults to 4.0 (CIFAR recipe; ImageNet uses 1.0).
        logit_stand (bool | str): Logit standardisation: ``False`` (default), ``True`` / ``'both'`` or
            ``'teacher'``.
        divergence (str): ``'forward'`` (default, Hinton), ``'reverse'`` or ``'js'`` (PLD Table 11).
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none' (see :class:`LogitDistillLoss`). Defaults to 'mean'.
    """

    def __init__(self, tau: float = 4.0, logit_stand: Union[bool, str] = False, divergence: str = 'forward',
                 loss_weight: float = 1.0, ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        if divergence not in DIVERGENCES:
            raise ValueError(f'KDLoss: divergence must be one of {DIVERGENCES}, got {divergence!r}.')
        self.tau = float(tau)
        self.logit_stand = logit_stand_mode('KDLoss', logit_stand)
        self.divergence = divergence

    def loss_rows(self, preds_S, preds_T, labels, tau: Optional[Tensor] = None):
        """Per-row KD; ``tau`` (a tensor, e.g. CTKD's learnable temperature) replaces ``self.tau``."""
        return kd_loss(preds_S, preds_T, self.tau if tau is None else tau, self.logit_stand, self.divergence)

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, logit_stand={self.logit_stand!r}, divergence={self.divergence!r}, ' +
                super().extra_repr())
