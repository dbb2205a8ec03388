# Copyright (c) mmkd contributors. All rights reserved.
"""The Triton RKKD kernel (:mod:`mmkd.ops.triton_rkkd`) against a float64 reference and ``the chunked PyTorch kernel``.

On a CPU-only machine the kernel runs through Triton's interpreter in ONE subprocess started with
``TRITON_INTERPRET=1`` (the variable must be set before triton is imported, and this process must not be switched
to the interpreter): the cases are built here, saved, run there, and their outputs are checked here, one test per
case. The CUDA test compares the compiled kernel with the PyTorch path at detector and classifier sizes.
"""
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import textwrap
import time
from typing import Dict, List, Optional, Tuple

import pytest
import torch
from torch import Tensor

from mmkd.losses.rkkd import FORMS, rkkd_tau_and_grad_chunked
from mmkd.losses.utils import standardize
from mmkd.ops.rows import rows_with_gradient

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODULE = osp.join(ROOT, 'mmkd', 'ops', 'triton_rkkd.py')
HAS_TRITON = importlib.util.find_spec('triton') is not None
needs_triton = pytest.mark.skipif(not HAS_TRITON, reason='triton is not installed (pip install triton)')

RTOL = 1e-5
#: Absolute slack of tau (in [-1, 1]) and of each gradient entry, on top of ATOL_SUM * the sum of |terms| of the
#: entry (the natural float32 bound of a sum whose terms cancel).
ATOL = 1e-6
ATOL_SUM = 2e-6
#: Absolute float32 error of ``1 - tanh^2`` in the PyTorch path, times k |a| or k |Dt|.
TORCH_SECH2_ERR = 5e-7

RUNNER = textwrap.dedent("""
    import sys, time
    import torch
    from mmkd.ops.rows import rows_with_gradient
    from mmkd.ops.triton_rkkd import rkkd_tau_and_grad_triton, triton_available
    assert triton_available('cpu'), 'TRITON_INTERPRET=1 did not switch the kernel to the interpreter'
    cases = torch.load(sys.argv[1])
    out, start = [], time.time()
    for case in cases:
        s, t = case['S'], case['T']
        if case['noncontig']:
            s, t = torch.stack([s, -s], 2)[:, :, 0], torch.stack([t, -t], 2)[:, :, 0]  # column stride 2
        if case['autograd']:
            s = s.clone().requires_grad_()
            tau = rows_with_gradient(rkkd_tau_and_grad_triton, s, t, case['form'], case['k'])
            (tau * case['w']).sum().backward()
            out.append(dict(tau=tau.detach(), grad=s.grad))
            continue
        tau, grad = rkkd_tau_and_grad_triton(s, t, case['form'], case['k'], case['with_grad'],
                                             block_sizes=case['blocks'])
        out.append(dict(tau=tau, grad=grad))
    torch.save(out, sys.argv[2])
    print(f'{len(cases)} cases in {time.time() - start:.1f} s')
""")


def _inputs(kind: str, n: int, c: int, gen: torch.Generator) -> Tuple[Tensor, Tensor]:
    """Student and teacher logits [n, c] of one kind (float32)."""
    if kind == 'zscore':
        return standardize(torch.randn(n, c, generator=gen) * 3), standardize(torch.randn(n, c, generator=gen))
    if kind == 'raw':
        return torch.randn(n, c, generator=gen) * 4 + 2, torch.randn(n, c, generator=gen) * 0.3 - 7
    if kind == 'wide':  # magnitudes from 1e-3 to 1e4, both signs
        def wide():
            mag = 10**(torch.rand(n, c, generator=gen) * 7 - 3)
            return mag * torch.where(torch.rand(n, c, generator=gen) < 0.5, -1.0, 1.0)
        return wide(), wide()
    if kind == 'ties':  # few distinct values: many exact ties in both, incl. ties of Dt and Ds at once
        s = torch.randint(-2, 3, (n, c), generator=gen).float()
        t = torch.randint(-1, 2, (n, c), generator=gen).float() * 0.5
        t[:, ::3] = s[:, ::3]
        return s, t
    if kind == 'ties_zscore':
        s, t = _inputs('ties', n, c, gen)
        return standardize(s), standardize(t)
    if kind.startswith('extreme'):  # finite but t_i - t_j overflows float32; tiny (subnormal) and zero beside them
        tiny = -1e-38 if kind == 'extreme' else -1e-36
        vals = torch.tensor([3.0e38, -3.0e38, 1e38, -2.5e38, 1e-30, tiny, 0.0, 7.0, 3.0e38])
        s = vals[torch.randint(0, len(vals), (n, c), generator=gen)]
        t = vals[torch.randint(0, len(vals), (n, c), generator=gen)]
        return s, t
    raise ValueError(kind)


