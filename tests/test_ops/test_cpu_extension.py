# Copyright (c) mmkd contributors. All rights reserved.
"""The C++ CPU kernels (:mod:`mmkd.ops.cpu_extension`): RKKD against a float64 reference of the formula and the
PyTorch pair terms, the row argsort against ``torch.argsort(stable=True)``, and the fallback.

The extension is built (or loaded from PyTorch's cache) once for this module; the first build takes ~20 s on two
cores. Without a compiler or ninja, or with ``MMKD_DISABLE_CPU_EXT=1``, the kernel tests are skipped and only the
fallback test runs.
"""
import os
import subprocess
import sys
from typing import Any, List, Tuple

import pytest
import torch
from torch import Tensor

from mmkd.losses.rkkd import kendall_pair_terms
from mmkd.losses.utils import standardize
from mmkd.ops import cpu_extension
from mmkd.ops.cpu_extension import argsort_rows_cpu, rkkd_tau_and_grad_cpu

FORMS = ('tanh', 'product', 'sign')
RTOL = 1e-5
#: Absolute slack of tau (in [-1, 1]) and of each gradient entry, on top of ATOL_SUM * the sum of |terms| of the
#: entry (the natural float32 bound of a sum whose terms cancel).
ATOL = 1e-6
ATOL_SUM = 2e-6
#: Absolute float32 error of ``1 - tanh^2`` in the PyTorch path (this kernel computes sech^2 without the
#: cancellation), times k |a| or k |Dt| of each term: extra slack when comparing with the PyTorch kernel.
TORCH_SECH2_ERR = 5e-7
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope='module')
def ops() -> Any:
    if os.environ.get(cpu_extension.DISABLE_ENV, '') not in ('', '0'):
        pytest.skip(f'the CPU extension is disabled ({cpu_extension.DISABLE_ENV} is set)')
    loaded = cpu_extension.load_cpu_ops()
    if loaded is None:
        pytest.skip('the CPU extension could not be built here (see the warning in the log)')
    return loaded


def reference(preds_S: Tensor, preds_T: Tensor, form: str, k: float) -> Tuple[Tensor, ...]:
    """tau, grad, the sums of |terms| behind each, and the sum of k |a| (k |Dt|) behind each gradient entry.

    Float64, the full [N, C, C] pair tensor (small sizes only).
    """
    s, t = preds_S.double(), preds_T.double()
    c = s.size(1)
    ds = s[:, :, None] - s[:, None, :]
    dt = t[:, :, None] - t[:, None, :]
    if form == 'product':
        f = torch.tanh(k * dt * ds)
        g = k * dt / torch.cosh(k * dt * ds)**2
        g_factor = k * dt.abs()
    else:
        a = torch.sign(dt) if form == 'sign' else torch.tanh(k * dt)
        f = a * torch.tanh(k * ds)
        g = k * a / torch.cosh(k * ds)**2
        g_factor = k * a.abs()
    scale = 1.0 / (c * (c - 1))
    return (f.sum((1, 2)) * scale, g.sum(2) * (2 * scale), f.abs().sum((1, 2)) * scale,
            g.abs().sum(2) * (2 * scale), g_factor.sum(2) * (2 * scale))


def torch_pair_terms(preds_S: Tensor, preds_T: Tensor, form: str, k: float) -> Tuple[Tensor, Tensor]:
    """tau and grad of today's PyTorch kernel (``kendall_pair_terms`` on the whole batch, float32)."""
    c = preds_S.size(1)
    ds = preds_S[:, :, None] - preds_S[:, None, :]
    dt = preds_T[:, :, None] - preds_T[:, None, :]
    f_sum, g_sum = kendall_pair_terms(dt, ds, form, k, True)
    scale = 1.0 / (c * (c - 1))
    return f_sum * scale, g_sum * (2 * scale)


def check_close(name: str,
                actual: Tensor,
                expected: Tensor,
                abs_sum: Tensor,
                slack: float = 1.0,
                extra: Any = 0.0) -> None:
    """|actual - expected| <= slack * (ATOL + ATOL_SUM * abs_sum + RTOL * |expected|) + extra, elementwise."""
    actual, expected = actual.double(), expected.double()
    bound = slack * (ATOL + ATOL_SUM * abs_sum + RTOL * expected.abs()) + extra
    excess = (actual - expected).abs() / bound
    worst = int(excess.flatten().argmax()) if excess.numel() else 0
    assert excess.numel() == 0 or excess.max().item() <= 1.0, (
        f'{name}: error {(actual - expected).abs().flatten()[worst].item():.3g} > bound '
        f'{bound.flatten()[worst].item():.3g} at flat index {worst} (value {expected.flatten()[worst].item():.6g})')


