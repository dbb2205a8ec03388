# Copyright (c) mmkd contributors. All rights reserved.
"""Pre-flight check of a distillation config, before any training (see :mod:`mmkd.analysis.preflight`).

    python tools/analysis_tools/check_distill.py CONFIG [--val-batches 4] [--min-metric coco/bbox_mAP=0.3]
                                                 [--cfg-options model.teacher_ckpt=PATH ...]

1. loads the teacher checkpoint strictly; 2. evaluates the teacher on a few validation batches; 3. runs one
training batch and checks that teacher and student logits align and are finite; 4. checks that with every
distillation weight at 0 the distiller's losses are the student's own, exactly; 5. prints every loss term's
value and the gradient norm it puts on the student's logits and parameters at initialisation.
Exits with status 1 and the reason at the first failure; nothing is trained or written outside --work-dir.
"""
import argparse
import os.path as osp
import sys
import tempfile

from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmkd.analysis.preflight import (Check, check_alignment, check_teacher_loaded, check_teacher_metric,
                                     check_term_gradients, check_zero_weights, run_checks)
from mmkd.datasets.coco_check import check_coco_config
from mmkd.distillers.base import BaseDistiller
from mmkd.utils import register_all_modules, trusted_local_checkpoints


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='distillation config file')
    parser.add_argument('--val-batches', type=int, default=4, help='validation batches the teacher is scored on')
    parser.add_argument('--min-metric', nargs='+', action=DictAction, default={},
                        help='fail when the teacher scores below, e.g. accuracy/top1=60 coco/bbox_mAP=0.3')
    parser.add_argument('--work-dir', help='where the runner may write its log (default: a temporary folder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as in tools/train.py')
    return parser.parse_args()


def report(i: int, total: int, check: Check) -> None:
    print(f'[check_distill] {i}/{total} {check.name}: {"OK" if check.ok else "FAILED"}: {check.summary}')
    for line in check.details:
        print('    ' + line)
    sys.stdout.flush()


def main() -> int:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or tempfile.mkdtemp(prefix='check_distill_')
    cfg.launcher = 'none'
    cfg.pop('resume', None)
    cfg.load_from = None
    check_coco_config(cfg, 'train')
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not isinstance(model, BaseDistiller):
        print(f'[check_distill] FAILED: {args.config} builds a {type(model).__name__}, not an mmkd distiller '
              '(model.type DenseHeadDistiller, RoIHeadDistiller, ClassificationDistiller ...).')
        return 1
    print(f'[check_distill] {args.config}: {type(model).__name__}, teacher {type(model.teacher).__name__} -> '
          f'student {type(model.student).__name__}, distillation terms {list(model.distill_losses)}')

    batch = {}

    def train_batch() -> dict:
        if not batch:
            loader = runner.build_dataloader(cfg.train_dataloader, seed=runner.seed)
            batch['data'] = model.data_preprocessor(next(iter(loader)), True)
        return batch['data']

    steps = [lambda: check_teacher_loaded(model)]
    if cfg.get('val_dataloader') and cfg.get('val_evaluator'):
        steps.append(lambda: check_teacher_metric(model, runner.val_loop.dataloader, runner.val_loop.evaluator,
                                                  args.val_batches, args.min_metric))
    steps += [lambda: check_alignment(model, train_batch()), lambda: check_zero_weights(model, train_batch()),
              lambda: check_term_gradients(model, train_batch())]
    with trusted_local_checkpoints():
        passed = run_checks(steps, report)
    if passed:
        print(f'[check_distill] all {len(steps)} checks passed (runner log: {osp.abspath(cfg.work_dir)})')
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
