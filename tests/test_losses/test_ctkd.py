"""CTKD (Li et al. 2023): the learned temperature of KD / DKD behind a gradient reversal, with the official
cosine curriculum; checked against float64 re-derivations of the official formulas."""
import math

import pytest
import torch
from mmengine.logging import MessageHub

from mmkd.losses import CTKDLoss, DKDLoss, KDLoss, curriculum_lambda, kd_loss
from . import reference as ref
from .test_logit_losses import make_inputs, rows

KD = dict(type='KDLoss', tau=4.0, loss_weight=0.9)


def official_tau(raw, t_start=1.0, t_end=20.0):
    return t_start + t_end / (1 + math.exp(-raw))


def test_curriculum_is_the_official_cosine():
    # CosineDecay(max_value=0, min_value=-1, num_loops=10).get_value(epoch), epochs counted from 1
    for epoch in range(0, 14):
        i = min(epoch, 10)
        want = (math.cos(i * math.pi / 10) + 1.0) * 0.5 * (0 - (-1)) + (-1)
        assert curriculum_lambda(epoch) == pytest.approx(want)
    assert curriculum_lambda(0) == 0 and curriculum_lambda(5) == pytest.approx(-0.5) and curriculum_lambda(30) == -1


def test_global_temperature_kd_matches_official_formula():
    s, t, _ = make_inputs(5, 7)
    loss = CTKDLoss(loss=KD)
    tau = official_tau(1.0)  # the official Global_T starts at 1
    want = 0.9 * sum(ref.kd_row(a, b, tau) for a, b in zip(rows(s), rows(t))) / 5
    assert loss(s, t).item() == pytest.approx(want, rel=1e-9)
    torch.testing.assert_close(loss.temperature(s, t), torch.tensor([[tau]], dtype=torch.float64))


@pytest.mark.parametrize('epoch', [0, 4, 9, 40])
def test_reversed_gradient_is_lambda_times_the_true_one(epoch):
    hub = MessageHub.get_instance(f'ctkd_{epoch}')
    hub.update_info('epoch', epoch)  # 0-based in the hub: the curriculum uses epoch + 1
    s, t, _ = make_inputs(6, 5, ties=False)
    loss = CTKDLoss(loss=KD).double()
    loss(s, t).backward()
    raw = loss.temperature_module.raw
    reversed_grad = raw.grad.clone()
    # the true gradient of the KD loss w.r.t. the raw parameter, by finite differences
    with torch.no_grad():
        f = lambda r: (0.9 * kd_loss(s, t, official_tau(r))).mean().item()  # noqa: E731
        true = (f(1.0 + 1e-6) - f(1.0 - 1e-6)) / 2e-6
    lam = curriculum_lambda(epoch + 1)
    assert lam < 0 and reversed_grad.item() == pytest.approx(lam * true, rel=1e-5, abs=1e-9)


def test_reversed_gradient_moves_the_temperature_to_increase_the_kd_loss():
    hub = MessageHub.get_instance('ctkd_hard')
    hub.update_info('epoch', 20)  # lambda = -1
    s, t, _ = make_inputs(8, 10, ties=False)
    s = s * 0.3  # a student far from the teacher
    loss = CTKDLoss(loss=KD).double()
    optim = torch.optim.SGD(loss.parameters(), lr=0.5)
    before = loss(s, t)
    before.backward()
    optim.step()
    with torch.no_grad():
        after = loss(s, t)
    assert after.item() > before.item()  # the adversary made distillation harder
    # and the student's own gradient is that of KD at the current temperature
    s1 = s.clone().requires_grad_()
    loss(s1, t).backward()
    s2 = s.clone().requires_grad_()
    tau = loss.temperature(s, t).detach()
    (0.9 * kd_loss(s2, t, tau)).mean().backward()
    torch.testing.assert_close(s1.grad, s2.grad)


def test_instance_temperature_is_per_row_and_differentiable():
    s, t, y = make_inputs(5, 6, ties=False)
    loss = CTKDLoss(loss=dict(type='DKDLoss', warmup_epochs=0), temperature='instance', num_classes=6).double()
    tau = loss.temperature(s, t)
    assert tau.shape == (5, 1) and (tau > 1).all() and (tau < 21).all()
    per_row = loss(s, t, y, reduction_override='none')
    want = [ref.dkd_row(a, b, int(label), 1.0, 8.0, float(tr)) for a, b, label, tr in
            zip(rows(s), rows(t), y, tau.detach().reshape(-1))]
    torch.testing.assert_close(per_row, torch.tensor(want, dtype=torch.float64))
    per_row.sum().backward()
    assert all(p.grad is not None for p in loss.temperature_module.parameters())
    # the MLP reads detached logits: the student's gradient is DKD's at the predicted temperatures
    s1, s2 = s.clone().requires_grad_(), s.clone().requires_grad_()
    loss(s1, t, y).backward()
    loss.loss.loss_rows(s2, t, y, tau=tau.detach()).mean().backward()
    torch.testing.assert_close(s1.grad, s2.grad)


def test_global_ctkd_gradcheck():
    s, t, y = make_inputs(4, 5, ties=False)
    loss = CTKDLoss(loss=dict(type='DKDLoss', warmup_epochs=0)).double()
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: loss(x, t, y), (s, ))


def test_fixed_temperature_tensor_equals_the_float_one():
    s, t, y = make_inputs(4, 7)
    torch.testing.assert_close(kd_loss(s, t, torch.full((1, 1), 3.0, dtype=torch.float64)), kd_loss(s, t, 3.0))
    dkd = DKDLoss(warmup_epochs=0, tau=3.0)
    torch.testing.assert_close(dkd.loss_rows(s, t, y, tau=torch.full((4, 1), 3.0, dtype=torch.float64)),
                               dkd.loss_rows(s, t, y))
    assert isinstance(KDLoss(), torch.nn.Module)


@pytest.mark.parametrize('kwargs,match', [
    (dict(loss=dict(type='PLDLoss')), 'loss_rows takes a tau tensor'),
    (dict(loss=KD, temperature='layer'), "temperature must be one of \\('global', 'instance'\\)"),
    (dict(loss=KD, temperature='instance'), 'needs num_classes'),
])
def test_bad_ctkd_configs_are_clear(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        CTKDLoss(**kwargs)