def make_rows(c: int, rows_per_kind: int, seed: int) -> Tuple[Tensor, Tensor, List[str]]:
    """Student and teacher rows of several kinds, mixed in one batch (the fast and the per-pair path meet)."""
    gen = torch.Generator().manual_seed(seed)
    n = rows_per_kind

    def randn(scale: float = 1.0) -> Tensor:
        return torch.randn(n, c, generator=gen) * scale

    def uniform(low: float, high: float) -> Tensor:
        return torch.rand(n, c, generator=gen) * (high - low) + low

    kinds = {
        'zscore': (standardize(randn(3.0) + 2.0), standardize(randn(0.5))),
        'raw': (randn(4.0) + 1.0, randn(2.0) - 3.0),
        'wide': (uniform(-100, 100), uniform(-100, 100)),  # k * range > 40: the per-pair path for every form
        'wide_teacher': (standardize(randn()), uniform(-100, 100)),
        'ties': (torch.randint(-2, 3, (n, c), generator=gen).float(), torch.randint(-1, 2, (n, c),
                                                                                    generator=gen).float()),
        'constant': (torch.full((n, c), 0.25), randn()),
        'huge': (uniform(-1e30, 1e30), uniform(-1e30, 1e30)),
    }
    s = torch.cat([v[0] for v in kinds.values()]).contiguous()
    t = torch.cat([v[1] for v in kinds.values()]).contiguous()
    names = [name for name in kinds for _ in range(n)]
    return s, t, names


@pytest.mark.parametrize('k', [0.5, 1.0, 3.0])
@pytest.mark.parametrize('form', FORMS)
def test_rkkd_matches_float64_and_pytorch(ops, form, k):
    for c, rows_per_kind in ((2, 6), (3, 4), (17, 3), (80, 3), (1000, 1)):
        s, t, _ = make_rows(c, rows_per_kind, seed=c)
        out = rkkd_tau_and_grad_cpu(s, t, form, k, True)
        assert out is not None
        tau, grad = out
        assert tau.dtype == grad.dtype == torch.float32 and tau.shape == (s.size(0), ) and grad.shape == s.shape
        ref_tau, ref_grad, tau_abs, grad_abs, g_factor = reference(s, t, form, k)
        check_close(f'{form} k={k} C={c} tau', tau, ref_tau, tau_abs)
        check_close(f'{form} k={k} C={c} grad', grad, ref_grad, grad_abs)
        if c <= 80:  # the PyTorch kernel carries its own float32 error: twice the bound, and its 1 - tanh^2
            torch_tau, torch_grad = torch_pair_terms(s, t, form, k)
            check_close(f'{form} k={k} C={c} tau vs PyTorch', tau, torch_tau, tau_abs, slack=2.0)
            check_close(f'{form} k={k} C={c} grad vs PyTorch', grad, torch_grad, grad_abs, slack=2.0,
                        extra=TORCH_SECH2_ERR * g_factor)
        tau_only, no_grad = rkkd_tau_and_grad_cpu(s, t, form, k, False)
        assert no_grad is None and torch.equal(tau_only, tau)


@pytest.mark.parametrize('form', FORMS)
def test_rkkd_edge_shapes(ops, form):
    for n in (0, 1):
        s, t = torch.randn(n, 5), torch.randn(n, 5)
        tau, grad = rkkd_tau_and_grad_cpu(s, t, form, 1.0, True)
        assert tau.shape == (n, ) and grad.shape == (n, 5)
        if n:
            ref_tau, ref_grad, tau_abs, grad_abs, _ = reference(s, t, form, 1.0)
            check_close('N=1 tau', tau, ref_tau, tau_abs)
            check_close('N=1 grad', grad, ref_grad, grad_abs)
    # the raw operator: an empty gradient without with_grad
    tau, grad = ops.rkkd_forward(torch.randn(3, 4), torch.randn(3, 4), form, 1.0, False)
    assert tau.shape == (3, ) and grad.numel() == 0


