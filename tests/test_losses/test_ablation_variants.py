"""The ablation variants of the papers against the float64 references: PLD's weights (teacher / uniform =
PLD-ListMLE / position = P-ListMLE, PLD Table 6), logit standardisation of both sides or the teacher only (PLD
Table 10) for KD, DKD, DIST and PLD, and KD's divergence (forward / reverse KL, Jensen-Shannon: PLD Table 11)."""
import math

import pytest
import torch

from mmkd.losses import DISTLoss, DKDLoss, KDLoss, LabelSmoothingCrossEntropyLoss, PLDLoss, kd_loss, pld_loss
from mmkd.losses.pld import position_weights
from . import reference as ref
from .test_logit_losses import SHAPES, make_inputs, rows

STAND = [False, True, 'both', 'teacher', 'none']


@pytest.mark.parametrize('n,c', SHAPES[1:])
@pytest.mark.parametrize('divergence', ['forward', 'reverse', 'js'])
@pytest.mark.parametrize('stand', ['none', 'teacher'])
def test_kd_divergences(n, c, divergence, stand):
    s, t, _ = make_inputs(n, c)
    got = KDLoss(tau=2.0, divergence=divergence, logit_stand=stand)(s, t)
    want = sum(ref.kd_row(a, b, 2.0, stand, divergence) for a, b in zip(rows(s), rows(t))) / n
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize('n,c', SHAPES[1:])
@pytest.mark.parametrize('weights', ['teacher', 'uniform', 'position'])
@pytest.mark.parametrize('stand', STAND)
def test_pld_weights_and_standardisation(n, c, weights, stand):
    s, t, y = make_inputs(n, c)
    y[0] = c  # a row without a target class
    got = PLDLoss(tau=2.0, weights=weights, logit_stand=stand)(s, t, y)
    want = sum(ref.pld_row(a, b, int(label), 2.0, weights, stand) for a, b, label in zip(rows(s), rows(t), y)) / n
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize('stand', ['both', 'teacher'])
def test_dkd_and_dist_standardisation(stand):
    s, t, y = make_inputs(6, 9)
    got = DKDLoss(warmup_epochs=0, logit_stand=stand)(s, t, y)
    want = sum(ref.dkd_row(a, b, int(label), 1.0, 8.0, 4.0, stand) for a, b, label in zip(rows(s), rows(t), y)) / 6
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)
    got = DISTLoss(beta=1.0, gamma=2.0, tau=4.0, logit_stand=stand)(s, t)
    assert got.item() == pytest.approx(ref.dist_batch(rows(s), rows(t), 1.0, 2.0, 4.0, stand), rel=1e-7, abs=1e-9)


def test_position_weights_decrease_sum_to_one_and_do_not_overflow():
    w = position_weights(6)
    raw = torch.tensor([2.0**(6 - k) - 1 for k in range(1, 7)], dtype=torch.float64)
    torch.testing.assert_close(w, raw / raw.sum())
    big = position_weights(1000)
    assert torch.isfinite(big).all() and big.sum().item() == pytest.approx(1.0) and big[-1] == 0
    assert (big[:-1] >= big[1:]).all()


@pytest.mark.parametrize('divergence', ['reverse', 'js'])
def test_kd_divergence_gradcheck(divergence):
    s, t, _ = make_inputs(4, 5, ties=False)
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: kd_loss(x, t, 2.0, 'teacher', divergence), (s, ))


@pytest.mark.parametrize('weights', ['uniform', 'position'])
def test_pld_weights_gradcheck(weights):
    s, t, y = make_inputs(5, 6)
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: pld_loss(x, t, y, 1.0, weights, 'both'), (s, ))


@pytest.mark.parametrize('cls,kwargs,match', [
    (KDLoss, dict(divergence='kl'), "divergence must be one of \\('forward', 'reverse', 'js'\\)"),
    (PLDLoss, dict(weights='listmle'), "weights must be one of \\('teacher', 'uniform', 'position'\\)"),
    (DISTLoss, dict(logit_stand='student'), "logit_stand must be True, False or one of"),
])
def test_bad_variant_names_are_clear(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize('eps', [0.0, 0.1, 0.3])
def test_label_smoothing_cross_entropy_matches_reference(eps):
    s, _, y = make_inputs(5, 7)
    loss = LabelSmoothingCrossEntropyLoss(label_smoothing=eps, loss_weight=0.5)
    want = 0
    for row, label in zip(rows(s), y.tolist()):
        log_p = [math.log(p) for p in ref.softmax(row)]
        target = [(1 - eps) * (c == label) + eps / 7 for c in range(7)]
        want += -sum(q * lp for q, lp in zip(target, log_p))
    assert loss(s, y).item() == pytest.approx(0.5 * want / 5, rel=1e-6)
    w = torch.rand(5, dtype=torch.float64)
    per_row = loss(s, y, reduction_override='none')
    torch.testing.assert_close(loss(s, y, w, avg_factor=2.0), (per_row * w).sum() / 2.0, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match=r'label_smoothing must lie in \[0, 1\)'):
        LabelSmoothingCrossEntropyLoss(label_smoothing=1.0)


def test_label_smoothing_gradcheck():
    s, _, y = make_inputs(4, 6)
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: LabelSmoothingCrossEntropyLoss(0.2)(x, y), (s, ))
