# Copyright (c) mmkd contributors. All rights reserved.
"""The contract every mmkd logit-distillation loss shares.

``loss(preds_S, preds_T[, gt_labels][, weight])`` with ``preds_*`` of shape [N, C] returns a scalar already
multiplied by ``loss_weight``: the paper's per-row sum over classes / ranks / pairs, averaged over rows.
"""
from typing import Optional

import torch
from torch import Tensor, nn


def check_logits(name: str, preds_S: Tensor, preds_T: Tensor) -> None:
    """Raise one clear error when the logits cannot be distilled.

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
    for who, x in (('student', preds_S), ('teacher', preds_T)):
        if not bool(torch.isfinite(x).all()):
            raise FloatingPointError(
                f'{name}: the {who} logits contain NaN or Inf. The {who} has diverged (lower the learning '
                f'rate, enable gradient clipping, or check the {who} checkpoint).')


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


class LogitDistillLoss(nn.Module):
    """Base class: float32 computation, ``ignore_index`` rows, empty input, finiteness and weights.

    Subclasses implement :meth:`loss_rows`, the paper's loss of each row (shape [N]).

    Args:
        loss_weight (float): Multiplier of the returned loss. Defaults to 1.0.
        ignore_index (int): Rows whose label equals it are dropped. Defaults to -1.
    """

    #: Whether :meth:`loss_rows` needs the label of each row (PLD, DKD).
    needs_labels: bool = False

    def __init__(self, loss_weight: float = 1.0, ignore_index: int = -1) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.ignore_index = int(ignore_index)

    def loss_rows(self, preds_S: Tensor, preds_T: Tensor, labels: Optional[Tensor]) -> Tensor:
        """Per-row loss [N] of float32 logits; ``labels`` is None or int64 [N] without ignored rows."""
        raise NotImplementedError

    def reduce(self, preds_S: Tensor, preds_T: Tensor, labels: Optional[Tensor],
               weight: Optional[Tensor]) -> Tensor:
        """Reduce the kept rows to a scalar; the default is the (weighted) mean of :meth:`loss_rows`."""
        return weighted_mean(self.loss_rows(preds_S, preds_T, labels), weight)

    def forward(self,
                preds_S: Tensor,
                preds_T: Tensor,
                gt_labels: Optional[Tensor] = None,
                weight: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student logits [N, C], any float dtype (computed in float32).
            preds_T (Tensor): Teacher logits [N, C]; never receives a gradient.
            gt_labels (Tensor, optional): int64 [N]. ``ignore_index`` drops a row; the value C (mmdet's
                background label of a sigmoid head) means "no target class" for the losses that use labels.
            weight (Tensor, optional): Non-negative per-row weights [N].

        Returns:
            Tensor: A float32 scalar multiplied by ``loss_weight``.
        """
        name = type(self).__name__
        check_logits(name, preds_S, preds_T)
        if self.needs_labels and gt_labels is None:
            raise ValueError(f'{name} needs gt_labels: call it as loss(preds_S, preds_T, gt_labels).')
        preds_S = to_float32(preds_S)
        preds_T = preds_T.detach().to(preds_S.dtype)
        if gt_labels is not None:
            gt_labels = gt_labels.long()
            if gt_labels.shape != preds_S.shape[:1]:
                raise ValueError(f'{name}: gt_labels must have shape [N]={tuple(preds_S.shape[:1])}, '
                                 f'got {tuple(gt_labels.shape)}.')
            keep = gt_labels != self.ignore_index
            if not bool(keep.all()):
                preds_S, preds_T, gt_labels = preds_S[keep], preds_T[keep], gt_labels[keep]
                weight = None if weight is None else weight[keep]
            num_classes = preds_S.size(1)
            if gt_labels.numel() and (gt_labels.min() < 0 or gt_labels.max() > num_classes):
                raise ValueError(
                    f'{name}: gt_labels must lie in [0, {num_classes}] ({num_classes} = no target class) or '
                    f'equal ignore_index={self.ignore_index}; got values in '
                    f'[{int(gt_labels.min())}, {int(gt_labels.max())}].')
        if weight is not None:
            weight = weight.detach().to(preds_S.dtype)
        if preds_S.size(0) == 0:
            # Keep the graph so that DDP and the optimizer see a (zero) gradient, never a NaN.
            return preds_S.sum() * 0.0
        return self.loss_weight * self.reduce(preds_S, preds_T, gt_labels, weight)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'
