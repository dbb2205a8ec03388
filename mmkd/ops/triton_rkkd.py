# Copyright (c) mmkd contributors. All rights reserved.
"""Triton kernel for RKKD's differentiable Kendall's tau and its analytic gradient (see :mod:`mmkd.losses.rkkd`).

For each row of [N, C] logits the kernel computes, without any [N, C, C] (or [C, C]) intermediate in memory,

    tau_n    = scale * sum_{i,j} f(Dt_ij, Ds_ij),            scale = 1 / (C (C - 1)),
    grad_n,i = 2 * scale * sum_j g_ij,                      g = df / dDs,

for the forms 'tanh' (f = tanh(k Dt) tanh(k Ds)), 'product' (f = tanh(k Dt Ds)) and 'sign'
(f = sgn(Dt) tanh(k Ds)), exactly as :func:`mmkd.losses.rkkd.rkkd_tau_and_grad_chunked`.

Design: the grid is (row blocks, class-i tiles). A program owns ``BLOCK_R`` rows x ``BLOCK_I`` classes i, loads
their logits once, and walks the class dimension j in tiles of ``BLOCK_J``: the pair tile
[BLOCK_R, BLOCK_I, BLOCK_J] lives in registers only; f and g are added elementwise into two float32 accumulators
of the same shape, reduced over j once after the loop. The gradient of the i tile is then complete and is stored
directly; the f sum of the tile is stored as one partial per (row, i tile) and the wrapper adds the few partials of
a row, so the result is deterministic (no atomics). Extra memory: O(N * ceil(C / BLOCK_I)).

tanh is evaluated from ``e = exp(-2 |x|)`` (never overflows, underflows to 0) and, for ``|x| < 0.625``, from an
odd polynomial (no cancellation in ``1 - e``); for larger |x| sech^2 is ``4 e / (1 + e)^2`` (not ``1 - tanh^2``),
so x = +-inf gives exactly +-1 and 0. Hence any finite input (even one whose ``t_i - t_j`` overflows float32) gives
a finite tau and gradient: 'tanh' and 'sign' need nothing else (their g is bounded by k); the product form clamps
``k Dt`` and ``Ds`` to +-1e38 (no ``inf * 0``; tau is unchanged unless |Ds| is subnormal) and scales each g by
``2 scale`` before the sum, so a gradient whose true value exceeds float32 saturates instead of overflowing.

Under ``TRITON_INTERPRET=1`` (set before triton is imported) the kernel runs on CPU tensors through Triton's
interpreter, which the tests use; :func:`triton_available` tells which tensors the wrapper can take.
"""
from contextlib import nullcontext
from typing import Optional, Tuple, Union

import torch
from torch import Tensor

try:
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the environment
    triton = None
    tl = None

FORMS = ('tanh', 'product', 'sign')
#: Bound on |k Dt| and |Ds| in the product form: k Dt Ds without inf * 0, 2 scale k Dt sech^2 summed without overflow.
PRODUCT_CLAMP = 1e38
#: Target pair-tile size BLOCK_R * BLOCK_I * BLOCK_J (elements of each live [R, I, J] temporary per program).
_TILE_ELEMENTS = 2048
_INSTALL_HINT = 'the Triton RKKD kernel needs triton: pip install triton'

