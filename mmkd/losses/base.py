# Copyright (c) mmkd contributors. All rights reserved.
"""The contract every mmkd logit-distillation loss shares.

``loss(preds_S, preds_T[, gt_labels][, weight][, avg_factor=..., reduction_override=...])`` with ``preds_*`` of
shape [N, C] returns the paper's per-row sum over classes / ranks / pairs, reduced over the rows and
multiplied by ``loss_weight``. Both calling conventions of OpenMMLab work:

- MMRazor's ``loss(preds_S, preds_T, gt_labels)``: an integer third argument is the labels;
- mmdet's ``loss(pred, target, weight=None, avg_factor=None, reduction_override=None)``: a floating-point third
  argument is the per-row weight, and ``avg_factor`` / ``reduction_override`` mean what they mean in mmdet.
"""
from typing import Optional

import torch
from torch import Tensor, nn

from .checks import check

#: The reductions of mmdet's losses.
REDUCTIONS = ('mean', 'sum', 'none')


def check_logits(name: str, preds_S: Tensor, preds_T: Tensor) -> None:
    """Raise one clear error when the logits cannot be distilled.

    The shapes are checked at once; finiteness through :func:`mmkd.losses.checks.check` (at the end of the step
    inside a distiller's training step: no host synchronisation here).

    Args:
        name (str): The loss name used in the message.
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
    """
    if preds_S.dim() != 2 or preds_S.shape != preds_T.shape:
        raise ValueError(
            f'{name}: student and teacher logits must both be [N, C] with the same shape, got student '
            f'{tuple(preds_S.shape)} and teacher {tuple(preds_T.shape)}. Check that teacher and student '
            f'have the same number of classes (num_classes) and the same anchors / RoIs.')
    # the extremes of each tensor instead of an element-wise mask (a NaN propagates into min and max, an infinity is
    # one of them): two fast reductions; which side it was is found only when reporting
    if preds_S.numel() == 0:
        return
    extremes = torch.stack([*torch.aminmax(preds_S.detach()), *torch.aminmax(preds_T.detach())])

    def message() -> str:
        who = 'student' if not bool(torch.isfinite(preds_S).all()) else 'teacher'
        return (f'{name}: the {who} logits contain NaN or Inf. The {who} has diverged (lower the learning rate, '
                f'enable gradient clipping, or check the {who} checkpoint).')

    check(~torch.isfinite(extremes).all(), FloatingPointError, message)


def check_labels(name: str, labels: Tensor, keep: Tensor, num_classes: int, ignore_index: int) -> Tensor:
    """Labels of the kept rows must lie in [0, num_classes] (deferred like :func:`check_logits`).

    Returns:
        Tensor: bool [N], the rows whose label is not a class index or C (ignored or bad).
    """
    unusable = (labels < 0) | (labels > num_classes)
    bad = unusable & keep

    def message() -> str:
        kept = labels[keep]
        return (f'{name}: gt_labels must lie in [0, {num_classes}] ({num_classes} = no target class) or equal '
                f'ignore_index={ignore_index}; got values in [{int(kept.min())}, {int(kept.max())}].')

    check(bad.any(), ValueError, message)
    return unusable | ~keep


def to_float32(x: Tensor) -> Tensor:
    """Upcast half / bfloat16 (AMP) to float32; float32 and float64 pass through unchanged."""
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def weighted_mean(per_row: Tensor, weight: Optional[Tensor]) -> Tensor:
    """Mean of per-row losses, or their ``weight``-weighted mean.

    With weights the result is ``sum(w * l) / sum(w)`` (zero when every weight is zero), so a weighting
    changes which rows matter, not the loss scale.
    """
    if weight is None:
        return per_row.mean()
    return (per_row * weight).sum() / weight.sum().clamp(min=torch.finfo(per_row.dtype).tiny)


def reduce_rows(per_row: Tensor, weight: Optional[Tensor], reduction: str, avg_factor: Optional[float]) -> Tensor:
    """Reduce per-row losses [N] as mmdet's ``weight_reduce_loss`` does, except the default weighted mean.

    - ``'none'``: the (weighted) per-row losses [N]; ``avg_factor`` is ignored, as in mmdet;
    - ``'sum'``: their sum; ``avg_factor`` is an error, as in mmdet;
    - ``'mean'`` with ``avg_factor``: ``sum(w * l) / avg_factor`` (mmdet's normalisation, e.g. by the number of
      positive anchors);
    - ``'mean'`` without it: :func:`weighted_mean`.
    """
    if reduction == 'mean' and avg_factor is None:
        return weighted_mean(per_row, weight)
    if weight is not None:
        per_row = per_row * weight
    if reduction == 'none':
        return per_row
    if reduction == 'sum':
        if avg_factor is not None:
            raise ValueError('avg_factor can not be used with reduction="sum" (as in mmdet).')
        return per_row.sum()
    return per_row.sum() / (avg_factor + torch.finfo(torch.float32).eps)


