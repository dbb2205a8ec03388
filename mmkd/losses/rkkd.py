# Copyright (c) mmkd contributors. All rights reserved.
"""Guan et al., "Kendall's tau Coefficient for Logits Distillation" (RKKD), arXiv 2409.17823 / ICML 2025.

The differentiable Kendall's tau between teacher logits t and student logits s of one row,

    tau_d = 2 / (C (C - 1)) * sum_{i<j} f(Dt_ij, Ds_ij),   Dt_ij = t_i - t_j,  Ds_ij = s_i - s_j,

with the three forms of the paper (the teacher side is detached):

    'tanh'    f = tanh(k Dt) * tanh(k Ds)     (Eq. 10, the paper's best form)
    'product' f = tanh(k * Dt * Ds)           (Eq. 11)
    'sign'    f = sgn(Dt) * tanh(k Ds)        (Eq. 12)

Every f is symmetric in (i, j) and zero on the diagonal, so the i<j sum is half of the full C x C sum, and
d tau_d / d s_i = 2 / (C (C - 1)) * sum_j g_ij with g = df / dDs.

As printed, the papers' Eqs. 5-12 sum f over all ordered pairs (i, j) and still divide by C (C - 1) / 2, which is
twice Kendall's tau, and Eq. 7 writes the smooth sign as 1 - 2 / (1 + e^(k x)) = tanh(k x / 2): the printed
tau_d(k) equals 2 * tau_d(k / 2) above, and the printed loss is its negative. ``RKKDLoss(convention='paper')``
computes exactly that; the default (``'kendall'``) is Kendall's tau itself. A detector has ~10^5 anchors x 80 classes:
the [N, C, C] pair tensor would take tens of GB, so the rows are processed in chunks and the gradient is
computed analytically in the same pass (extra memory O(N C + chunk C^2)). Float32 tensors use a compiled kernel
that never forms a pair tensor where one is available: a fused C++ kernel on the CPU (upper triangle of the pairs,
one exponential per class instead of a tanh per pair for the 'tanh' and 'sign' forms; :mod:`mmkd.ops.cpu_extension`,
built on first use) and a Triton kernel on a GPU (:mod:`mmkd.ops.triton_rkkd`); the chunked PyTorch kernel is the
fallback and the reference they are tested against.
"""
import math
from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from mmkd.ops.cpu_extension import load_cpu_ops, rkkd_tau_and_grad_cpu
from mmkd.ops.rows import rows_with_gradient
from mmkd.ops.triton_rkkd import rkkd_tau_and_grad_triton, triton_available
from mmkd.registry import MODELS
from .base import LogitDistillLoss
from .utils import standardize

FORMS = ('tanh', 'product', 'sign')
NORMALIZATIONS = ('zscore', 'none')
CONVENTIONS = ('kendall', 'paper')
# Elements of one [chunk, C, C] intermediate: 2^21 floats = 8 MB in float32, a few of them live at once.
_CHUNK_ELEMENTS = 2**21


def kendall_pair_terms(dt: Tensor, ds: Tensor, form: str, k: float,
                       with_grad: bool) -> Tuple[Tensor, Optional[Tensor]]:
    """The paper's pair term f(Dt, Ds) and its derivative g = df/dDs, row-summed.

    Args:
        dt (Tensor): Teacher differences Dt_ij [n, C, C] (overwritten in place).
        ds (Tensor): Student differences Ds_ij [n, C, C] (overwritten in place).
        form (str): 'tanh', 'product' or 'sign'.
        k (float): Steepness of the tanh that replaces the sign.
        with_grad (bool): Also return ``sum_j g_ij`` [n, C].

    Returns:
        tuple: ``sum_ij f_ij`` [n] and ``sum_j g_ij`` [n, C] (or None).
    """
    if form == 'product':
        th = (dt * ds).mul_(k).tanh_()                          # f = tanh(k Dt Ds)
        f_sum = th.sum((1, 2))
        if not with_grad:
            return f_sum, None
        # g = k Dt (1 - tanh^2(k Dt Ds))
        return f_sum, dt.mul_(th.mul_(th).neg_().add_(1.0)).sum(2).mul_(k)
    a = dt.sign_() if form == 'sign' else dt.mul_(k).tanh_()   # sgn(Dt) or tanh(k Dt)
    th_s = ds.mul_(k).tanh_()                                   # tanh(k Ds)
    p = th_s.mul_(a) if not with_grad else th_s * a             # f = a * tanh(k Ds)
    f_sum = p.sum((1, 2))
    if not with_grad:
        return f_sum, None
    # g = k a (1 - tanh^2(k Ds)) = k (a - f tanh(k Ds))
    g_sum = a.sum(2).sub_(p.mul_(th_s).sum(2)).mul_(k)
    return f_sum, g_sum


