# Copyright (c) mmkd contributors. All rights reserved.
"""LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes", ICLR 2020), as
timm's ``Lamb`` (the NVLAMB variant that PLD's ImageNet recipe, timm's "ResNet strikes back", trains with).

torch has no LAMB and timm cannot be installed beside the CPU torch here (it imports torchvision), so mmkd
provides the optimizer. For each parameter w with gradient g at step t:

    g <- g / max(1, ||G|| / max_grad_norm)           (G: all gradients; global norm clipping, optional)
    m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
    u  = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay * w
    r  = ||w|| / ||u||  if both norms are > 0, else 1   (the trust ratio; min(r, 1) with trust_clip)
    w <- w - lr * r * u

The trust ratio is applied only where ``weight_decay != 0`` (or always, with ``always_adapt``), so parameters
excluded from weight decay (``paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.)``, as timm does) take
plain Adam steps. Nothing here reads a tensor back to the host.
"""
from typing import Iterable, Optional, Tuple

import torch
from torch.optim import Optimizer

from mmkd.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class LAMB(Optimizer):
    """Layer-wise adaptive large-batch optimizer (see the module docstring for the update).

    Args:
        params (Iterable): Parameters or parameter groups.
        lr (float): Learning rate. Defaults to 1e-3.
        betas (tuple[float, float]): Moment coefficients. Defaults to (0.9, 0.999).
        eps (float): Added to the denominator. Defaults to 1e-6.
        weight_decay (float): L2 weight decay added to the update (not decoupled). Defaults to 0.01.
        max_grad_norm (float, optional): Clip the global gradient norm to this before the step; None turns it
            off. Defaults to 1.0.
        trust_clip (bool): Cap the trust ratio at 1 (LAMBC). Defaults to False.
        always_adapt (bool): Apply the trust ratio also where weight_decay is 0. Defaults to False.
    """

    def __init__(self,
                 params: Iterable,
                 lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-6,
                 weight_decay: float = 0.01,
                 max_grad_norm: Optional[float] = 1.0,
                 trust_clip: bool = False,
                 always_adapt: bool = False) -> None:
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f'LAMB: lr, eps and weight_decay must be >= 0, got {lr}, {eps}, {weight_decay}.')
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f'LAMB: betas must lie in [0, 1), got {betas}.')
        if max_grad_norm is not None and max_grad_norm <= 0:
            raise ValueError(f'LAMB: max_grad_norm must be > 0 or None, got {max_grad_norm}.')
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, max_grad_norm=max_grad_norm,
                        trust_clip=trust_clip, always_adapt=always_adapt)
        super().__init__(params, defaults)

    def _grad_scale(self) -> Optional[torch.Tensor]:
        """1 / max(1, ||G|| / max_grad_norm) over every gradient (a tensor: no host synchronisation)."""
        max_norm = self.defaults['max_grad_norm']
        grads = [p.grad for group in self.param_groups for p in group['params'] if p.grad is not None]
        if max_norm is None or not grads:
            return None
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        return 1.0 / (total / max_norm).clamp(min=1.0)

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter with a gradient; returns the closure's loss, if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        scale = self._grad_scale()
        for group in self.param_groups:
            beta1, beta2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError('LAMB does not support sparse gradients.')
                grad = p.grad if scale is None else p.grad * scale
                state = self.state[p]
                if not state:
                    state['step'] = 0
                    state['exp_avg'] = torch.zeros_like(p)
                    state['exp_avg_sq'] = torch.zeros_like(p)
                state['step'] += 1
                t = state['step']
                m, v = state['exp_avg'], state['exp_avg_sq']
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                update = (m / (1 - beta1**t)) / ((v / (1 - beta2**t)).sqrt() + group['eps'])
                if group['weight_decay'] != 0:
                    update.add_(p, alpha=group['weight_decay'])
                if group['weight_decay'] != 0 or group['always_adapt']:
                    w_norm, u_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(update)
                    ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
                    if group['trust_clip']:
                        ratio = ratio.clamp(max=1.0)
                    update.mul_(ratio)
                p.add_(update, alpha=-group['lr'])
        return loss
