# Copyright (c) mmkd contributors. All rights reserved.
"""Training-step overhead of a distiller: time(distiller step) / (time(student step) + time(teacher forward)).

The ratio isolates what distillation itself costs (the losses, target capture, anchor selection): 1.00 means
free. The three are timed on the same random batch: the student's own loss + backward, the teacher's
backbone + neck + head forward under ``no_grad``, and the distiller's loss + backward. They run interleaved,
one of each per round, for ``--iters`` rounds after two warm-up rounds, and each time is the median over the
rounds: a slow-down of the machine during the measurement hits all three alike instead of biasing the ratio.
Works for detection configs (inputs from ``mmdet.testing.demo_mm_inputs``) and classification configs; several
configs give one table.

Example:
    python tools/analysis_tools/benchmark_step.py configs/pld/pld_retinanet-r50_retinanet-mv2_fpn_1x_coco.py \
        configs/rkkd/kd-rkkd_retinanet-r50_retinanet-mv2_fpn_1x_coco.py --device cuda --batch 2 --size 800 1216
"""
import argparse
import os
import statistics
import time
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.structures import BaseDataElement

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules


def input_channels(model) -> int:
    """Image channels the model expects: the length of its preprocessor's mean (grey images have 1), else 3."""
    mean = getattr(model.data_preprocessor, 'mean', None)
    return int(mean.shape[0]) if isinstance(mean, torch.Tensor) else 3


def make_batch(model, batch: int, size, num_classes: int, detection: bool):
    channels = input_channels(model)
    if detection:
        from mmdet.testing import demo_mm_inputs
        packed = demo_mm_inputs(batch_size=batch, image_shapes=[(channels, *size)] * batch, num_items=[5] * batch,
                                num_classes=num_classes)
    else:
        packed = dict(inputs=[torch.randint(0, 256, (channels, *size), dtype=torch.uint8) for _ in range(batch)],
                      data_samples=[BaseDataElement(gt_label=torch.tensor([i % num_classes])) for i in range(batch)])
    return model.data_preprocessor(packed, True)


def timed_interleaved(fns: Sequence[Callable[[], None]], iters: int, sync: Callable[[], None]) -> List[float]:
    """Median seconds of each function over ``iters`` rounds that run every function once (after 2 warm-up
    rounds)."""
    times = [[] for _ in fns]
    for round_ in range(iters + 2):
        for fn, record in zip(fns, times):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            if round_ >= 2:
                record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


def measure(config: str, device: str, batch: int, size: Sequence[int], iters: int,
            options: Optional[dict] = None, amp: str = 'none') -> str:
    """One table row: the three times of ``config`` (with ``options`` merged in) and their ratio; with ``amp``
    ('bf16' or 'fp16') every step runs under autocast, as ``--amp`` training does."""
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(options)
    model = MODELS.build(cfg.model).to(device)
    model.teacher_loaded = True  # random teacher weights: the timing does not depend on them
    model.train()
    detection = hasattr(model.student, 'bbox_head') or hasattr(model.student, 'roi_head')
    roi_head = getattr(model.student, 'roi_head', None)
    head = getattr(model.student, 'bbox_head', None) or getattr(roi_head, 'bbox_head', None)
    num_classes = head.num_classes if head is not None else model.student.num_classes
    data = make_batch(model, batch, size, num_classes, detection)
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)

    def backward(losses):
        total = sum(v.sum() if not isinstance(v, list) else sum(x.sum() for x in v)
                    for k, v in losses.items() if 'loss' in k)
        total.backward()
        model.zero_grad(set_to_none=True)

    def student_step():
        backward(model.student(**data, mode='loss'))

    def teacher_forward():
        if detection and hasattr(model.teacher, 'bbox_head'):
            model.teacher_forward(lambda: model.teacher.bbox_head(model.teacher.extract_feat(data['inputs'])))
        elif detection:
            model.teacher_forward(lambda: model.teacher.extract_feat(data['inputs']))
        else:
            model.teacher_forward(model.teacher, data['inputs'], mode='tensor')

    def distill_step():
        backward(model(**data, mode='loss'))

    steps = [student_step, teacher_forward, distill_step]
    if amp != 'none':
        dtype = dict(bf16=torch.bfloat16, fp16=torch.float16)[amp]

        def autocast(fn):
            def run():
                with torch.autocast(device.split(':')[0], dtype=dtype):
                    fn()
            return run

        steps = [autocast(fn) for fn in steps]
    t_s, t_t, t_d = timed_interleaved(steps, iters, sync)
    what = ', '.join(model.distill_losses.keys())
    if options:
        what += '; ' + ' '.join(f'{k}={v}' for k, v in options.items())
    where = device if amp == 'none' else f'{device}, {amp} AMP'
    return (f'| {config} ({what}) | {where} | {batch} x {size[0]}x{size[1]} | '
            f'{t_s * 1000:.1f} | {t_t * 1000:.1f} | {t_d * 1000:.1f} | {t_d / (t_s + t_t):.3f} |')


def use_pytorch_focal_loss() -> None:
    """mmdet's focal loss in its pure-PyTorch form on a GPU too (for an mmcv built without CUDA ops, e.g. by
    gpu_bench.sh when the CUDA build does not fit its time; set ``MMKD_PY_FOCAL_LOSS=1``). Timing only."""
    import mmdet.models.losses.focal_loss as focal
    import torch.nn.functional as F

    def from_labels(pred, target, weight=None, gamma=2.0, alpha=0.25, reduction='mean', avg_factor=None):
        one_hot = F.one_hot(target, pred.size(1) + 1)[:, :pred.size(1)].type_as(pred)
        return focal.py_sigmoid_focal_loss(pred, one_hot, weight, gamma, alpha, reduction, avg_factor)

    focal.sigmoid_focal_loss = from_labels


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='+', metavar='config', help='distillation configs')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--size', type=int, nargs=2, default=[512, 512], help='input H W')
    parser.add_argument('--iters', type=int, default=10, help='timed rounds (after 2 warm-up rounds)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every config, e.g. model.anchor_selection=topk')
    parser.add_argument('--amp', default='none', choices=['none', 'bf16', 'fp16'], help='autocast every step')
    args = parser.parse_args()

    register_all_modules()
    if os.environ.get('MMKD_PY_FOCAL_LOSS') == '1':
        use_pytorch_focal_loss()
    print('| config | device | batch x size | student step ms | teacher fwd ms | distill step ms | ratio |')
    print('|---|---|---|---:|---:|---:|---:|', flush=True)
    for config in args.configs:
        print(measure(config, args.device, args.batch, args.size, args.iters, args.cfg_options, args.amp), flush=True)


if __name__ == '__main__':
    main()
