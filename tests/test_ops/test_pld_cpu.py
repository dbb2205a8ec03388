"""The fused C++ PLD kernel against the PyTorch path in float64: values and gradients for ordinary, wide (the
kernel's double path) and extreme rows, one to a thousand classes, labels first or not; and the loss uses it."""
import pytest
import torch

from mmkd.losses.pld import _PlackettLuceRows, teacher_optimal_permutation
from mmkd.ops.cpu_extension import load_cpu_ops, pld_loss_and_grad_cpu
from mmkd.ops.rows import rows_with_gradient

pytestmark = pytest.mark.skipif(load_cpu_ops() is None, reason='the C++ extension could not be built here')


def reference(s, perm, alpha):
    s64 = s.detach().double().requires_grad_()
    loss = _PlackettLuceRows.apply(s64, perm, alpha.double())
    grad, = torch.autograd.grad(loss.sum(), s64)
    return loss.detach(), grad


@pytest.mark.parametrize('n,c,scale', [(64, 80, 1.0), (16, 1000, 3.0), (5, 1, 1.0), (7, 2, 1.0), (8, 80, 50.0),
                                       (4, 5, 100.0), (3, 17, 0.0)])
def test_values_and_gradients_equal_the_float64_path(n, c, scale):
    torch.manual_seed(c)
    s = (torch.randn(n, c) * scale).requires_grad_()
    t = torch.randn(n, c)
    labels = torch.randint(0, c + 1, (n, ))  # C: no target class
    perm = teacher_optimal_permutation(t, labels)
    alpha = (t / 4).softmax(1).gather(1, perm)
    loss = rows_with_gradient(pld_loss_and_grad_cpu, s, perm, alpha)
    grad, = torch.autograd.grad((loss * torch.arange(1.0, n + 1)).sum(), s)
    ref_loss, _ = reference(s, perm, alpha)
    s64 = s.detach().double().requires_grad_()
    ref_grad, = torch.autograd.grad((_PlackettLuceRows.apply(s64, perm, alpha.double()) *
                                     torch.arange(1.0, n + 1, dtype=torch.float64)).sum(), s64)
    torch.testing.assert_close(loss.double(), ref_loss, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad.double(), ref_grad, rtol=1e-5, atol=1e-6)


def test_extreme_rows_stay_finite():
    s = torch.tensor([[1e30, -1e30, 0.0, 5.0], [3e38, -3e38, 1.0, 1.0]], requires_grad=True)
    perm = torch.arange(4).repeat(2, 1)
    alpha = torch.full((2, 4), 0.25)
    loss = rows_with_gradient(pld_loss_and_grad_cpu, s, perm, alpha)
    grad, = torch.autograd.grad(loss.sum(), s)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()


def test_declines_what_it_does_not_compute():
    s, perm, alpha = torch.randn(3, 4), torch.arange(4).repeat(3, 1), torch.rand(3, 4)
    assert pld_loss_and_grad_cpu(s.double(), perm, alpha, True) is None
    assert pld_loss_and_grad_cpu(s, perm.int(), alpha, True) is None
    assert pld_loss_and_grad_cpu(s.t(), perm, alpha, True) is None
    loss, grad = pld_loss_and_grad_cpu(s, perm, alpha, False)
    assert grad is None and loss.shape == (3, )