def rkkd_tau_and_grad_chunked(preds_S: Tensor, preds_T: Tensor, form: str, k: float, chunk_size: int,
                              with_grad: bool) -> Tuple[Tensor, Optional[Tensor]]:
    """tau_d per row and (``with_grad``) its gradient w.r.t. ``preds_S``, computed in chunks of rows with PyTorch
    (the reference of the compiled kernels; see :func:`rank_kendall_tau`)."""
    n, c = preds_S.shape
    tau = preds_S.new_empty(n)
    grad = preds_S.new_empty(n, c) if with_grad else None
    scale = 1.0 / (c * (c - 1))   # full C x C sum = 2 * (i<j sum); 2 / (C (C-1)) / 2
    with torch.no_grad():
        for start in range(0, n, chunk_size):
            s = preds_S[start:start + chunk_size]
            t = preds_T[start:start + chunk_size]
            ds = s[:, :, None] - s[:, None, :]
            dt = t[:, :, None] - t[:, None, :]
            f_sum, g_sum = kendall_pair_terms(dt, ds, form, k, with_grad)
            tau[start:start + chunk_size] = f_sum * scale
            if with_grad:
                grad[start:start + chunk_size] = g_sum * (2.0 * scale)
    return tau, grad


def select_channels(preds_S: Tensor, preds_T: Tensor, topk: Union[int, float, None],
                    mink: Union[int, float, None]) -> Tuple[Tensor, Tensor]:
    """Keep the ``topk`` largest or ``mink`` smallest channels of each row by teacher logit (paper Fig. 4).

    An int is a number of channels; a float in (0, 1] is a fraction of C (at least 2 channels).
    """
    if topk is None and mink is None:
        return preds_S, preds_T
    amount = topk if topk is not None else mink
    c = preds_T.size(1)
    num = amount if isinstance(amount, int) else math.ceil(amount * c)
    num = max(2, min(int(num), c))
    idx = preds_T.topk(num, dim=1, largest=topk is not None, sorted=False).indices
    return preds_S.gather(1, idx), preds_T.gather(1, idx)


