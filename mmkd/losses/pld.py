# Copyright (c) mmkd contributors. All rights reserved.
"""Bassam et al., "PLD: A Choice-Theoretic List-Wise Knowledge Distillation", NeurIPS 2025."""
from typing import Optional, Union

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from mmkd.ops.cpu_extension import argsort_rows_cpu, load_cpu_ops, pld_loss_and_grad_cpu
from mmkd.ops.rows import rows_with_gradient
from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .utils import logit_stand_mode, standardize_pair

#: the weight of each rank: the teacher's probability (PLD), uniform 1/C (PLD-ListMLE), or P-ListMLE's
#: position weights (PLD Table 6)
PLD_WEIGHTS = ('teacher', 'uniform', 'position')


def teacher_optimal_permutation(preds_T: Tensor, labels: Optional[Tensor] = None) -> Tensor:
    """pi*: the true label first, then the other classes by descending teacher logit.

    Args:
        preds_T (Tensor): Teacher logits [N, C].
        labels (Tensor, optional): int64 [N] in [0, C]. A row labelled C (no target class, e.g. a
            background anchor of a sigmoid detection head) and all rows when ``labels`` is None follow the
            teacher's order alone. Ties keep the class order (stable sort).

    Returns:
        Tensor: int64 [N, C], the class at each rank.
    """
    keys = preds_T
    if labels is not None:  # the label's key becomes +inf (a row labelled C keeps its keys): no host sync
        has_label = labels < preds_T.size(1)
        column = labels.clamp(max=preds_T.size(1) - 1)[:, None]
        label_key = torch.where(has_label[:, None], float('inf'), preds_T.gather(1, column))
        keys = preds_T.scatter(1, column, label_key)
    perm = argsort_rows_cpu(keys, descending=True)  # the C++ kernel for CPU float32 (several times torch's speed)
    return perm if perm is not None else keys.argsort(dim=1, descending=True, stable=True)


def position_weights(num_classes: int) -> Tensor:
    """P-ListMLE's decreasing position weights (Lan et al., UAI 2014), ``alpha_k = 2^(C-k) - 1`` for ranks
    k = 1 ... C, normalised to sum 1 as PLD's are. Computed in float64 as ``2^-k (1 - 2^(k-C))`` over the same sum,
    so a large C does not overflow; the last rank gets 0.

    Returns:
        Tensor: float64 [C].
    """
    k = torch.arange(1, num_classes + 1, dtype=torch.float64)
    raw = torch.exp2(-k) * (1.0 - torch.exp2(k - num_classes))
    return raw / raw.sum()


