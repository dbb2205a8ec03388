# Copyright (c) mmkd contributors. All rights reserved.
"""Zhao et al., "Decoupled Knowledge Distillation", CVPR 2022."""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import Tensor

from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .utils import kl_rows, logit_stand_mode, squared_temperature, standardize_pair


def dkd_loss(preds_S: Tensor, preds_T: Tensor, labels: Tensor, alpha: float = 1.0, beta: float = 8.0,
             tau: Union[float, Tensor] = 4.0, logit_stand: Union[bool, str] = False) -> Tensor:
    """DKD of each row: ``tau^2 * (alpha * TCKD + beta * NCKD)``.

    TCKD = KL(b_t || b_s) with b = [p_y, 1 - p_y]; NCKD = KL between the distributions over the non-target
    classes. Computed with log-sum-exps in the working dtype (no ``log`` of a probability, no ``-1000``
    masking), so it stays finite for any finite logits.

    Args:
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
        labels (Tensor): Target class of each row, int64 [N] in [0, C]; C ("no target class", e.g. a
            background anchor of a sigmoid detection head) uses the teacher's top class as target.
        alpha (float): TCKD weight.
        beta (float): NCKD weight.
        tau (float | Tensor): Temperature: a number, or a tensor [1, 1] or [N, 1] (CTKD's learnable one).
        logit_stand (bool | str): Logit standardisation (Sun et al. 2024): ``True`` / ``'both'``, ``'teacher'`` or
            ``False`` / ``'none'``.

    Returns:
        Tensor: Per-row loss [N].
    """
    preds_S, preds_T = standardize_pair(preds_S, preds_T, logit_stand)
    labels = torch.where(labels == preds_T.size(1), preds_T.argmax(1), labels)
    gt_mask = torch.zeros_like(preds_S, dtype=torch.bool).scatter_(1, labels[:, None], True)

    def binary_and_other(logits: Tensor):
        z = logits / tau
        lse_all = z.logsumexp(1)
        z_other = z.masked_fill(gt_mask, float('-inf'))
        lse_other = z_other.logsumexp(1)
        log_b = torch.stack([z.gather(1, labels[:, None])[:, 0] - lse_all, lse_other - lse_all], 1)
        return log_b, z_other - lse_other[:, None]

    log_b_s, log_q_s = binary_and_other(preds_S)
    log_b_t, log_q_t = binary_and_other(preds_T)
    tckd = kl_rows(log_b_t, log_b_s)
    # the target class is outside both non-target distributions: 0 in both log-probabilities makes its KL term 0
    nckd = F.kl_div(log_q_s.masked_fill(gt_mask, 0.0), log_q_t.masked_fill(gt_mask, 0.0), reduction='none',
                    log_target=True).sum(1)
    return (alpha * tckd + beta * nckd) * squared_temperature(tau)


@MODELS.register_module()
class DKDLoss(LogitDistillLoss):
    """Decoupled KD (see :func:`dkd_loss`) with the paper's linear warm-up.

    The warm-up factor is ``min(epoch / warmup_epochs, 1)`` with the 1-based epoch of the running MMEngine
    loop (read from the ``MessageHub``, as in the official code), or ``min(iter / warmup_iters, 1)`` when
    ``warmup_iters`` is given (iteration-based schedules). Outside a runner no warm-up is applied.

    Args:
        alpha (float): TCKD weight. Defaults to 1.0.
        beta (float): NCKD weight. Defaults to 8.0.
        tau (float): Temperature. Defaults to 4.0.
        warmup_epochs (int): Epochs of linear warm-up. Defaults to 20.
        warmup_iters (int, optional): Use an iteration warm-up instead. Defaults to None.
        logit_stand (bool | str): Logit standardisation: ``False`` (default), ``True`` / ``'both'`` or
            ``'teacher'``.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none' (see :class:`LogitDistillLoss`). Defaults to 'mean'.
    """

    needs_labels = True

    def __init__(self, alpha: float = 1.0, beta: float = 8.0, tau: float = 4.0, warmup_epochs: int = 20,
                 warmup_iters: Optional[int] = None, logit_stand: Union[bool, str] = False, loss_weight: float = 1.0,
                 ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        self.alpha, self.beta, self.tau = float(alpha), float(beta), float(tau)
        self.warmup_epochs = int(warmup_epochs)
        self.warmup_iters = warmup_iters
        self.logit_stand = logit_stand_mode('DKDLoss', logit_stand)

    def warmup_factor(self) -> float:
        """The current warm-up factor in (0, 1], from the running loop's epoch or iteration."""
        hub = MessageHub.get_current_instance()
        if self.warmup_iters:
            cur_iter = hub.get_info('iter')
            return 1.0 if cur_iter is None else min((cur_iter + 1) / self.warmup_iters, 1.0)
        epoch = hub.get_info('epoch')
        if epoch is None or self.warmup_epochs <= 0:
            return 1.0
        return min((epoch + 1) / self.warmup_epochs, 1.0)

    def loss_rows(self, preds_S, preds_T, labels, tau: Optional[Tensor] = None):
        """Per-row DKD with the warm-up; ``tau`` (a tensor, e.g. CTKD's learnable temperature) replaces
        ``self.tau``."""
        rows = dkd_loss(preds_S, preds_T, labels, self.alpha, self.beta, self.tau if tau is None else tau,
                        self.logit_stand)
        return self.warmup_factor() * rows

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, beta={self.beta}, tau={self.tau}, warmup_epochs={self.warmup_epochs}, '
                f'logit_stand={self.logit_stand!r}, ' + super().extra_repr())