def rank_kendall_tau(preds_S: Tensor,
                     preds_T: Tensor,
                     form: str = 'tanh',
                     k: float = 1.0,
                     normalize: str = 'zscore',
                     topk: Union[int, float, None] = None,
                     mink: Union[int, float, None] = None,
                     chunk_size: Optional[int] = None) -> Tensor:
    """Differentiable Kendall's tau_d of each row (in [-1, 1]; 1 = the teacher's order).

    Args:
        preds_S (Tensor): Student logits [N, C], C >= 2.
        preds_T (Tensor): Teacher logits [N, C] (no gradient flows to it).
        form (str): 'tanh' (Eq. 10), 'product' (Eq. 11) or 'sign' (Eq. 12).
        k (float): Steepness of the tanh.
        normalize (str): 'zscore' standardises each row of both logit vectors first (order-preserving; makes
            k independent of the logit scale and avoids the early gradient explosions of a random student),
            'none' uses the raw logits.
        topk (int | float, optional): Only the channels with the largest teacher logits.
        mink (int | float, optional): Only the channels with the smallest teacher logits.
        chunk_size (int, optional): Rows per chunk of the PyTorch kernel; by default about 2M pair elements per
            chunk. Left at None, float32 tensors use a compiled kernel where there is one: Triton on a GPU
            (:mod:`mmkd.ops.triton_rkkd`), the C++ extension on the CPU (:mod:`mmkd.ops.cpu_extension`); giving it
            forces the chunked PyTorch kernel.

    Returns:
        Tensor: tau_d per row [N].
    """
    if normalize == 'zscore':
        preds_S, preds_T = standardize(preds_S), standardize(preds_T)
    preds_S, preds_T = select_channels(preds_S, preds_T, topk, mink)
    preds_T = preds_T.detach()
    if chunk_size is None:  # a compiled kernel when there is one for these tensors
        if preds_S.is_cuda and preds_S.dtype == torch.float32 and triton_available(preds_S):
            return rows_with_gradient(rkkd_tau_and_grad_triton, preds_S, preds_T.contiguous(), form, float(k))
        if (preds_S.device.type == 'cpu' and preds_S.dtype == torch.float32 and preds_S.size(1) >= 2
                and form in FORMS and load_cpu_ops() is not None):
            return rows_with_gradient(rkkd_tau_and_grad_cpu, preds_S.contiguous(), preds_T.contiguous(), form,
                                      float(k))
        c = preds_S.size(1)
        chunk_size = max(1, _CHUNK_ELEMENTS // (c * c))
    return rows_with_gradient(rkkd_tau_and_grad_chunked, preds_S, preds_T, form, float(k), int(chunk_size))


@MODELS.register_module(name=['RKKDLoss', 'RankKendallLoss'])
class RKKDLoss(LogitDistillLoss):
    """RKKD: ``loss_weight * (1 - tau_d)`` averaged over rows (see :func:`rank_kendall_tau`).

    The paper minimises ``-tau_d``; the shift by 1 (same gradient) keeps the loss in [0, 2]. It reaches 0 only in
    the limit k -> infinity: at finite k, tanh < 1, so even the teacher's exact order leaves a positive loss. Used
    as a plug-and-play term beside KD, DKD, DIST, ... with ``loss_weight`` equal to the KD weight (paper).
    ``convention='paper'`` follows the printed Eqs. 5-12 instead: ``loss_weight * -tau_printed`` with
    ``tau_printed(k) = 2 * tau_d(k / 2)`` (see the module docstring), so the papers' gamma and k can be used as
    printed; with the default convention the same loss and gradient are ``loss_weight = 2 * gamma`` and
    ``k = k_paper / 2`` (up to the constant). Registered as ``RKKDLoss`` and, for configs written before the
    rename, ``RankKendallLoss``.

    Args:
        form (str): 'tanh', 'product' or 'sign'. Defaults to 'tanh'.
        k (float): Steepness. Defaults to 1.0.
        normalize (str): 'zscore' (default; the stable choice) or 'none'.
        topk (int | float, optional): Use only the top channels by teacher logit.
        mink (int | float, optional): Use only the bottom channels by teacher logit.
        chunk_size (int, optional): Rows per chunk (memory bound). Defaults to automatic.
        convention (str): 'kendall' (default: Kendall's tau, ``1 - tau_d``) or 'paper' (the printed equations,
            ``-tau_printed``).
        loss_weight (float): Multiplier. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none' (see :class:`LogitDistillLoss`). Defaults to 'mean'.
    """

    def __init__(self,
                 form: str = 'tanh',
                 k: float = 1.0,
                 normalize: str = 'zscore',
                 topk: Union[int, float, None] = None,
                 mink: Union[int, float, None] = None,
                 chunk_size: Optional[int] = None,
                 convention: str = 'kendall',
                 loss_weight: float = 1.0,
                 ignore_index: int = -1,
                 reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        if form not in FORMS:
            raise ValueError(f'RKKDLoss: form must be one of {FORMS}, got {form!r}.')
        if normalize not in NORMALIZATIONS:
            raise ValueError(f'RKKDLoss: normalize must be one of {NORMALIZATIONS}, got {normalize!r}.')
        if topk is not None and mink is not None:
            raise ValueError('RKKDLoss: give topk or mink, not both.')
        for name, val in (('topk', topk), ('mink', mink)):
            if val is not None and not ((isinstance(val, int) and val >= 2) or
                                        (isinstance(val, float) and 0 < val <= 1)):
                raise ValueError(f'RKKDLoss: {name} must be an int >= 2 (channels) or a float in '
                                 f'(0, 1] (fraction of the classes), got {val!r}.')
        if k <= 0:
            raise ValueError(f'RKKDLoss: k must be > 0, got {k}.')
        if convention not in CONVENTIONS:
            raise ValueError(f'RKKDLoss: convention must be one of {CONVENTIONS}, got {convention!r}.')
        self.convention = convention
        self.form, self.k, self.normalize = form, float(k), normalize
        self.topk, self.mink, self.chunk_size = topk, mink, chunk_size

    def loss_rows(self, preds_S, preds_T, labels):
        if preds_S.size(1) < 2:
            raise ValueError('RKKDLoss needs at least 2 classes to rank.')
        if self.convention == 'paper':  # the printed Eqs. 5-12: twice tau_d, sigmoid form tanh(k x / 2)
            return -2.0 * rank_kendall_tau(preds_S, preds_T, self.form, self.k / 2, self.normalize, self.topk,
                                           self.mink, self.chunk_size)
        tau = rank_kendall_tau(preds_S, preds_T, self.form, self.k, self.normalize, self.topk, self.mink,
                               self.chunk_size)
        return 1.0 - tau

    def extra_repr(self) -> str:
        return (f'form={self.form!r}, k={self.k}, normalize={self.normalize!r}, topk={self.topk}, '
                f'mink={self.mink}, convention={self.convention!r}, ' + super().extra_repr())


#: The name of the class before it was renamed (configs may still say ``type='RankKendallLoss'``).
RankKendallLoss = RKKDLoss
