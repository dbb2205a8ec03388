# Copyright (c) mmkd contributors. All rights reserved.
"""Train a model or a distiller from a config (same command line as MMDetection 3.x tools/train.py)."""
import argparse
import logging
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmkd.datasets.coco_check import check_coco_config
from mmkd.utils import finish_cpu_distributed, register_all_modules, setup_cpu_distributed, trusted_local_checkpoints


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model or a distiller')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', default=False, help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='enable automatically scaling LR.')
    parser.add_argument(
        '--tensorboard',
        action='store_true',
        help='also write the logged scalars as TensorBoard event files in <work_dir>/<timestamp>/vis_data '
        '(MMEngine\'s TensorboardVisBackend next to the config\'s backends; needs the tensorboard package)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    # When using PyTorch version >= 2.0.0, the `torch.distributed.launch`
    # will pass the `--local-rank` parameter to `tools/train.py` instead
    # of `--local_rank`.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_amp(cfg: Config) -> None:
    """Switch the config to mixed precision: fp16 with dynamic loss scaling on GPU, bf16 on CPU."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper in ('AmpOptimWrapper', 'mmkd.CPUAmpOptimWrapper', 'CPUAmpOptimWrapper'):
        print_log('AMP training is already enabled in your config.', logger='current', level=logging.WARNING)
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError(f'--amp is only supported with optim_wrapper.type=OptimWrapper, got {optim_wrapper}.')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    else:  # mmengine's AmpOptimWrapper needs a GPU: bfloat16 autocast on CPU
        cfg.optim_wrapper.type = 'mmkd.CPUAmpOptimWrapper'


def enable_tensorboard(cfg: Config) -> None:
    """Add MMEngine's ``TensorboardVisBackend`` to the config's visualization backends, keeping the others
    (``LocalVisBackend``'s ``scalars.json`` is what mmkd's analysis tools read). ``--cfg-options`` cannot do it: it
    can change an existing entry of a list but not add one, and it parses no ``dict(...)`` values."""
    try:
        import tensorboard  # noqa: F401
    except ImportError as exc:
        raise ImportError('--tensorboard needs the tensorboard package: pip install tensorboard (or, in an mmkd '
                          'checkout, pip install ".[tensorboard]").') from exc
    visualizer = cfg.get('visualizer') or dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
    backends = list(visualizer.get('vis_backends') or [])
    names = [getattr(b.get('type'), '__name__', b.get('type')) for b in backends]
    if not any(str(name).split('.')[-1] == 'TensorboardVisBackend' for name in names):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends
    cfg.visualizer = visualizer


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        enable_amp(cfg)
    if args.tensorboard:
        enable_tensorboard(cfg)
    setup_cpu_distributed(cfg)

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or "auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your configuration file.')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    check_coco_config(cfg, 'train')  # a broken annotation file fails now, with its name

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    with trusted_local_checkpoints():  # load_from / --resume: MMEngine checkpoints under torch >= 2.6
        runner.train()
    finish_cpu_distributed(cfg)  # CPU multi-process runs: leave together, skip gloo's exit-time teardown


if __name__ == '__main__':
    main()
