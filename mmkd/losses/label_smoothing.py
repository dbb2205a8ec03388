# Copyright (c) mmkd contributors. All rights reserved.
"""Cross-entropy with label smoothing (Szegedy et al. 2016): the "LS" baseline of PLD Table 5."""
from typing import Optional

import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor, nn

from mmkd.registry import MODELS
from .base import to_float32


def label_smoothing_ce(cls_score: Tensor, label: Tensor, label_smoothing: float = 0.1) -> Tensor:
    """Cross-entropy of each row against ``(1 - eps) * one_hot(label) + eps / C``.

    Args:
        cls_score (Tensor): Logits [N, C].
        label (Tensor): int64 [N].
        label_smoothing (float): eps in [0, 1).

    Returns:
        Tensor: Per-row loss [N].
    """
    return F.cross_entropy(to_float32(cls_score), label, reduction='none', label_smoothing=label_smoothing)


@MODELS.register_module()
class LabelSmoothingCrossEntropyLoss(nn.Module):
    """A classifier's ``loss_cls`` with label smoothing, called as mmdet calls its losses.

    Args:
        label_smoothing (float): eps. Defaults to 0.1 (PLD Table 5).
        reduction (str): 'mean', 'sum' or 'none'. Defaults to 'mean'.
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, label_smoothing: float = 0.1, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0 <= label_smoothing < 1:
            raise ValueError(f'LabelSmoothingCrossEntropyLoss: label_smoothing must lie in [0, 1), got '
                             f'{label_smoothing}.')
        self.label_smoothing, self.reduction, self.loss_weight = float(label_smoothing), reduction, float(loss_weight)

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None) -> Tensor:
        reduction = reduction_override or self.reduction
        loss = label_smoothing_ce(cls_score, label, self.label_smoothing)
        return self.loss_weight * weight_reduce_loss(loss, weight, reduction, avg_factor)
