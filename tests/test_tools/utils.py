"""Run tools/*.py as a user would, and read what they wrote (with mmkd's own log reader)."""
import os
import os.path as osp
import subprocess
import sys

import torch

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


# ---------------------------------------------------------------- tiny CIFAR-100 runs (see conftest.py's fixtures)
#: the teacher (and the student alone) of the end-to-end classification runs
CIFAR_TEACHER = 'configs/vanilla/r8_1xb64-240e_cifar100.py'
ENV = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')  # two runs share the two cores


def opts(root, epochs=1):
    """Options of a CIFAR run on the tiny pickles at ``root``: one-epoch logs and checkpoints, batch 32."""
    out = [f'train_cfg.max_epochs={epochs}', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        out += [f'{loader}.dataset.data_root={root}', f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                f'{loader}.batch_size=32']
    return out


def distill_opts(root, teacher_ckpt, epochs=1):
    """``opts`` of a distiller with ResNet-8 teacher and student and ``teacher_ckpt``."""
    return opts(root, epochs) + ['model.teacher.backbone.arch=resnet8', 'model.student.backbone.arch=resnet8',
                                 f'model.teacher_ckpt={teacher_ckpt}']


def random_teacher(config, path, **overrides):
    """Save the model of ``config`` (``mmkd::``/``mmdet::`` or a path, keys of ``overrides`` merged in) with its
    random initial weights as a checkpoint at ``path``: a teacher for tests that need one that loads, not one that
    is good. Returns ``path``."""
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules, resolve_cfg_path
    register_all_modules()
    model = MODELS.build(resolve_cfg_path(dict(cfg_path=config, **overrides)))
    torch.save(dict(state_dict=model.state_dict()), path)
    return path
