# Copyright (c) mmkd contributors. All rights reserved.
"""Fast CPU kernels of mmkd, a C++ extension compiled on first use (``torch.utils.cpp_extension.load``).

The sources are ``mmkd/ops/csrc/*.cpp``; they register the operators ``torch.ops.mmkd_cpu.rkkd_forward`` and
``torch.ops.mmkd_cpu.argsort_rows``. The build runs once per machine (a few seconds; ninja and a C++ compiler are
needed) and is cached under ``$TORCH_EXTENSIONS_DIR`` (default ``~/.cache/torch_extensions``); later processes
only load it. It is compiled with ``-march=native`` on x86-64, so the build name carries a digest of
the CPU model and flags, the compiler flags, the PyTorch and Python versions and the sources' folder: a cache
shared by different machines holds one build per CPU kind (see :func:`build_name`).

Everything here degrades gracefully: without a compiler or ninja, when the build fails, or with the environment
variable ``MMKD_DISABLE_CPU_EXT=1``, :func:`load_cpu_ops` logs one warning and returns None, the wrappers return
None, and the callers use their PyTorch kernels (same results, slower).
"""
import hashlib
import logging
import os
import os.path as osp
import platform
import shutil
import sys
import threading
import time
from typing import Any, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor

#: Set to 1 (or true/yes/on) to never build or load the extension.
DISABLE_ENV = 'MMKD_DISABLE_CPU_EXT'
#: The operator namespace the sources register (``torch.ops.mmkd_cpu``).
OP_NAMESPACE = 'mmkd_cpu'
CSRC_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'csrc')
SOURCES = ('rkkd.cpp', 'sort.cpp', 'pld.cpp')
RKKD_FORMS = ('tanh', 'product', 'sign')
#: A build lock older than this (seconds) was left by a killed build and is removed.
STALE_LOCK_S = 600

_lock = threading.Lock()
_state = {'done': False, 'ops': None}


def _env_disabled() -> bool:
    return os.environ.get(DISABLE_ENV, '').strip().lower() not in ('', '0', 'false', 'no', 'off')


def _compile_flags() -> List[str]:
    """``-O3`` and OpenMP (``at::parallel_for`` is inline OpenMP), plus ``-march=native`` on x86-64."""
    flags = ['-O3', '-fopenmp', '-fno-math-errno', '-fno-trapping-math']
    if platform.machine().lower() in ('x86_64', 'amd64'):
        flags += ['-march=native', '-mprefer-vector-width=512']
    return flags


def _cpu_signature() -> str:
    """The CPU model and feature flags (what ``-march=native`` depends on)."""
    parts = [platform.machine(), platform.processor()]
    try:
        with open('/proc/cpuinfo', encoding='utf-8', errors='replace') as f:
            seen = set()
            for line in f:
                key = line.split(':', 1)[0].strip()
                if key in ('vendor_id', 'model name', 'flags', 'Features', 'CPU part') and key not in seen:
                    seen.add(key)
                    parts.append(line.strip())
    except OSError:
        pass
    return '\n'.join(parts)


def build_name(flags: Optional[List[str]] = None) -> str:
    """``mmkd_cpu_ops_`` and a digest of the CPU, the flags, the PyTorch and Python versions and the sources' folder.

    One build folder per CPU kind (``-march=native``) and per mmkd checkout; PyTorch rebuilds on source changes.
    """
    flags = _compile_flags() if flags is None else flags
    key = '\n'.join([_cpu_signature(), ' '.join(flags), torch.__version__, sys.version, CSRC_DIR])
    return 'mmkd_cpu_ops_' + hashlib.sha1(key.encode()).hexdigest()[:12]


def build_directory(name: str) -> str:
    """Where the extension is built: ``$TORCH_EXTENSIONS_DIR/<name>``, by default
    ``~/.cache/torch_extensions/<name>`` (the name already carries the versions, see :func:`build_name`)."""
    from torch.utils import cpp_extension
    root = os.environ.get('TORCH_EXTENSIONS_DIR') or cpp_extension.get_default_build_root()
    return osp.join(root, name)


def _remove_stale_lock(folder: str, max_age_s: float = STALE_LOCK_S) -> None:
    """Delete a build lock left by a killed process (PyTorch would wait for it forever); a build takes seconds."""
    lock = osp.join(folder, 'lock')
    try:
        if osp.exists(lock) and time.time() - os.path.getmtime(lock) > max_age_s:
            os.remove(lock)
    except OSError:
        pass


