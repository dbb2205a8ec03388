# Copyright (c) mmkd contributors. All rights reserved.
"""Jin et al., "Multi-Level Logit Distillation" (MLKD), CVPR 2023.

MLKD distils on two views of every image, weak (crop + flip) and strong (the same + RandAugment + Cutout), at
several temperatures, on three levels: instance (KD of each row), batch (the B x B Gram matrix of the softened
predictions) and class (the C x C one). Its confidence masks come from the teacher's predictions on the weak
view. The rows a loss receives are the weak view's B rows followed by the strong view's B rows (``MLKDDistiller``).

As the official code (Jin-Ying/Multi-Level-Logit-Distillation, ``KD_ours``), which this follows where the paper
is silent, including where the two differ:

- the masks keep the *less* confident half: ``confidence <= median`` (rows, by the teacher's top probability on the
  weak view) and ``class confidence <= median`` (classes, by the summed probabilities);
- each masked term is a batch-mean loss multiplied by the mask and averaged, i.e. scaled by the masked fraction;
- the instance level sums KD at the temperatures (4, 3, 5, 2, 6) on the weak view (masked) and on the strong
  view (not masked), where the strong sum computes its T = 2 and T = 6 terms on the weak view again;
- the batch and class levels use the weak view only (the strong-view terms the code computes are not trained on);
- each term is multiplied by the KD weight (0.9), and CE is taken on both views (``MLKDDistiller``).
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS
from .base import LogitDistillLoss

TEMPERATURES = (4.0, 3.0, 5.0, 2.0, 6.0)


def split_views(preds: Tensor) -> Tuple[Tensor, Tensor]:
    """[2B, C] rows (weak view first) -> the weak and the strong view's [B, C]."""
    if preds.size(0) % 2:
        raise ValueError(f'MLKD losses need the rows of two views (weak then strong, as MLKDDistiller gives them); '
                         f'got {preds.size(0)} rows.')
    return preds.chunk(2)


def kd_mean(preds_S: Tensor, preds_T: Tensor, tau: float) -> Tensor:
    """KD averaged over the rows: ``tau^2 * mean_rows KL(softmax(t / tau) || softmax(s / tau))``."""
    log_p_s = F.log_softmax(preds_S / tau, dim=1)
    return F.kl_div(log_p_s, F.softmax(preds_T / tau, dim=1), reduction='none').sum(1).mean() * tau**2


def gram_loss(preds_S: Tensor, preds_T: Tensor, tau: float, level: str) -> Tensor:
    """MLKD's correlation alignment: the squared difference of the Gram matrices of the softened predictions,
    ``P P^T`` (B x B, ``'batch'``, divided by B) or ``P^T P`` (C x C, ``'class'``, divided by C)."""
    p_s, p_t = F.softmax(preds_S / tau, dim=1), F.softmax(preds_T / tau, dim=1)
    if level == 'batch':
        return ((p_t @ p_t.t() - p_s @ p_s.t())**2).sum() / preds_S.size(0)
    return ((p_t.t() @ p_t - p_s.t() @ p_s)**2).sum() / preds_S.size(1)


def confidence_masks(preds_T_weak: Tensor) -> Tuple[Tensor, Tensor]:
    """The rows and the classes at or below the median confidence of the teacher's weak-view predictions
    (``torch.quantile``'s median is ``np.percentile(x, 50)``; no host synchronisation)."""
    probs = F.softmax(preds_T_weak.detach(), dim=1)
    confidence = probs.max(dim=1).values
    class_confidence = probs.sum(dim=0)
    return confidence <= torch.quantile(confidence, 0.5), class_confidence <= torch.quantile(class_confidence, 0.5)


