"""Run tools/*.py as a user would, and read what they wrote."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(*args, check=True, env=None, timeout=1200):
    """``python tools/<script> args...`` from the repository root; returns the CompletedProcess."""
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    if check and proc.returncode:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def last_metrics(work_dir):
    """The last metrics line of the newest <timestamp>/<timestamp>.json in a work dir."""
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')), key=os.path.getmtime)
    assert files, f'no json log in {work_dir}'
    with open(files[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[-1]


def train_log(work_dir):
    """All training log lines (dicts with 'loss' keys) of the newest run in a work dir."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')), key=os.path.getmtime)
    assert files, f'no scalars.json in {work_dir}'
    with open(files[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]
