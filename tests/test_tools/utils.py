"""Run tools/*.py as a user would, and read what they wrote (with mmkd's own log reader)."""
import os
import os.path as osp
import subprocess
import sys

from mmkd.analysis import latest_metrics as last_metrics  # noqa: F401 (used by the tests)
from mmkd.analysis import train_log  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(*args, check=True, env=None, timeout=1200, cwd=ROOT):
    """``python tools/<script> args...`` from the repository root (or ``cwd``); returns the CompletedProcess."""
    proc = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    if check and proc.returncode:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-5000:]}')
    return proc
