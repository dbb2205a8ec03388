# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


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
        teacher = model.teacher
        loop = runner.val_loop
        evaluator = loop.evaluator
        teacher.eval()
        with torch.no_grad():
            for data_batch in loop.dataloader:
                data = model.data_preprocessor(data_batch, False)
                if hasattr(model, 'teacher_inputs'):  # the teacher's own resolution / normalisation
                    data['inputs'] = model.teacher_inputs(data['inputs'])
                outputs = teacher(**data, mode='predict')
                evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = evaluator.evaluate(len(loop.dataloader.dataset))
        print_log('Teacher before training: ' + ', '.join(f'{k}: {v}' for k, v in metrics.items()),
                  logger='current')
        failed = {k: (metrics.get(k), v) for k, v in self.min_metrics.items()
                  if k not in metrics or metrics[k] < v}
        if failed:
            raise RuntimeError(f'The teacher scores below min_metrics ({{metric: (score, minimum)}}: {failed}). '
                               'Check model.teacher_ckpt and the teacher config (classes, preprocessing).')
