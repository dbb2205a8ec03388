# Copyright (c) mmkd contributors. All rights reserved.
"""Huang et al., "Knowledge Distillation from A Stronger Teacher" (DIST), NeurIPS 2022."""
from typing import Optional, Union

import torch
from torch import Tensor

from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .checks import check
from .utils import logit_stand_mode, standardize_pair


def pearson_rows(a: Tensor, b: Tensor, eps: float = 1e-8, mask: Optional[Tensor] = None) -> Tensor:
    """Pearson correlation of each row of ``a`` with the same row of ``b`` (official DIST eps), over the columns
    where ``mask`` (0/1, one per column) is 1 when given."""
    if mask is None:
        a = a - a.mean(1, keepdim=True)
        b = b - b.mean(1, keepdim=True)
    else:
        count = mask.sum().clamp_min(1.0)
        a = (a - (a * mask).sum(1, keepdim=True) / count) * mask
        b = (b - (b * mask).sum(1, keepdim=True) / count) * mask
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist_loss(preds_S: Tensor, preds_T: Tensor, beta: float = 1.0, gamma: float = 1.0, tau: float = 1.0,
              logit_stand: Union[bool, str] = False, row_mask: Optional[Tensor] = None) -> Tensor:
    """DIST: ``tau^2 * (beta * inter + gamma * intra)`` over the whole batch of rows.

    inter = 1 - mean over rows of pearson(softmax(s/tau)_row, softmax(t/tau)_row) (relations among classes);
    intra = 1 - mean over classes of the Pearson correlation of each class column over the rows.

    Args:
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
        beta (float): Inter-class weight.
        gamma (float): Intra-class weight.
        tau (float): Temperature.
        logit_stand (bool | str): Logit standardisation first: ``True`` / ``'both'``, ``'teacher'`` or
            ``False`` / ``'none'`` (PLD Table 10).
        row_mask (Tensor, optional): 0/1 [N]: only the rows marked 1 take part (the same value as on those rows
            alone, without selecting them: no data-dependent shape).

    Returns:
        Tensor: A scalar (the intra-class term couples the rows, so there is no per-row loss).
    """
    preds_S, preds_T = standardize_pair(preds_S, preds_T, logit_stand)
    y_s = (preds_S / tau).softmax(1)
    y_t = (preds_T / tau).softmax(1)
    if row_mask is None:
        inter = 1 - pearson_rows(y_s, y_t).mean()
    else:
        inter = 1 - (pearson_rows(y_s, y_t) * row_mask).sum() / row_mask.sum().clamp_min(1.0)
    intra = 1 - pearson_rows(y_s.t(), y_t.t(), mask=row_mask).mean()
    return tau**2 * (beta * inter + gamma * intra)


@MODELS.register_module()
class DISTLoss(LogitDistillLoss):
    """DIST (see :func:`dist_loss`).

    ``weight`` can only select rows (values 0 or 1): the intra-class Pearson term has no per-row weighting.
    The intra-class term couples the rows, so there is no per-row loss (no ``reduction='none'``): ``'sum'`` is
    N times the batch loss (N selected rows) and ``avg_factor`` divides that sum, which gives the batch loss
    again for ``avg_factor=N``.

    Args:
        beta (float): Inter-class weight. Defaults to 1.0.
        gamma (float): Intra-class weight. Defaults to 1.0.
        tau (float): Temperature. Defaults to 1.0 (the official CIFAR recipe uses 4.0).
        logit_stand (bool | str): ``False`` (default), ``True`` / ``'both'`` or ``'teacher'``.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean' or 'sum' (see above). Defaults to 'mean'.
    """

    couples_rows = True
    masks_rows = True
    takes_row_weights = False

    def __init__(self, beta: float = 1.0, gamma: float = 1.0, tau: float = 1.0, logit_stand: Union[bool, str] = False,
                 loss_weight: float = 1.0, ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        self.beta, self.gamma, self.tau = float(beta), float(gamma), float(tau)
        self.logit_stand = logit_stand_mode('DISTLoss', logit_stand)

    def reduce(self, preds_S, preds_T, labels, weight, reduction='mean', avg_factor=None):
        rows = preds_S.size(0)
        if weight is not None:  # a row mask (the rows kept by the labels and the selection): no indexing
            check(((weight != 0) & (weight != 1)).any(), ValueError,
                  lambda: 'DISTLoss: weight can only select rows (0 or 1); DIST correlates rows over the batch and has '
                  'no per-row weighting.')
            rows = weight.sum()
        loss = dist_loss(preds_S, preds_T, self.beta, self.gamma, self.tau, self.logit_stand, row_mask=weight)
        if weight is not None:
            loss = torch.where(rows > 0, loss, loss * 0.0)  # no row kept: zero, with the graph
        if reduction == 'mean' and avg_factor is None:
            return loss
        if reduction == 'sum' and avg_factor is not None:
            raise ValueError('avg_factor can not be used with reduction="sum" (as in mmdet).')
        total = loss * rows
        return total if avg_factor is None else total / (avg_factor + torch.finfo(torch.float32).eps)

    def extra_repr(self) -> str:
        return (f'beta={self.beta}, gamma={self.gamma}, tau={self.tau}, logit_stand={self.logit_stand!r}, ' +
                super().extra_repr())
