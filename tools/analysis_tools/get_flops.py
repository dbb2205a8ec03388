# Copyright (c) mmkd contributors. All rights reserved.
"""Parameters and FLOPs of the models of configs, measured with MMEngine's ``get_model_complexity_info``.

For a distillation config the student is measured (``--teacher`` for the teacher). The input is one image of the
size the config evaluates at (its test pipeline's last crop or resize; CIFAR and Fashion-MNIST images as they
are) unless ``--shape`` is given. FLOPs follow MMEngine's (fvcore's) convention: one fused multiply-add counts
as one FLOP, normalisation layers and pooling count a few FLOPs per element, activations and additions none;
PyTorch's fused attention (``scaled_dot_product_attention``) is counted as its two matrix products, which MMEngine
0.10.7 would otherwise leave out. MMEngine's warnings about the operators it does not count are shown with
``--verbose``.

Example (the README's model-zoo table)::

    python tools/analysis_tools/get_flops.py configs/vanilla/vit-s-p16_lamb_8xb256-100e_in1k.py \
        configs/vanilla/mnv4-conv-s_lamb_8xb256-100e_in1k.py --markdown
"""
import argparse
import logging
import math
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info, jit_handles
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

#: datasets whose images are used at their stored size when the test pipeline does not resize them
NATIVE_SIZE = {'CIFAR10Dataset': 32, 'CIFAR100Dataset': 32, 'FashionMNISTDataset': 28}


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """``aten::scaled_dot_product_attention``: q k^T and (softmax) v, [..., L, E] x [..., S, E] and [..., S, Ev]."""
    q, k, v = (jit_handles.get_shape(x) for x in inputs[:3])
    batch = math.prod(q[:-2])
    return batch * q[-2] * k[-2] * q[-1] + batch * q[-2] * k[-2] * v[-1]


@contextmanager
def count_fused_attention() -> Iterator[None]:
    """Let MMEngine's FLOP counter count fused attention (restored on exit)."""
    from mmengine.analysis import complexity_analysis
    table = complexity_analysis._DEFAULT_SUPPORTED_FLOP_OPS
    added = 'aten::scaled_dot_product_attention' not in table
    if added:
        table['aten::scaled_dot_product_attention'] = sdpa_flop_jit
    try:
        yield
    finally:
        if added:
            del table['aten::scaled_dot_product_attention']


def _size(value: Any) -> Optional[Tuple[int, int]]:
    if isinstance(value, int):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    return None


def evaluation_size(cfg: Config) -> Tuple[int, int]:
    """(h, w) of the images the config evaluates on: its test pipeline's last crop / resize, else the
    dataset's native size."""
    dataset = cfg.test_dataloader.dataset
    for step in reversed(dataset.get('pipeline', [])):
        for key in ('crop_size', 'size', 'scale'):
            size = _size(step.get(key))
            if size is not None:
                return size
    if dataset.get('type') in NATIVE_SIZE:
        return NATIVE_SIZE[dataset['type']], NATIVE_SIZE[dataset['type']]
    raise ValueError(f'Cannot tell the input size of {cfg.filename}: pass --shape H W.')


def build_measured_model(cfg: Config, teacher: bool) -> torch.nn.Module:
    model = MODELS.build(cfg.model)
    if hasattr(model, 'student'):  # a distiller: measure one of its two networks
        model = model.teacher if teacher else model.student
    return model.eval()


def complexity(cfg: Config, shape: Optional[Sequence[int]] = None, teacher: bool = False) -> dict:
    """``{'params': int, 'flops': int, 'shape': (c, h, w)}`` of the config's (student's) network."""
    model = build_measured_model(cfg, teacher)
    size = tuple(shape) if shape else evaluation_size(cfg)
    mean = getattr(getattr(model, 'data_preprocessor', None), 'mean', None)
    channels = int(mean.shape[0]) if isinstance(mean, torch.Tensor) else 3
    with count_fused_attention(), torch.no_grad():
        info = get_model_complexity_info(model, input_shape=(channels, *size), show_table=False, show_arch=False)
    return dict(params=info['params'], flops=info['flops'], shape=(channels, *size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'), help='input size (default: the config\'s)')
    parser.add_argument('--teacher', action='store_true', help='measure the teacher of a distillation config')
    parser.add_argument('--markdown', action='store_true', help='one markdown table row per config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--verbose', action='store_true', help="show MMEngine's warnings (operators not counted)")
    args = parser.parse_args()
    register_all_modules()
    if not args.verbose:
        MMLogger.get_current_instance().setLevel(logging.ERROR)
    if args.markdown:
        print('| config | input | params (M) | FLOPs (G) |\n|---|---|---:|---:|')
    for path in args.configs:
        cfg = Config.fromfile(path)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        result = complexity(cfg, args.shape, args.teacher)
        c, h, w = result['shape']
        params, flops = result['params'] / 1e6, result['flops'] / 1e9
        if args.markdown:
            print(f'| `{path}` | {c}x{h}x{w} | {params:.2f} | {flops:.3f} |')
        else:
            print(f'{path}\n  input {c}x{h}x{w}: {params:.2f} M parameters, {flops:.3f} GFLOPs')


if __name__ == '__main__':
    main()