class _PlackettLuceRows(torch.autograd.Function):
    """Per-row Plackett-Luce NLL of student logits in a fixed order, with its closed-form gradient.

    With ``s`` the student logits in the order ``perm`` and the suffix log-sum-exps ``L_k = log sum_{m>=k} e^{s_m}``:

        loss = sum_k alpha_k (L_k - s_k),    d loss / d s_m = sum_{k<=m} alpha_k e^{s_m - L_k} - alpha_m
                                                           = e^{s_m - M} sum_{k<=m} alpha_k / S_k - alpha_m,

    where ``S_k = sum_{m>=k} e^{s_m - M}`` for the row maximum M. One reversed cumulative sum gives every S_k and one
    forward cumulative sum the gradient: no autograd through ``logcumsumexp`` (whose backward runs two more). After
    the shift by M nothing overflows; terms more than ~87 below a row's maximum underflow to 0 in float32 (float64
    inputs are computed in float64), and ``L_k >= s_k`` and ``0 <= e^{s_m - L_k} <= 1`` are enforced, so the loss
    and the gradient stay finite for any finite logits.
    """

    @staticmethod
    def forward(ctx, preds_S: Tensor, perm: Tensor, alpha: Tensor) -> Tensor:
        s = preds_S.gather(1, perm)
        shifted = s - s.amax(1, keepdim=True)
        e = shifted.exp()
        suffix = e.flip(1).cumsum(1).flip(1)
        lse_minus_s = suffix.log().sub_(shifted).clamp_min_(0.0)  # L_k - s_k >= 0
        ctx.save_for_backward(perm, alpha, e, suffix)
        return (alpha * lse_minus_s).sum(1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        perm, alpha, e, suffix = ctx.saved_tensors
        prefix = (alpha / suffix.clamp_min(torch.finfo(suffix.dtype).tiny)).cumsum(1)
        # e * prefix <= 1 (a sum of alpha-weighted probabilities); 0 * inf (underflow) is 0
        grad_sorted = (e * prefix).nan_to_num_(nan=0.0).clamp_max_(1.0).sub_(alpha).mul_(grad_out[:, None])
        return torch.empty_like(grad_sorted).scatter_(1, perm, grad_sorted), None, None


def pld_loss(preds_S: Tensor, preds_T: Tensor, labels: Optional[Tensor] = None, tau: float = 1.0,
             weights: str = 'teacher', logit_stand: Union[bool, str] = False) -> Tensor:
    """Plackett-Luce distillation of each row.

    ``L = sum_k alpha_k * (logsumexp(s[pi*_k], ..., s[pi*_C]) - s[pi*_k])`` with
    ``alpha_k = softmax(t / tau)[pi*_k]``: the negative log-likelihood of the teacher-optimal permutation
    under a Plackett-Luce model of the student's logits, each choice weighted by the teacher's confidence.
    One sort and two cumulative sums (forward and the closed-form backward, see :class:`_PlackettLuceRows`):
    O(C log C) per row. No tau^2 (the temperature acts only on the teacher weights).

    Args:
        preds_S (Tensor): Student logits [N, C].
        preds_T (Tensor): Teacher logits [N, C].
        labels (Tensor, optional): See :func:`teacher_optimal_permutation`.
        tau (float): Temperature of the teacher weights.
        weights (str): ``'teacher'`` (PLD), ``'uniform'`` (1/C: PLD-ListMLE) or ``'position'`` (P-ListMLE, see
            :func:`position_weights`).
        logit_stand (bool | str): Logit standardisation first: ``True`` / ``'both'``, ``'teacher'`` (PLD Table 10)
            or ``False`` / ``'none'``. It keeps every row's order, so only the weights and the student's logits
            change.

    Returns:
        Tensor: Per-row loss [N].
    """
    preds_S, preds_T = standardize_pair(preds_S, preds_T, logit_stand)
    preds_T = preds_T.detach()
    perm = teacher_optimal_permutation(preds_T, labels)
    if weights == 'teacher':
        alpha = (preds_T / tau).softmax(1).gather(1, perm)
    elif weights == 'uniform':
        alpha = preds_S.new_full(perm.shape, 1.0 / perm.size(1))
    else:
        alpha = position_weights(perm.size(1)).to(preds_S)[None].expand(perm.shape)
    alpha = alpha.to(preds_S.dtype)
    if preds_S.device.type == 'cpu' and preds_S.dtype == torch.float32 and load_cpu_ops() is not None:
        return rows_with_gradient(pld_loss_and_grad_cpu, preds_S.contiguous(), perm, alpha.contiguous())
    return _PlackettLuceRows.apply(preds_S, perm, alpha)


@MODELS.register_module()
class PLDLoss(LogitDistillLoss):
    """Plackett-Luce Distillation (see :func:`pld_loss`); replaces CE + KD.

    Rows labelled C (no target class, e.g. background anchors of a sigmoid detection head) use the
    teacher's own order; call without ``gt_labels`` to use it for every row.

    Args:
        tau (float): Temperature of the teacher weights. Defaults to 1.0 (ImageNet; CIFAR used 4.0).
        weights (str): ``'teacher'`` (default, PLD), ``'uniform'`` (PLD-ListMLE) or ``'position'`` (P-ListMLE).
        logit_stand (bool | str): ``False`` (default), ``True`` / ``'both'`` or ``'teacher'`` (PLD Table 10).
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none' (see :class:`LogitDistillLoss`). Defaults to 'mean'.
    """

    def __init__(self, tau: float = 1.0, weights: str = 'teacher', logit_stand: Union[bool, str] = False,
                 loss_weight: float = 1.0, ignore_index: int = -1, reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        if weights not in PLD_WEIGHTS:
            raise ValueError(f'PLDLoss: weights must be one of {PLD_WEIGHTS}, got {weights!r}.')
        self.tau = float(tau)
        self.weights = weights
        self.logit_stand = logit_stand_mode('PLDLoss', logit_stand)

    def loss_rows(self, preds_S, preds_T, labels):
        return pld_loss(preds_S, preds_T, labels, self.tau, self.weights, self.logit_stand)

    def extra_repr(self) -> str:
        return (f'tau={self.tau}, weights={self.weights!r}, logit_stand={self.logit_stand!r}, ' +
                super().extra_repr())
