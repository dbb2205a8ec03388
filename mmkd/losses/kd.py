# Copyright (c) mmkd contributors. All rights reserved.
"""Hinton et al., "Distilling the Knowledge in a Neural Network", 2015."""
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .utils import standardize


def kd_loss(preds_S: Tensor, preds_T: Tensor, tau: float = 4.0, logit_stand: bool = False) -> Tensor:
    """KD of each row: ``tau^2 * KL(softmax(t / tau) || softmax(s / tau))``, summed over classes.

    Args:
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
        tau (float): Temperature.
        logit_stand (bool): Z-score both rows first (logit standardisation, Sun et al. 2024).

    Returns:
        Tensor: Per-row loss [N].
    """
    if logit_stand:
        preds_S, preds_T = standardize(preds_S), standardize(preds_T)
    log_p_s = F.log_softmax(preds_S / tau, dim=1)
    log_p_t = F.log_softmax(preds_T / tau, dim=1)
    return F.kl_div(log_p_s, log_p_t, reduction='none', log_target=True).sum(1) * tau**2


@MODELS.register_module()
class KDLoss(LogitDistillLoss):
    """Hinton knowledge distillation (see :func:`kd_loss`).

    Args:
        tau (float): Temperature. Defaults to 4.0 (CIFAR recipe; ImageNet uses 1.0).
        logit_stand (bool): Apply logit standardisation to both rows. Defaults to False.
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none' (see :class:`LogitDistillLoss`). Defaults to 'mean'.
    """

    def __init__(self, tau: float = 4.0, logit_stand: bool = False, loss_weight: float = 1.0,
                 ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        self.tau = float(tau)
        self.logit_stand = bool(logit_stand)

    def loss_rows(self, preds_S, preds_T, labels):
        return kd_loss(preds_S, preds_T, self.tau, self.logit_stand)

    def extra_repr(self) -> str:
        return f'tau={self.tau}, logit_stand={self.logit_stand}, ' + super().extra_repr()