def _first_error_line(err: BaseException) -> str:
    """One line that says why a build failed: the compiler's or linker's first error if the message has one."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for marker in ('error:', 'undefined reference', 'error'):
        for line in lines:
            if marker in line.lower() and not line.startswith(('FAILED', 'Error building', '[')):
                return line[:300]
    return (lines[0] if lines else type(err).__name__)[:300]


def _build_and_load() -> Tuple[Optional[Any], str]:
    """(the op namespace, '') or (None, the reason)."""
    if _env_disabled():
        return None, f'disabled by {DISABLE_ENV}={os.environ.get(DISABLE_ENV)}'
    try:
        from torch.utils import cpp_extension
    except Exception as err:  # noqa: BLE001 - any import problem means no extension
        return None, f'torch.utils.cpp_extension unavailable ({type(err).__name__}: {err})'
    compiler = (os.environ.get('CXX', '').strip() or 'c++').split()[0]  # what cpp_extension runs
    if shutil.which(compiler) is None:
        return None, f'no C++ compiler ({compiler!r} not found)'
    if not cpp_extension.is_ninja_available():
        return None, 'ninja not found (pip install ninja)'
    flags = _compile_flags()
    name = build_name(flags)
    try:
        folder = build_directory(name)
        os.makedirs(folder, exist_ok=True)
        _remove_stale_lock(folder)
        cpp_extension.load(
            name=name,
            sources=[osp.join(CSRC_DIR, src) for src in SOURCES],
            extra_cflags=flags,
            extra_ldflags=['-fopenmp'],
            build_directory=folder,
            is_python_module=False,
            verbose=False)
        ops = getattr(torch.ops, OP_NAMESPACE)
        missing = [op for op in ('rkkd_forward', 'argsort_rows') if not hasattr(ops, op)]
        if missing:
            return None, f'the built library lacks torch.ops.{OP_NAMESPACE}.{missing[0]}'
    except Exception as err:  # noqa: BLE001 - a failed build is reported, never raised
        return None, f'build failed: {_first_error_line(err)}'
    return ops, ''


def load_cpu_ops() -> Optional[Any]:
    """Build (first call on a machine) and load the extension, once per process.

    Returns:
        The operator namespace ``torch.ops.mmkd_cpu`` (with ``rkkd_forward`` and ``argsort_rows``), or None when
        the extension is disabled or cannot be built; then one warning names the reason.
    """
    if _state['done']:
        return _state['ops']
    with _lock:
        if not _state['done']:
            ops, reason = _build_and_load()
            if ops is None:
                print_log(
                    f'mmkd: CPU extension unavailable ({reason}); falling back to the PyTorch kernels (slower).',
                    logger='current',
                    level=logging.WARNING)
            _state['ops'] = ops
            _state['done'] = True
    return _state['ops']


def _is_cpu_float32_matrix(x: Any) -> bool:
    return (isinstance(x, Tensor) and x.dim() == 2 and x.dtype == torch.float32 and x.device.type == 'cpu'
            and x.is_contiguous())


def rkkd_tau_and_grad_cpu(preds_S: Tensor, preds_T: Tensor, form: str, k: float,
                          with_grad: bool) -> Optional[Tuple[Tensor, Optional[Tensor]]]:
    """RKKD's tau_d per row and its gradient with the C++ kernel (the semantics of
    :func:`mmkd.losses.rkkd.rkkd_tau_and_grad_chunked`).

    Args:
        preds_S (Tensor): Student logits [N, C], float32, contiguous, on the CPU, C >= 2.
        preds_T (Tensor): Teacher logits, same shape and kind.
        form (str): 'tanh', 'product' or 'sign'.
        k (float): Steepness of the tanh.
        with_grad (bool): Also return ``d tau_n / d preds_S[n]``.

    Returns:
        tuple | None: ``tau`` [N] and ``grad`` [N, C] (None without ``with_grad``), both float32; None when the
        extension is unavailable or the inputs are not as above (the caller then uses the PyTorch path).
    """
    if (not _is_cpu_float32_matrix(preds_S) or not _is_cpu_float32_matrix(preds_T)
            or preds_S.shape != preds_T.shape or preds_S.size(1) < 2 or form not in RKKD_FORMS):
        return None
    ops = load_cpu_ops()
    if ops is None:
        return None
    with torch.no_grad():
        tau, grad = ops.rkkd_forward(preds_S, preds_T, form, float(k), bool(with_grad))
    return tau, (grad if with_grad else None)


def pld_loss_and_grad_cpu(preds_S: Tensor, perm: Tensor, alpha: Tensor,
                          with_grad: bool) -> Optional[Tuple[Tensor, Optional[Tensor]]]:
    """PLD's per-row loss in the order ``perm`` and its gradient with the C++ kernel (the formulas of
    ``mmkd.losses.pld._PlackettLuceRows``).

    Args:
        preds_S (Tensor): Student logits [N, C], float32, contiguous, on the CPU.
        perm (Tensor): int64 [N, C], the class at each rank.
        alpha (Tensor): float32 [N, C], the weight of each rank.
        with_grad (bool): Also return ``d loss_n / d preds_S[n]`` (in the class order).

    Returns:
        tuple | None: ``loss`` [N] and ``grad`` [N, C] (None without ``with_grad``); None when the extension is
        unavailable or the inputs are not as above.
    """
    if (not _is_cpu_float32_matrix(preds_S) or not _is_cpu_float32_matrix(alpha) or perm.dtype != torch.int64
            or perm.shape != preds_S.shape or alpha.shape != preds_S.shape or preds_S.size(1) < 1):
        return None
    ops = load_cpu_ops()
    if ops is None:
        return None
    with torch.no_grad():
        loss, grad = ops.pld_forward(preds_S, perm.contiguous(), alpha, bool(with_grad))
    return loss, (grad if with_grad else None)


def argsort_rows_cpu(keys: Tensor, descending: bool = True) -> Optional[Tensor]:
    """``keys.argsort(dim=1, descending=descending, stable=True)`` with the C++ kernel.

    -0.0 and 0.0 tie (class order kept), as in PyTorch; keys must not be NaN.

    Args:
        keys (Tensor): [N, C] float32, contiguous, on the CPU.
        descending (bool): Largest key first. Defaults to True.

    Returns:
        Tensor | None: int64 [N, C], or None when the extension is unavailable or ``keys`` is not as above.
    """
    if not _is_cpu_float32_matrix(keys):
        return None
    ops = load_cpu_ops()
    if ops is None:
        return None
    with torch.no_grad():
        return ops.argsort_rows(keys, bool(descending))