def mlkd_instance_loss(preds_S: Tensor, preds_T: Tensor, temperatures: Sequence[float] = TEMPERATURES,
                       strong_terms_on_weak: Sequence[float] = (2.0, 6.0)) -> Tensor:
    """MLKD's instance level on [weak; strong] rows (see the module docstring).

    Args:
        preds_S (Tensor): Student logits [2B, C], weak view first.
        preds_T (Tensor): Teacher logits [2B, C].
        temperatures (Sequence[float]): The temperatures. Defaults to (4, 3, 5, 2, 6).
        strong_terms_on_weak (Sequence[float]): The temperatures whose "strong" term the official code computes on
            the weak view. Defaults to (2, 6); ``()`` computes every strong term on the strong view.

    Returns:
        Tensor: A scalar.
    """
    s_weak, s_strong = split_views(preds_S)
    t_weak, t_strong = split_views(preds_T)
    row_mask, _ = confidence_masks(t_weak)
    kept = row_mask.to(preds_S.dtype).mean()
    weak = sum(kd_mean(s_weak, t_weak, tau) * kept for tau in temperatures)
    strong = sum(kd_mean(s_weak, t_weak, tau) if tau in strong_terms_on_weak else kd_mean(s_strong, t_strong, tau)
                 for tau in temperatures)
    return weak + strong


def mlkd_correlation_loss(preds_S: Tensor, preds_T: Tensor, level: str,
                          temperatures: Sequence[float] = TEMPERATURES) -> Tensor:
    """MLKD's batch or class level on the weak view, masked as the official code (see the module docstring)."""
    s_weak, _ = split_views(preds_S)
    t_weak, _ = split_views(preds_T)
    row_mask, class_mask = confidence_masks(t_weak)
    kept = (row_mask if level == 'batch' else class_mask).to(preds_S.dtype).mean()
    return sum(gram_loss(s_weak, t_weak, tau, level) * kept for tau in temperatures)


class _MLKDLoss(LogitDistillLoss):
    """Shared by the three levels: batch-coupled rows of two views, no per-row loss or weight."""

    couples_rows = True
    takes_row_weights = False

    def __init__(self, temperatures: Sequence[float] = TEMPERATURES, loss_weight: float = 1.0,
                 ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        if reduction != 'mean':
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' (its terms are batch-level).")
        self.temperatures = tuple(float(t) for t in temperatures)

    def reduce(self, preds_S, preds_T, labels, weight, reduction='mean', avg_factor=None):
        if weight is not None or avg_factor is not None:
            raise ValueError(f'{type(self).__name__}: MLKD\'s terms are batch-level; weight and avg_factor do '
                             'not apply.')
        return self.level_loss(preds_S, preds_T)

    def extra_repr(self) -> str:
        return f'temperatures={self.temperatures}, ' + super().extra_repr()


@MODELS.register_module()
class MLKDInstanceLoss(_MLKDLoss):
    """MLKD's instance level (:func:`mlkd_instance_loss`), logged as ``loss_kd`` in the official code.

    Args:
        temperatures (Sequence[float]): Defaults to (4, 3, 5, 2, 6).
        strong_terms_on_weak (Sequence[float]): See :func:`mlkd_instance_loss`. Defaults to (2, 6).
        loss_weight (float): The KD weight. Defaults to 1.0 (the official recipe: 0.9).
    """

    def __init__(self, temperatures: Sequence[float] = TEMPERATURES, strong_terms_on_weak: Sequence[float] = (2.0, 6.0),
                 loss_weight: float = 1.0, ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(temperatures, loss_weight, ignore_index, reduction)
        self.strong_terms_on_weak = tuple(float(t) for t in strong_terms_on_weak)

    def level_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return mlkd_instance_loss(preds_S, preds_T, self.temperatures, self.strong_terms_on_weak)


@MODELS.register_module()
class MLKDBatchLoss(_MLKDLoss):
    """MLKD's batch level: the B x B correlation of the weak view (:func:`mlkd_correlation_loss`)."""

    def level_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return mlkd_correlation_loss(preds_S, preds_T, 'batch', self.temperatures)


@MODELS.register_module()
class MLKDClassLoss(_MLKDLoss):
    """MLKD's class level: the C x C correlation of the weak view (:func:`mlkd_correlation_loss`)."""

    def level_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return mlkd_correlation_loss(preds_S, preds_T, 'class', self.temperatures)