def test_rkkd_wrapper_declines_what_it_does_not_handle(ops):
    s, t = torch.randn(4, 6), torch.randn(4, 6)
    assert rkkd_tau_and_grad_cpu(s.double(), t.double(), 'tanh', 1.0, True) is None  # float64: PyTorch path
    assert rkkd_tau_and_grad_cpu(s.t(), t.t(), 'tanh', 1.0, True) is None  # not contiguous
    assert rkkd_tau_and_grad_cpu(s[:, :1].contiguous(), t[:, :1].contiguous(), 'tanh', 1.0, True) is None  # C = 1
    assert rkkd_tau_and_grad_cpu(s[0], t[0], 'tanh', 1.0, True) is None  # 1-D
    assert rkkd_tau_and_grad_cpu(s, t[:3].contiguous(), 'tanh', 1.0, True) is None  # shapes differ
    assert rkkd_tau_and_grad_cpu(s, t, 'cubic', 1.0, True) is None  # unknown form
    with pytest.raises(RuntimeError, match='form'):
        ops.rkkd_forward(s, t, 'cubic', 1.0, True)


def argsort_cases(c: int, seed: int) -> List[Tuple[str, Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    n = 9 if c <= 1000 else 3
    randn = torch.randn(n, c, generator=gen)
    signed_zeros = torch.where(torch.rand(n, c, generator=gen) < 0.5, -0.0, 0.0)
    signed_zeros[:, ::3] = torch.randn(n, (c + 2) // 3, generator=gen).round()
    label_first = randn.clone()  # PLD: the label's key is forced to +inf
    label_first.scatter_(1, torch.randint(0, c, (n, 1), generator=gen), float('inf'))
    infs = randn.clone()
    draw = torch.rand(n, c, generator=gen)
    infs[draw < 0.1] = float('inf')
    infs[draw > 0.9] = float('-inf')
    return [('randn', randn), ('ties', torch.randint(-2, 3, (n, c), generator=gen).float()),
            ('signed_zeros', signed_zeros), ('label_first', label_first), ('infs', infs),
            ('constant', torch.full((n, c), 1.5))]


@pytest.mark.parametrize('c', [1, 2, 80, 161, 1000, 4096])
def test_argsort_rows_equals_torch_stable(ops, c):
    for name, keys in argsort_cases(c, seed=c):
        for descending in (True, False):
            expected = torch.argsort(keys, dim=1, descending=descending, stable=True)
            actual = argsort_rows_cpu(keys, descending)
            assert actual.dtype == torch.int64
            assert torch.equal(actual, expected), f'C={c} {name} descending={descending}'


def test_argsort_rows_ties_and_signed_zero(ops):
    # -0.0 == 0.0 is a tie (class order kept), as in PyTorch; +inf first, -inf last.
    keys = torch.tensor([[0.0, -0.0, 1.0, float('-inf'), float('inf'), -0.0, 1.0]])
    for descending, expected in ((True, [[4, 2, 6, 0, 1, 5, 3]]), (False, [[3, 0, 1, 5, 2, 6, 4]])):
        assert torch.argsort(keys, dim=1, descending=descending, stable=True).tolist() == expected
        assert argsort_rows_cpu(keys, descending).tolist() == expected
    assert argsort_rows_cpu(torch.empty(0, 7)).shape == (0, 7)
    assert argsort_rows_cpu(keys.double()) is None and argsort_rows_cpu(keys[0]) is None
    assert argsort_rows_cpu(torch.randn(7, 2).t()) is None  # not contiguous


FALLBACK = """
import sys
sys.path.insert(0, {root!r})
import torch
from mmkd.ops.cpu_extension import argsort_rows_cpu, load_cpu_ops, rkkd_tau_and_grad_cpu
x = torch.randn(3, 4)
print('RESULT', load_cpu_ops(), load_cpu_ops(), rkkd_tau_and_grad_cpu(x, x, 'tanh', 1.0, True),
      argsort_rows_cpu(x))
"""


def test_disabled_by_environment_falls_back_with_one_warning():
    env = dict(os.environ, **{cpu_extension.DISABLE_ENV: '1'})
    proc = subprocess.run([sys.executable, '-c', FALLBACK.format(root=ROOT)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert 'RESULT None None None None' in proc.stdout
    warnings = [line for line in out.splitlines() if 'CPU extension unavailable' in line]
    assert len(warnings) == 1, out
    assert cpu_extension.DISABLE_ENV in warnings[0] and 'PyTorch kernels' in warnings[0]
    assert 'WARNING' in warnings[0]


def test_stale_build_lock_is_removed(tmp_path):
    lock = tmp_path / 'lock'
    lock.write_text('')
    cpu_extension._remove_stale_lock(str(tmp_path))
    assert lock.exists()  # a build may be running
    os.utime(lock, (0, 0))
    cpu_extension._remove_stale_lock(str(tmp_path))
    assert not lock.exists()  # left by a killed build: PyTorch would wait for it forever