class LogitDistillLoss(nn.Module):
    """Base class: float32 computation, ``ignore_index`` rows, empty input, finiteness, weights, reductions.

    Subclasses implement :meth:`loss_rows`, the paper's loss of each row (shape [N]); a loss whose rows are
    coupled (DIST) overrides :meth:`reduce` and sets ``couples_rows``.

    Args:
        loss_weight (float): Multiplier of the returned loss. Defaults to 1.0.
        ignore_index (int): Rows whose label equals it are dropped. Defaults to -1.
        reduction (str): 'mean' (default: the mean over rows, or the weighted mean), 'sum' or 'none' (the
            per-row losses, in the input's row order, 0 for ignored rows).
    """

    #: Whether :meth:`loss_rows` needs the label of each row (PLD, DKD).
    needs_labels: bool = False
    #: Whether the rows are coupled (no per-row losses, so no ``reduction='none'``).
    couples_rows: bool = False
    #: Whether ``weight`` may weight rows (DIST: it can only select them).
    takes_row_weights: bool = True
    #: Whether a row-coupled loss takes the kept rows as a 0/1 ``weight`` (DIST) instead of a selection of them.
    masks_rows: bool = False

    def __init__(self, loss_weight: float = 1.0, ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.ignore_index = int(ignore_index)
        self.reduction = self._check_reduction(reduction)

    def _check_reduction(self, reduction: str) -> str:
        name = type(self).__name__
        if reduction not in REDUCTIONS:
            raise ValueError(f'{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}.')
        if reduction == 'none' and self.couples_rows:
            raise ValueError(f"{name}: reduction='none' is not available: its terms couple the rows of a batch, so "
                             "there is no per-row loss. Use 'mean' or 'sum'.")
        return reduction

    def loss_rows(self, preds_S: Tensor, preds_T: Tensor, labels: Optional[Tensor]) -> Tensor:
        """Per-row loss [N] of float32 logits; ``labels`` is None or int64 [N] without ignored rows."""
        raise NotImplementedError

    def reduce(self, preds_S: Tensor, preds_T: Tensor, labels: Optional[Tensor], weight: Optional[Tensor],
               reduction: str = 'mean', avg_factor: Optional[float] = None) -> Tensor:
        """Reduce the kept rows (see :func:`reduce_rows`)."""
        return reduce_rows(self.loss_rows(preds_S, preds_T, labels), weight, reduction, avg_factor)

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                gt_labels: Optional[Tensor] = None,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits [N, C], any float dtype (computed in float32).
            preds_T (Tensor): Teacher logits [N, C]; never receives a gradient.
            gt_labels (Tensor, optional): int64 [N]. ``ignore_index`` drops a row; the value C (mmdet's
                background label of a sigmoid head) means "no target class" for the losses that use labels.
                A floating-point tensor here is the ``weight`` (mmdet's positional call).
            weight (Tensor, optional): Non-negative per-row weights [N].
            avg_factor (float, optional): Divide the weighted sum by it instead of averaging (mmdet).
            reduction_override (str, optional): 'mean', 'sum' or 'none' for this call.

        Returns:
            Tensor: float32, multiplied by ``loss_weight``: a scalar, or [N] for ``reduction='none'``.
        """
        name = type(self).__name__
        if gt_labels is not None and gt_labels.is_floating_point():  # mmdet: loss(pred, target, weight)
            if weight is not None:
                raise ValueError(f'{name}: the third argument is floating point, so it is the weight (mmdet\'s '
                                 'call), but weight= is given too. Pass integer gt_labels, or one weight.')
            gt_labels, weight = None, gt_labels
        reduction = self._check_reduction(reduction_override) if reduction_override else self.reduction
        check_logits(name, preds_S, preds_T)
        if self.needs_labels and gt_labels is None:
            raise ValueError(f'{name} needs gt_labels: call it as loss(preds_S, preds_T, gt_labels).')
        num_rows = preds_S.size(0)
        preds_S = to_float32(preds_S)
        preds_T = preds_T.detach().to(preds_S.dtype)
        if weight is not None:
            if weight.shape not in ((num_rows, ), (num_rows, 1)):
                raise ValueError(f'{name}: weight must hold one value per row, shape [{num_rows}], got '
                                 f'{tuple(weight.shape)} (these losses are per row of logits, not per element).')
            weight = weight.detach().reshape(-1).to(preds_S.dtype)
        keep = None
        if gt_labels is not None:
            gt_labels = gt_labels.long()
            if gt_labels.shape != (num_rows, ):
                raise ValueError(f'{name}: gt_labels must have shape [N]={num_rows}, got {tuple(gt_labels.shape)}.')
            num_classes = preds_S.size(1)
            keep = gt_labels != self.ignore_index
            unusable = check_labels(name, gt_labels, keep, num_classes, self.ignore_index)
            # ignored rows and, until the check is read, bad labels are computed as "no target class"
            gt_labels = gt_labels.masked_fill(unusable, num_classes)
            if self.couples_rows and not self.masks_rows:  # a batch-level loss must not see the ignored rows
                preds_S, preds_T, gt_labels = preds_S[keep], preds_T[keep], gt_labels[keep]
                weight = None if weight is None else weight[keep]
            else:  # every row is computed (no data-dependent shapes); the ignored ones get weight 0
                weight = keep.to(preds_S.dtype) if weight is None else weight * keep
        if preds_S.size(0) == 0:
            # Keep the graph so that DDP and the optimizer see a (zero) gradient, never a NaN.
            zero = preds_S.sum() * 0.0
            return zero.expand(num_rows) if reduction == 'none' else zero
        return self.loss_weight * self.reduce(preds_S, preds_T, gt_labels, weight, reduction, avg_factor)

    def extra_repr(self) -> str:
        reduction = f", reduction='{self.reduction}'" if self.reduction != 'mean' else ''
        return f'loss_weight={self.loss_weight}{reduction}'
