# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Iterable, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


def evaluate_teacher(model, dataloader: Iterable, evaluator, max_batches: Optional[int] = None) -> Dict[str, float]:
    """The metrics of a distiller's teacher on (the first ``max_batches`` batches of) a validation dataloader.

    The teacher sees the batches as in training (the distiller's data preprocessor, and its ``teacher_inputs``
    when it has one). Torch's global random state is the same after as before. With ``max_batches``, metrics
    that evaluate against a fixed image list (mmdet's ``CocoMetric``) are restricted to the images seen.

    Args:
        model: The distiller (not wrapped).
        dataloader: Validation batches.
        evaluator: MMEngine evaluator with its ``dataset_meta`` set (the val loop's).
        max_batches (int, optional): Evaluate on this many batches only. Defaults to all.
    """
    teacher = model.teacher
    teacher.eval()
    seen, img_ids = 0, []
    # forked RNG: iterating a dataloader draws from torch's global generator, and training must draw what the
    # student alone draws (RoI samplers, dropout)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        for i, data_batch in enumerate(dataloader):
            if max_batches is not None and i >= max_batches:
                break
            data = model.data_preprocessor(data_batch, False)
            if hasattr(model, 'teacher_inputs'):  # the teacher's own resolution / normalisation
                data['inputs'] = model.teacher_inputs(data['inputs'])
            outputs = teacher(**data, mode='predict')
            evaluator.process(data_samples=outputs, data_batch=data_batch)
            seen += len(outputs)
            img_ids += [s.metainfo['img_id'] for s in outputs if 'img_id' in getattr(s, 'metainfo', {})]
    if max_batches is not None:
        for metric in evaluator.metrics:
            if hasattr(metric, 'img_ids') and img_ids:  # mmdet's CocoMetric: only the images evaluated
                metric.img_ids = img_ids
    return evaluator.evaluate(seen if max_batches is not None else len(dataloader.dataset))


@HOOKS.register_module()
class EvalTeacherHook(Hook):
    """Evaluate the loaded teacher on the validation set once, before training starts.

    A wrong or mismatched teacher checkpoint shows up in minutes instead of after the whole run. The teacher sees
    the validation batches as it does in training (the distiller's ``teacher_input``, when it has one).

    Args:
        min_metrics (dict, optional): e.g. ``{'accuracy/top1': 70}`` or ``{'coco/bbox_mAP': 0.3}``: stop with
            an error when the teacher scores below any of them.
    """
    priority = 'LOW'

    def __init__(self, min_metrics: Optional[Dict[str, float]] = None) -> None:
        self.min_metrics = dict(min_metrics or {})

    def before_train(self, runner) -> None:
        if runner.val_loop is None:
            print_log('EvalTeacherHook: no validation loop; the teacher is not evaluated.', logger='current')
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        metrics = evaluate_teacher(model, runner.val_loop.dataloader, runner.val_loop.evaluator)
        print_log('Teacher before training: ' + ', '.join(f'{k}: {v}' for k, v in metrics.items()),
                  logger='current')
        failed = {k: (metrics.get(k), v) for k, v in self.min_metrics.items()
                  if k not in metrics or metrics[k] < v}
        if failed:
            raise RuntimeError(f'The teacher scores below min_metrics ({{metric: (score, minimum)}}: {failed}). '
                               'Check model.teacher_ckpt and the teacher config (classes, preprocessing).')
