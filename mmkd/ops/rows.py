# Copyright (c) mmkd contributors. All rights reserved.
"""Autograd for the kernels that compute a per-row value and its gradient in one pass (RKKD, PLD)."""
from typing import Callable, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

#: ``kernel(preds, *args, with_grad=bool) -> (values [N], d values_n / d preds[n] [N, C] or None)``
RowKernel = Callable[..., Tuple[Tensor, Optional[Tensor]]]


class _RowsWithGradient(torch.autograd.Function):

    @staticmethod
    def forward(ctx, kernel: RowKernel, preds: Tensor, *args) -> Tensor:
        values, grad = kernel(preds, *args, with_grad=ctx.needs_input_grad[1])
        ctx.num_args = len(args)
        ctx.save_for_backward(grad)
        return values

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        grad, = ctx.saved_tensors
        return (None, grad_out[:, None] * grad) + (None, ) * ctx.num_args


def rows_with_gradient(kernel: RowKernel, preds: Tensor, *args) -> Tensor:
    """``kernel``'s per-row values [N], differentiable w.r.t. ``preds`` [N, C] through the gradient the kernel
    computed with them (the other arguments get none: a teacher's logits, a permutation, weights).

    Args:
        kernel (callable): ``kernel(preds, *args, with_grad=bool)`` returning the values and, with ``with_grad``,
            ``d values_n / d preds[n]`` [N, C] (else None).
        preds (Tensor): The input the gradient is for.
        *args: The kernel's other inputs.
    """
    return _RowsWithGradient.apply(kernel, preds, *args)
