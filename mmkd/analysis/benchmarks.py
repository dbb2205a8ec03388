# Copyright (c) mmkd contributors. All rights reserved.
"""The benchmarks of ``docs/results/``: for each, the teacher, every method's config (paths in a source
checkout), the metric and its scale. ``tools/analysis_tools/run_benchmark.py`` trains them and
``collect_results.py`` collects them under the method names' :func:`slug`."""
import os.path as osp
from typing import Optional


def prepare_synthetic_coco(root: str, mv2_weights: Optional[str]) -> None:
    """Generate the benchmark-size shapes set and convert torchvision's ImageNet MobileNetV2 weights
    (``mobilenet_v2-b0353104.pth``) to mmdet's layout, under ``root`` (the checkout)."""
    from mmkd.datasets.synthetic_coco import generate_synthetic_coco
    from mmkd.models.converters import convert_mobilenetv2_checkpoint
    generate_synthetic_coco(osp.join(root, 'data/synthetic_coco_bench'), num_train=480, num_val=120, num_classes=4,
                            size_range=(128, 224), seed=0)
    dst = osp.join(root, 'data/pretrained/mobilenet_v2_mmdet.pth')
    if not osp.isfile(dst):
        if not mv2_weights:
            raise SystemExit('[bench] --mv2-weights: torchvision ImageNet MobileNetV2 weights '
                             '(mobilenet_v2-b0353104.pth)')
        convert_mobilenetv2_checkpoint(mv2_weights, dst)


#: name -> teacher (config, epochs), methods {display name: (config, epochs, distilled)}, data_keys (the
#: options --data-root sets), metric, scale (x100 for COCO mAP) and an optional prepare(root, mv2_weights).
BENCHMARKS = {
    'fashion_mnist': dict(
        teacher=('configs/vanilla/r20_1xb128-4e_fashion-mnist.py', 4),
        methods={
            'CE': ('configs/vanilla/r8_1xb128-1e_fashion-mnist.py', 1, False),
            'KD': ('configs/kd/kd_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'KD+RKKD (tanh)': ('configs/rkkd/kd-rkkd_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'KD+RKKD (product)': ('configs/rkkd/kd-rkkd_r20_r8_product_1xb128-1e_fashion-mnist.py', 1, True),
            'KD+RKKD (sign)': ('configs/rkkd/kd-rkkd_r20_r8_sign_1xb128-1e_fashion-mnist.py', 1, True),
            'DKD': ('configs/dkd/dkd_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'DKD+RKKD': ('configs/rkkd/dkd-rkkd_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'DIST': ('configs/dist/dist_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'DIST+RKKD': ('configs/rkkd/dist-rkkd_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
            'PLD': ('configs/pld/pld_r20_r8_1xb128-1e_fashion-mnist.py', 1, True),
        },
        data_keys=('train_dataloader.dataset.data_root', 'val_dataloader.dataset.data_root',
                   'test_dataloader.dataset.data_root'),
        metric='accuracy/top1', scale=1.0),
    'synthetic_coco': dict(
        prepare=prepare_synthetic_coco,
        teacher=('configs/retinanet/retinanet_mv2_fpn_wide-head_12e_synthetic-coco-bench.py', 12),
        methods={
            'student alone': ('configs/retinanet/retinanet_mv2_fpn_6e_synthetic-coco-bench.py', 6, False),
            'KD': ('configs/kd/kd_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py', 6, True),
            'KD+RKKD': ('configs/rkkd/kd-rkkd_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py', 6,
                        True),
            'PLD': ('configs/pld/pld_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py', 6, True),
        },
        data_keys=(),
        metric='coco/bbox_mAP', scale=100.0),
}


def slug(method: str) -> str:
    """The folder of a method's runs: 'KD+RKKD (tanh)' -> 'kd_rkkd_tanh'."""
    return method.lower().replace('+', '_').replace(' ', '_').replace('(', '').replace(')', '')


def config_of(benchmark: str, method_dir: str) -> str:
    """The config that trains a collected run folder ('teacher' or a method's slug)."""
    bench = BENCHMARKS[benchmark]
    if method_dir == 'teacher':
        return bench['teacher'][0]
    for method, (config, _, _) in bench['methods'].items():
        if slug(method) == method_dir:
            return config
    raise KeyError(f'{benchmark} has no method folder {method_dir!r}')
