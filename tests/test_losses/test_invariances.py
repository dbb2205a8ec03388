"""Properties from the papers, and gradchecks of the analytic / chunked gradients."""
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import kendalltau

from mmkd.losses import PLDLoss, RKKDLoss, pld_loss, rank_kendall_tau, teacher_optimal_permutation
from .test_logit_losses import make_inputs


@pytest.mark.parametrize('form', ['tanh', 'product', 'sign'])
@pytest.mark.parametrize('normalize', ['none', 'zscore'])
@pytest.mark.parametrize('chunk_size', [None, 2])
def test_rkkd_gradcheck(form, normalize, chunk_size):
    s, t, _ = make_inputs(5, 6, ties=False)
    s.requires_grad_()
    fn = lambda x: rank_kendall_tau(x, t, form, 0.7, normalize, chunk_size=chunk_size)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (s, ), eps=1e-6, atol=1e-7)


def test_rkkd_gradcheck_with_channel_subset():
    s, t, _ = make_inputs(3, 8, ties=False)
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: rank_kendall_tau(x, t, topk=4, chunk_size=1), (s, ))


@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_pld_gradcheck(tau):
    s, t, y = make_inputs(6, 7)
    y[2] = 7
    s.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: pld_loss(x, t, y, tau), (s, ))


def test_pld_translation_invariant_not_scale_invariant():
    s, t, y = make_inputs(8, 12)
    loss = PLDLoss(tau=2.0)
    base = loss(s, t, y)
    assert loss(s + 123.0, t, y).item() == pytest.approx(base.item(), rel=1e-9)
    assert loss(s * 3.0, t, y).item() != pytest.approx(base.item(), rel=1e-3)


def test_pld_with_one_hot_weights_is_cross_entropy():
    s, _, y = make_inputs(8, 12)
    t = torch.zeros_like(s)
    t[torch.arange(8), y] = 1.0  # the teacher's top class is the label ...
    got = PLDLoss(tau=1e-3)(s, t, y)  # ... and a tiny temperature makes alpha one-hot on it
    assert got.item() == pytest.approx(F.cross_entropy(s, y).item(), rel=1e-9)


def test_pld_with_uniform_weights_is_listmle():
    s, t, _ = make_inputs(4, 6, ties=False)
    perm = t.argsort(1, descending=True)
    sp = s.gather(1, perm)
    listmle = (sp.flip(1).logcumsumexp(1).flip(1) - sp).mean(1).mean()
    assert PLDLoss(tau=1e9)(s, t).item() == pytest.approx(listmle.item(), rel=1e-6)


def test_pld_permutation_puts_true_label_first_even_if_teacher_wrong():
    t = torch.tensor([[5.0, 1.0, 0.0, 1.0], [5.0, 1.0, 0.0, 1.0]])
    perm = teacher_optimal_permutation(t, torch.tensor([2, 4]))  # 4 = C: no target class
    assert perm.tolist() == [[2, 0, 1, 3], [0, 1, 3, 2]]  # ties keep the class order
    assert teacher_optimal_permutation(t).tolist() == [[0, 1, 3, 2]] * 2


def test_rkkd_sign_form_with_ties_approaches_tau_a():
    s, t, _ = make_inputs(4, 15, ties=True)
    for srow, trow in zip(s, t):
        got = rank_kendall_tau(srow[None], trow[None], 'sign', k=1e6, normalize='none')
        # Kendall's tau-a: tied teacher pairs count 0, over all C(C-1)/2 pairs
        exact = sum(torch.sign(trow[i] - trow[j]) * torch.sign(srow[i] - srow[j])
                    for i in range(15) for j in range(i + 1, 15)) / (15 * 14 / 2)
        assert got.item() == pytest.approx(exact.item(), abs=1e-9)


def test_rkkd_sign_without_ties_matches_scipy():
    s, t, _ = make_inputs(5, 20, ties=False)
    for srow, trow in zip(s, t):
        got = rank_kendall_tau(srow[None], trow[None], 'sign', k=1e6, normalize='none')
        assert got.item() == pytest.approx(kendalltau(trow.numpy(), srow.numpy()).statistic, abs=1e-9)


@pytest.mark.parametrize('form', ['tanh', 'product', 'sign'])
def test_rkkd_perfect_order_is_the_minimum(form):
    _, t, _ = make_inputs(3, 10, ties=False)
    loss = RKKDLoss(form=form, k=2.0)
    perfect = loss(t * 5, t)  # same order as the teacher, well separated
    reversed_ = loss(-t * 5, t)
    for seed in range(5):
        s, _, _ = make_inputs(3, 10, seed=seed + 10)
        assert perfect < loss(s, t) < reversed_ or loss(s, t) == reversed_
    assert perfect < 0.35 and reversed_ > 1.65


def test_rkkd_chunking_is_exact():
    s, t, _ = make_inputs(37, 9)
    s.requires_grad_()
    outs = []
    for chunk in (1, 5, 37, None):
        s.grad = None
        out = RKKDLoss(chunk_size=chunk)(s, t)
        out.backward()
        outs.append((out.detach(), s.grad.clone()))
    for out, grad in outs[1:]:
        assert torch.allclose(out, outs[0][0], rtol=1e-12) and torch.allclose(grad, outs[0][1], rtol=1e-10)