def _case(form: str, k: float, n: int, c: int, kind: str, gen: torch.Generator, *, with_grad: bool = True,
          blocks: Optional[Tuple[int, int, int]] = None, dtype: torch.dtype = torch.float32,
          noncontig: bool = False, autograd: bool = False) -> Dict:
    s, t = _inputs(kind, n, c, gen)
    tags = [f'{form}-k{k}-N{n}-C{c}-{kind}']
    tags += [f'blocks{"x".join(map(str, blocks))}'] if blocks else []
    tags += [] if with_grad else ['tauonly']
    tags += [] if dtype == torch.float32 else [str(dtype).replace('torch.', '')]
    tags += ['noncontig'] if noncontig else []
    tags += ['autograd'] if autograd else []
    return dict(id='-'.join(tags), S=s.to(dtype), T=t.to(dtype), form=form, k=k, with_grad=with_grad,
                blocks=blocks, noncontig=noncontig, autograd=autograd, extreme=kind.startswith('extreme'),
                w=torch.rand(n, generator=gen) + 0.5)


def _build_cases() -> List[Dict]:
    gen = torch.Generator().manual_seed(20250611)
    cases = []
    for form in FORMS:  # the full grid on z-scored rows, default block sizes
        for k in (0.5, 1.0, 3.0):
            for c in (2, 7, 80):
                for n in (1, 5, 33):
                    cases.append(_case(form, k, n, c, 'zscore', gen))
    for form in FORMS:
        for i, kind in enumerate(('raw', 'wide', 'ties', 'ties_zscore')):
            for c in (7, 80):
                cases.append(_case(form, (0.5, 1.0, 3.0)[i % 3], 33 if c == 7 else 5, c, kind, gen))
        # Several row blocks, i tiles and j tiles with masked tails (C = 7, 80, 300 not multiples of the tiles).
        for n, c, blocks in ((5, 7, (2, 2, 4)), (5, 7, (4, 4, 2)), (6, 80, (4, 32, 64)), (3, 300, (4, 64, 64))):
            cases.append(_case(form, 1.0, n, c, 'zscore', gen, blocks=blocks))
        cases.append(_case(form, 1.0, 5, 80, 'zscore', gen, with_grad=False))
        cases.append(_case(form, 3.0, 5, 80, 'extreme', gen))
        if form == 'product':
            cases.append(_case(form, 3.0, 5, 80, 'extreme_normal', gen))
        cases.append(_case(form, 1.0, 2, 7, 'zscore', gen, noncontig=True))
        cases.append(_case(form, 0.5, 5, 7, 'raw', gen, autograd=True))
        cases.append(_case(form, 1.0, 4, 7, 'raw', gen, dtype=torch.float64))
    cases.append(_case('tanh', 1.0, 3, 300, 'zscore', gen))  # default block sizes at a larger C
    cases.append(_case('tanh', 1.0, 5, 7, 'zscore', gen, dtype=torch.bfloat16))
    cases.append(_case('sign', 1.0, 0, 7, 'raw', gen))
    return cases


CASES = _build_cases()


def reference64(s: Tensor, t: Tensor, form: str, k: float) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """float64 tau [N] and grad [N, C] straight from the formulas, with two error scales of each grad entry.

    Returns:
        tuple: tau, grad, ``2 scale sum_j |g_ij|`` (a float32 sum of these terms can be off by a few ulps of it)
        and ``2 scale sum_j |dg_ij / dsech^2|`` (``k |a|`` or ``k |Dt|``: what an absolute rounding error of
        ``sech^2 = 1 - tanh^2`` in float32 is multiplied by).
    """
    s, t = s.double(), t.double()
    c = s.size(1)
    ds = s[:, :, None] - s[:, None, :]
    dt = t[:, :, None] - t[:, None, :]
    if form == 'product':
        f = torch.tanh(k * dt * ds)
        coef = k * dt
    else:
        a = torch.sign(dt) if form == 'sign' else torch.tanh(k * dt)
        th = torch.tanh(k * ds)
        f = a * th
        coef = k * a
    g = coef * (1 - f**2) if form == 'product' else coef * (1 - th**2)
    scale = 1.0 / (c * (c - 1))
    return (f.sum((1, 2)) * scale, g.sum(2) * (2 * scale), g.abs().sum(2) * (2 * scale),
            coef.abs().sum(2) * (2 * scale))


