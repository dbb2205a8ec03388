# Copyright (c) mmkd contributors. All rights reserved.
"""Read the logs MMEngine's runner writes into a work dir: ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one
JSON object per logged training step or evaluation) and ``<work_dir>/<timestamp>/<timestamp>.json`` (what
``tools/test.py`` evaluated)."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional


def read_scalars(vis_dir: str) -> List[dict]:
    """Every line of ``vis_dir/scalars.json``."""
    with open(osp.join(vis_dir, 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def latest_run(work_dir: str) -> Optional[str]:
    """The newest ``<timestamp>/vis_data`` folder of a work dir (the run that produced its last checkpoint)."""
    runs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')), key=osp.getmtime)
    return osp.dirname(runs[-1]) if runs else None


def train_log(work_dir: str) -> List[dict]:
    """All lines of the newest run's ``scalars.json`` in a work dir (training steps and evaluations)."""
    vis = latest_run(work_dir)
    if vis is None:
        raise FileNotFoundError(f'no <timestamp>/vis_data/scalars.json in {work_dir}')
    return read_scalars(vis)


def run_metrics(vis: Optional[str], metric: str) -> Optional[dict]:
    """Last and best value of ``metric`` over the evaluations logged in ``vis/scalars.json`` (None if the
    folder is None, has no such file or the run never evaluated)."""
    if vis is None or not osp.isfile(osp.join(vis, 'scalars.json')):
        return None
    values = [line[metric] for line in read_scalars(vis) if metric in line]
    if not values:
        return None
    return dict(last=values[-1], best=max(values), evals=len(values), vis_dir=vis)


def latest_metrics(work_dir: str) -> Dict[str, float]:
    """The last metrics line of the newest ``<timestamp>/<timestamp>.json`` in a work dir (``tools/test.py``)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')), key=osp.getmtime)
    if not files:
        raise FileNotFoundError(f'no <timestamp>/<timestamp>.json metrics file in {work_dir}')
    with open(files[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[-1]