if triton is not None:
    _BIG = tl.constexpr(PRODUCT_CLAMP)

    @triton.jit
    def _tanh_sech2(x):
        """tanh(x) and sech^2(x) = 1 - tanh^2(x), accurate for every float32 x (inf gives +-1 and 0)."""
        ax = tl.abs(x)
        # Large |x|: tanh = (1 - e) / (1 + e), sech^2 = 4 e / (1 + e)^2 with e = exp(-2|x|) in [0, 1].
        e = tl.exp(-2.0 * ax)
        inv = 1.0 / (1.0 + e)
        th_big = (1.0 - e) * inv
        sech2_big = 4.0 * e * inv * inv
        # Small |x| (< 0.625): odd minimax polynomial (Cephes tanhf), no cancellation; input clamped.
        xs = tl.minimum(ax, 0.625)
        z = xs * xs
        p = ((((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z + 1.33314422036e-1) * z
             - 3.33332819422e-1) * z
        th_small = xs + xs * p
        small = ax < 0.625
        th_abs = tl.where(small, th_small, th_big)
        sech2 = tl.where(small, 1.0 - th_small * th_small, sech2_big)
        th = tl.where(x < 0, -th_abs, th_abs)
        return th, sech2

    @triton.jit
    def _rkkd_kernel(s_ptr, t_ptr, part_ptr, grad_ptr, n_rows, n_cls, stride_s, stride_t, stride_g, k, tau_scale,
                     grad_scale, FORM: tl.constexpr, WITH_GRAD: tl.constexpr, BLOCK_R: tl.constexpr,
                     BLOCK_I: tl.constexpr, BLOCK_J: tl.constexpr):
        """One program: rows [pid_r * BLOCK_R, +BLOCK_R) x classes i [pid_i * BLOCK_I, +BLOCK_I), all j."""
        pid_r = tl.program_id(0)
        pid_i = tl.program_id(1)
        n_i_tiles = tl.num_programs(1)
        rows = pid_r * BLOCK_R + tl.arange(0, BLOCK_R)
        cols_i = pid_i * BLOCK_I + tl.arange(0, BLOCK_I)
        row_ok = rows < n_rows
        rows64 = rows.to(tl.int64)
        m_i = row_ok[:, None] & (cols_i < n_cls)[None, :]
        s_i = tl.load(s_ptr + rows64[:, None] * stride_s + cols_i[None, :], mask=m_i, other=0.0).to(tl.float32)
        t_i = tl.load(t_ptr + rows64[:, None] * stride_t + cols_i[None, :], mask=m_i, other=0.0).to(tl.float32)
        s_i3 = s_i[:, :, None]
        t_i3 = t_i[:, :, None]
        # Elementwise accumulators over the j tiles, reduced over j once after the loop (no per-tile shuffles).
        acc_f = tl.zeros((BLOCK_R, BLOCK_I, BLOCK_J), dtype=tl.float32)
        acc_g = tl.zeros((BLOCK_R, BLOCK_I, BLOCK_J), dtype=tl.float32)
        for j0 in range(0, n_cls, BLOCK_J):
            cols_j = j0 + tl.arange(0, BLOCK_J)
            j_ok = cols_j < n_cls
            m_j = row_ok[:, None] & j_ok[None, :]
            s_j = tl.load(s_ptr + rows64[:, None] * stride_s + cols_j[None, :], mask=m_j, other=0.0).to(tl.float32)
            t_j = tl.load(t_ptr + rows64[:, None] * stride_t + cols_j[None, :], mask=m_j, other=0.0).to(tl.float32)
            # Pair tile [BLOCK_R, BLOCK_I, BLOCK_J], registers only. Dt, Ds may be +-inf (finite inputs whose
            # difference overflows): tanh and sech^2 handle that; only the product form multiplies two of them.
            ds = s_i3 - s_j[:, None, :]
            dt = t_i3 - t_j[:, None, :]
            if FORM == 'product':
                # Clamped factors: no inf * 0; tanh(k Dt Ds) is exact unless |Ds| is subnormal.
                kdt = tl.minimum(tl.maximum(k * dt, -_BIG), _BIG)
                f, sech2 = _tanh_sech2(kdt * tl.minimum(tl.maximum(ds, -_BIG), _BIG))    # f = tanh(k Dt Ds)
                g = (kdt * grad_scale) * sech2             # g = k Dt sech^2(k Dt Ds), pre-scaled: no overflow
            else:
                if FORM == 'sign':
                    a = tl.where(dt > 0, 1.0, tl.where(dt < 0, -1.0, 0.0))  # sgn(Dt), sgn(0) = 0
                else:
                    a, _unused = _tanh_sech2(k * dt)       # tanh(k Dt)
                th_s, sech2 = _tanh_sech2(k * ds)
                f = a * th_s                               # f = a tanh(k Ds)
                g = a * sech2                              # g / k = a sech^2(k Ds); k * grad_scale applied at the end
            valid = j_ok[None, None, :]
            acc_f += tl.where(valid, f, 0.0)
            if WITH_GRAD:
                acc_g += tl.where(valid, g, 0.0)
        tau_part = tl.sum(tl.where(m_i, tl.sum(acc_f, axis=2), 0.0), axis=1) * tau_scale
        tl.store(part_ptr + rows64 * n_i_tiles + pid_i, tau_part, mask=row_ok)
        if WITH_GRAD:
            grad_i = tl.sum(acc_g, axis=2)
            if FORM != 'product':
                grad_i = grad_i * (k * grad_scale)
            tl.store(grad_ptr + rows64[:, None] * stride_g + cols_i[None, :], grad_i, mask=m_i)


def _is_interpreted() -> bool:
    """Whether this module's kernel was built by Triton's interpreter (``TRITON_INTERPRET=1`` at import)."""
    return triton is not None and type(_rkkd_kernel).__name__ == 'InterpretedFunction'


def triton_available(device: Union[torch.device, str, Tensor]) -> bool:
    """Whether :func:`rkkd_tau_and_grad_triton` can run on tensors of ``device``.

    True for CUDA devices when triton is importable and CUDA is available, and for CPU when this module was
    imported with ``TRITON_INTERPRET=1`` (Triton's interpreter; slow, for tests).

    Args:
        device (torch.device | str | Tensor): A device, or a tensor whose device is meant.

    Returns:
        bool: True if the Triton kernel can be launched there.
    """
    if triton is None:
        return False
    if isinstance(device, Tensor):
        device = device.device
    device = torch.device(device)
    if device.type == 'cuda':
        return torch.cuda.is_available()
    return device.type == 'cpu' and _is_interpreted()


def _next_pow2(x: int) -> int:
    return 1 << max(0, int(x) - 1).bit_length()


def _pick_block(c: int, candidates: Tuple[int, ...]) -> int:
    """The largest candidate tile width that pads C at most 4 % more than the best one; next_pow2(C) if small."""
    if c <= candidates[0]:
        return _next_pow2(c)
    padded = {b: -(-c // b) * b for b in candidates}
    least = min(padded.values())
    return max(b for b in candidates if padded[b] <= 1.04 * least)


def default_block_sizes(n: int, c: int) -> Tuple[int, int, int]:
    """Heuristic (BLOCK_R, BLOCK_I, BLOCK_J) for N rows x C classes (autotune these on a real GPU).

    BLOCK_J and BLOCK_I are chosen from {16, 32, 64} / {16, 32} to pad C least, preferring the larger tile within
    4 % (C = 80: 16 x 16, no padding; C = 1000: 32 x 64, 2.4 %), BLOCK_R fills the tile up to 2048 pair elements
    but not beyond the number of rows.

    Args:
        n (int): Rows.
        c (int): Classes.

    Returns:
        tuple: BLOCK_R, BLOCK_I, BLOCK_J (powers of two).
    """
    block_j = _pick_block(c, (16, 32, 64))
    block_i = _pick_block(c, (16, 32))
    block_r = max(1, min(_TILE_ELEMENTS // (block_i * block_j), _next_pow2(max(n, 1))))
    return block_r, block_i, block_j


def rkkd_tau_and_grad_triton(preds_S: Tensor,
                             preds_T: Tensor,
                             form: str,
                             k: float,
                             with_grad: bool,
                             *,
                             block_sizes: Optional[Tuple[int, int, int]] = None,
                             num_warps: int = 4) -> Tuple[Tensor, Optional[Tensor]]:
    """Kendall's tau_d per row and its gradient w.r.t. ``preds_S``, as
    :func:`mmkd.losses.rkkd.rkkd_tau_and_grad_chunked` computes them.

    Args:
        preds_S (Tensor): Student logits [N, C], C >= 2 (float32, float16, bfloat16 or float64; computed in
            float32).
        preds_T (Tensor): Teacher logits [N, C] on the same device (no gradient).
        form (str): 'tanh', 'product' or 'sign'.
        k (float): Steepness of the tanh.
        with_grad (bool): Also return the gradient.
        block_sizes (tuple, optional): (BLOCK_R, BLOCK_I, BLOCK_J), powers of two; defaults to
            :func:`default_block_sizes`.
        num_warps (int): Warps per program (ignored by the interpreter).

    Returns:
        tuple: ``tau`` [N] (``scale * sum_ij f``, scale = 1 / (C (C - 1))) and ``grad`` [N, C]
        (``2 * scale * sum_j g_ij``, i.e. d tau_n / d preds_S[n]) or None, both in ``preds_S.dtype``.
    """
    if triton is None:
        raise ImportError(_INSTALL_HINT)
    if form not in FORMS:
        raise ValueError(f'rkkd_tau_and_grad_triton: form must be one of {FORMS}, got {form!r}.')
    if preds_S.dim() != 2 or preds_S.shape != preds_T.shape:
        raise ValueError(f'rkkd_tau_and_grad_triton: expected two [N, C] tensors of the same shape, got '
                         f'{tuple(preds_S.shape)} and {tuple(preds_T.shape)}.')
    if preds_S.device != preds_T.device:
        raise ValueError(f'rkkd_tau_and_grad_triton: tensors on {preds_S.device} and {preds_T.device}.')
    if not triton_available(preds_S.device):
        raise RuntimeError(f'rkkd_tau_and_grad_triton: cannot run on {preds_S.device} (CUDA, or CPU with '
                           'TRITON_INTERPRET=1 set before triton is imported).')
    n, c = preds_S.shape
    if c < 2:
        raise ValueError(f'rkkd_tau_and_grad_triton: needs C >= 2 classes, got {c}.')
    out_dtype = preds_S.dtype
    s = preds_S.detach()
    t = preds_T.detach()
    if s.dtype not in (torch.float32, torch.float16, torch.bfloat16):
        s = s.float()
    if t.dtype not in (torch.float32, torch.float16, torch.bfloat16):
        t = t.float()
    s, t = s.contiguous(), t.contiguous()
    block_r, block_i, block_j = block_sizes or default_block_sizes(n, c)
    for b in (block_r, block_i, block_j):
        if b < 1 or b & (b - 1):
            raise ValueError(f'rkkd_tau_and_grad_triton: block sizes must be powers of two, got {block_sizes}.')
    n_i_tiles = -(-c // block_i)
    partial = torch.empty(n, n_i_tiles, device=s.device, dtype=torch.float32)
    grad = torch.empty(n, c, device=s.device, dtype=torch.float32) if with_grad else None
    if n == 0:
        return partial.sum(1).to(out_dtype), grad.to(out_dtype) if with_grad else None
    scale = 1.0 / (c * (c - 1))
    grid = (-(-n // block_r), n_i_tiles)
    with torch.cuda.device(s.device) if s.is_cuda else nullcontext():
        _rkkd_kernel[grid](
            s, t, partial, grad if with_grad else partial, n, c, s.stride(0), t.stride(0), c,
            float(k), scale, 2.0 * scale,
            FORM=form, WITH_GRAD=bool(with_grad), BLOCK_R=block_r, BLOCK_I=block_i, BLOCK_J=block_j,
            num_warps=num_warps, enable_fp_fusion=True)
    tau = partial[:, 0] if n_i_tiles == 1 else partial.sum(1)
    return tau.to(out_dtype), grad.to(out_dtype) if with_grad else None