def torch_path(s: Tensor, t: Tensor, form: str, k: float, with_grad: bool = True) -> Tuple[Tensor, Tensor]:
    """The chunked PyTorch implementation on the same inputs (small N: several chunks of 8 rows)."""
    n, c = s.shape
    chunk = 8 if n <= 64 else max(1, 2**21 // (c * c))
    s = s.clone().requires_grad_(with_grad)
    tau = rows_with_gradient(rkkd_tau_and_grad_chunked, s, t, form, float(k), chunk)
    if not with_grad:
        return tau, None
    tau.sum().backward()
    return tau.detach(), s.grad


def assert_close(actual: Tensor, expected: Tensor, slack: Optional[Tensor] = None, rtol: float = RTOL,
                 what: str = '') -> None:
    """``|actual - expected| <= ATOL + rtol * |expected| + slack`` elementwise, and ``actual`` all finite."""
    actual, expected = actual.double(), expected.double()
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    assert torch.isfinite(actual).all(), f'{what}: non-finite values {actual}'
    bound = ATOL + rtol * expected.abs()
    if slack is not None:
        bound = bound + slack.double()
    err = (actual - expected).abs()
    assert (err <= bound).all(), (f'{what}: max error {err.max().item():.3g} '
                                  f'(worst excess {(err - bound).max().item():.3g})')


def check_against_references(tau: Tensor, grad: Optional[Tensor], s: Tensor, t: Tensor, form: str, k: float,
                             rtol: float = RTOL, weights: Optional[Tensor] = None,
                             torch_too: bool = True) -> None:
    """Kernel outputs vs the float64 formulas and (``torch_too``) vs the chunked PyTorch kernel on the same
    inputs."""
    tau_ref, grad_ref, abs_sum, coef_sum = reference64(s, t, form, k)
    w = torch.ones_like(tau_ref) if weights is None else weights.to(tau_ref)
    assert_close(tau, tau_ref, rtol=rtol, what='tau vs float64')
    if grad is not None:
        assert_close(grad, w[:, None] * grad_ref, ATOL_SUM * w[:, None] * abs_sum, rtol, 'grad vs float64')
    if not torch_too:
        return
    tau_pt, grad_pt = torch_path(s, t, form, k, grad is not None)
    assert_close(tau, tau_pt, what='tau vs the chunked PyTorch kernel')
    if grad is not None:
        # The PyTorch path forms sech^2 as 1 - tanh^2 in float32 (cancels near |tanh| = 1).
        assert_close(grad, w[:, None] * grad_pt, w[:, None] * (ATOL_SUM * abs_sum + TORCH_SECH2_ERR * coef_sum),
                     what='grad vs the chunked PyTorch kernel')


@pytest.fixture(scope='module')
def interpreted(tmp_path_factory):
    """Outputs of every case of :data:`CASES`, run by Triton's interpreter in one subprocess."""
    if not HAS_TRITON:
        pytest.skip('triton is not installed (pip install triton)')
    tmp = tmp_path_factory.mktemp('triton_rkkd')
    src, dst = tmp / 'cases.pt', tmp / 'outputs.pt'
    torch.save([{key: val for key, val in case.items() if key != 'id'} for case in CASES], src)
    env = dict(os.environ, TRITON_INTERPRET='1', PYTHONPATH=os.pathsep.join(
        [ROOT] + ([os.environ['PYTHONPATH']] if os.environ.get('PYTHONPATH') else [])))
    start = time.time()
    proc = subprocess.run([sys.executable, '-c', RUNNER, str(src), str(dst)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    print(f'interpreter subprocess: {proc.stdout.strip()}, {time.time() - start:.1f} s in all')
    return torch.load(dst)


@needs_triton
@pytest.mark.parametrize('idx', range(len(CASES)), ids=[case['id'] for case in CASES])
def test_interpreted_kernel_matches_float64_reference_and_torch_path(interpreted, idx):
    case, out = CASES[idx], interpreted[idx]
    s, t, form, k = case['S'], case['T'], case['form'], case['k']
    tau, grad = out['tau'], out['grad']
    n, c = s.shape
    assert tau.shape == (n, ) and tau.dtype == s.dtype
    if not case['with_grad']:
        assert grad is None
    else:
        assert grad.shape == (n, c) and grad.dtype == s.dtype
    if case['extreme']:
        # t_i - t_j overflows float32 here. Everything stays finite; tau and the bounded gradients of 'tanh' and
        # 'sign' match float64. 'product' has k Dt-sized gradients (clamped k Dt = 1e38 x 2 scale): only finite;
        # its tau is exact unless a Ds is subnormal (then k Dt Ds uses the clamped k Dt): only finite there.
        assert torch.isfinite(tau).all() and torch.isfinite(grad).all()
        if form != 'product' or case['id'].endswith('extreme_normal'):
            check_against_references(tau, None if form == 'product' else grad, s, t, form, k, torch_too=False)
        return
    # Reduced-precision outputs are rounded once at the end; float64 inputs are computed in float32.
    rtol = {torch.bfloat16: 8e-3, torch.float16: 1e-3}.get(s.dtype, RTOL)
    check_against_references(tau, grad, s, t, form, k, rtol, weights=case['w'] if case['autograd'] else None,
                             torch_too=n > 0 and s.dtype != torch.bfloat16)


def test_module_imports_without_triton_and_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'triton', None)
    monkeypatch.setitem(sys.modules, 'triton.language', None)
    spec = importlib.util.spec_from_file_location('_triton_rkkd_without_triton', MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.triton is None
    assert not module.triton_available('cpu') and not module.triton_available(torch.device('cuda'))
    with pytest.raises(ImportError, match='pip install triton'):
        module.rkkd_tau_and_grad_triton(torch.randn(2, 3), torch.randn(2, 3), 'tanh', 1.0, True)


@needs_triton
def test_wrapper_rejects_bad_arguments_before_launching():
    from mmkd.ops import triton_rkkd
    s = torch.randn(3, 5)
    with pytest.raises(ValueError, match='form must be one of'):
        triton_rkkd.rkkd_tau_and_grad_triton(s, s, 'cosine', 1.0, True)
    with pytest.raises(ValueError, match='same shape'):
        triton_rkkd.rkkd_tau_and_grad_triton(s, s[:, :4], 'tanh', 1.0, True)
    if triton_rkkd._is_interpreted():
        return
    assert not triton_rkkd.triton_available(s)
    with pytest.raises(RuntimeError, match='TRITON_INTERPRET=1'):
        triton_rkkd.rkkd_tau_and_grad_triton(s, s, 'tanh', 1.0, True)


@needs_triton
def test_default_block_sizes_are_powers_of_two_that_cover_c():
    # Imported in this process without TRITON_INTERPRET: only the Python helpers are used, no kernel runs.
    from mmkd.ops.triton_rkkd import default_block_sizes
    assert default_block_sizes(100000, 80) == (8, 16, 16)
    assert default_block_sizes(256, 1000) == (1, 32, 64)
    for n in (0, 1, 5, 33, 4096):
        for c in (2, 3, 7, 16, 17, 80, 300, 1000, 4097):
            sizes = default_block_sizes(n, c)
            assert all(b >= 1 and b & (b - 1) == 0 for b in sizes), (n, c, sizes)
            assert sizes[0] * sizes[1] * sizes[2] <= 2048 and sizes[0] <= max(1, 2 * n)


@needs_triton
@pytest.mark.parametrize('form', FORMS)
def test_kernel_compiles_for_sm90_without_a_gpu(form):
    """The interpreter does not lower the kernel: compile it ahead of time for an H100 (no GPU or driver needed)."""
    try:
        import triton
        from triton.backends.compiler import GPUTarget
        from triton.compiler import ASTSource
    except ImportError as exc:  # pragma: no cover - another triton layout
        pytest.skip(f'no ahead-of-time compile API in this triton: {exc}')
    from mmkd.ops import triton_rkkd
    if triton_rkkd._is_interpreted():
        pytest.skip('TRITON_INTERPRET is set in this process')
    args = ['s_ptr', 't_ptr', 'part_ptr', 'grad_ptr', 'n_rows', 'n_cls', 'stride_s', 'stride_t', 'stride_g', 'k',
            'tau_scale', 'grad_scale']
    types = ['*fp32'] * 4 + ['i32'] * 5 + ['fp32'] * 3
    consts = dict(FORM=form, WITH_GRAD=True, BLOCK_R=8, BLOCK_I=16, BLOCK_J=16)
    signature = dict(zip(args, types), **{name: 'constexpr' for name in consts})
    src = ASTSource(fn=triton_rkkd._rkkd_kernel, signature=signature, constexprs=consts)
    compiled = triton.compile(src, target=GPUTarget('cuda', 90, 32),
                              options=dict(num_warps=4, enable_fp_fusion=True))
    assert '_rkkd_kernel' in compiled.asm['ptx'] and len(compiled.asm['cubin']) > 0


@needs_triton
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
@pytest.mark.parametrize('n,c', [(4096, 80), (64, 1000)])
@pytest.mark.parametrize('form', FORMS)
def test_cuda_kernel_matches_torch_path(form, n, c):
    from mmkd.ops.triton_rkkd import rkkd_tau_and_grad_triton, triton_available
    assert triton_available('cuda')
    gen = torch.Generator(device='cuda').manual_seed(0)
    s = standardize(torch.randn(n, c, device='cuda', generator=gen) * 3)
    t = standardize(torch.randn(n, c, device='cuda', generator=gen))
    for k in (0.5, 3.0):
        tau, grad = rkkd_tau_and_grad_triton(s, t, form, k, True)
        tau_nog, grad_nog = rkkd_tau_and_grad_triton(s, t, form, k, False)
        assert grad_nog is None
        assert_close(tau_nog, tau, rtol=1e-6, what='tau without the gradient')
        check_against_references(tau, grad, s, t, form, k)
