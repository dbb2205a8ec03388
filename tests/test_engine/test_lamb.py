"""LAMB against an independent float64 re-derivation of its update (You et al. 2020, the NVLAMB variant of timm's
``Lamb`` that PLD's ImageNet recipe uses), through mmengine's optimizer builder, and across a resume."""
import copy
import math

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmkd.engine.optimizers import LAMB


def reference_lamb(params, grads_per_step, lr, betas, eps, wd, max_grad_norm, adapt, trust_clip=False):
    """Plain-Python LAMB in float64: params and grads are lists of flat lists, one per parameter."""
    b1, b2 = betas
    w = [list(p) for p in params]
    m = [[0.0] * len(p) for p in params]
    v = [[0.0] * len(p) for p in params]
    for t, grads in enumerate(grads_per_step, 1):
        total = math.sqrt(sum(x * x for g in grads for x in g))
        scale = 1.0 / max(1.0, total / max_grad_norm) if max_grad_norm else 1.0
        for i, g in enumerate(grads):
            g = [x * scale for x in g]
            m[i] = [b1 * a + (1 - b1) * x for a, x in zip(m[i], g)]
            v[i] = [b2 * a + (1 - b2) * x * x for a, x in zip(v[i], g)]
            u = [(a / (1 - b1**t)) / (math.sqrt(c / (1 - b2**t)) + eps) + wd[i] * p
                 for a, c, p in zip(m[i], v[i], w[i])]
            ratio = 1.0
            if wd[i] != 0 or adapt:
                wn, un = math.sqrt(sum(p * p for p in w[i])), math.sqrt(sum(x * x for x in u))
                ratio = wn / un if wn > 0 and un > 0 else 1.0
                ratio = min(ratio, 1.0) if trust_clip else ratio
            w[i] = [p - lr * ratio * x for p, x in zip(w[i], u)]
    return w


@pytest.mark.parametrize('max_grad_norm', [None, 0.5])
@pytest.mark.parametrize('always_adapt,trust_clip', [(False, False), (True, False), (False, True)])
def test_lamb_matches_the_update_formula(max_grad_norm, always_adapt, trust_clip):
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(4, generator=g, dtype=torch.float64),
               torch.zeros(2, dtype=torch.float64)]  # a zero weight: the trust ratio falls back to 1
    grads = [[torch.randn_like(w) for w in weights] for _ in range(4)]
    params = [nn.Parameter(w.clone()) for w in weights]
    opt = LAMB([dict(params=params[:1]), dict(params=params[1:], weight_decay=0.0)], lr=0.05, betas=(0.8, 0.95),
               eps=1e-6, weight_decay=0.1, max_grad_norm=max_grad_norm, always_adapt=always_adapt,
               trust_clip=trust_clip)
    for step in grads:
        for p, grad in zip(params, step):
            p.grad = grad.clone()
        opt.step()
    want = reference_lamb([w.flatten().tolist() for w in weights],
                          [[x.flatten().tolist() for x in step] for step in grads], 0.05, (0.8, 0.95), 1e-6,
                          [0.1, 0.0, 0.0], max_grad_norm, always_adapt, trust_clip)
    for p, ref in zip(params, want):
        torch.testing.assert_close(p.detach().flatten(), torch.tensor(ref, dtype=torch.float64), rtol=1e-12,
                                   atol=1e-12)
    assert all(torch.equal(p.grad, grad) for p, grad in zip(params, grads[-1]))  # gradients are not modified


def test_lamb_from_config_resumes_exactly():
    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))

    cfg = dict(optimizer=dict(type='LAMB', lr=5e-3, weight_decay=0.02),
               paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))

    def train(net, wrapper, steps):
        for _ in range(steps):
            wrapper.update_params(net(x).pow(2).mean())

    straight = model()
    wrapper = build_optim_wrapper(straight, copy.deepcopy(cfg))
    assert isinstance(wrapper.optimizer, LAMB)
    assert {g['weight_decay'] for g in wrapper.optimizer.param_groups} == {0.0, 0.02}  # timm: no decay on BN / bias
    train(straight, wrapper, 6)

    resumed = model()
    first = build_optim_wrapper(resumed, copy.deepcopy(cfg))
    train(resumed, first, 3)
    state = copy.deepcopy(first.state_dict())
    second = build_optim_wrapper(resumed, copy.deepcopy(cfg))
    second.load_state_dict(state)
    train(resumed, second, 3)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_bad_lamb_arguments_are_named():
    with pytest.raises(ValueError, match='betas must lie in'):
        LAMB([nn.Parameter(torch.zeros(1))], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match='max_grad_norm must be > 0 or None'):
        LAMB([nn.Parameter(torch.zeros(1))], max_grad_norm=0)
