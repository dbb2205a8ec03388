# Copyright (c) mmkd contributors. All rights reserved.
"""Train a teacher once, then every method config for several seeds, with tools/train.py.

Runs are ordered seed by seed (all methods for the first seed, then the next), so an interrupted benchmark
still has complete rows; finished runs (a final checkpoint in their work dir) are skipped on a re-run.
Work dirs: ``WORK/teacher`` and ``WORK/<method>/seed<S>``. Collect them with ``collect_results.py``, which
reads each benchmark's ``metric`` (and ``scale``, e.g. 100 for COCO mAP) from ``BENCHMARKS``.

``--jobs N`` trains N student runs at a time, each with cpu_count / N threads (unless OMP_NUM_THREADS is set).

Example (Fashion-MNIST, the data of the Debian package dataset-fashion-mnist):
    python tools/analysis_tools/run_benchmark.py fashion_mnist --data-root /usr/share/datasets/fashion-mnist --jobs 2
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

BENCHMARKS = {
    'fashion_mnist': dict(
        teacher=('configs/fashion_mnist/models/resnet20.py', 4),
        methods={
            'CE': ('configs/fashion_mnist/models/resnet8.py', 1, False),
            'KD': ('configs/fashion_mnist/kd.py', 1, True),
            'KD+RKKD (tanh)': ('configs/fashion_mnist/kd_rkkd.py', 1, True),
            'KD+RKKD (product)': ('configs/fashion_mnist/kd_rkkd_product.py', 1, True),
            'KD+RKKD (sign)': ('configs/fashion_mnist/kd_rkkd_sign.py', 1, True),
            'DKD': ('configs/fashion_mnist/dkd.py', 1, True),
            'DKD+RKKD': ('configs/fashion_mnist/dkd_rkkd.py', 1, True),
            'DIST': ('configs/fashion_mnist/dist.py', 1, True),
            'DIST+RKKD': ('configs/fashion_mnist/dist_rkkd.py', 1, True),
            'PLD': ('configs/fashion_mnist/pld.py', 1, True),
        },
        data_keys=('train_dataloader.dataset.data_root', 'val_dataloader.dataset.data_root',
                   'test_dataloader.dataset.data_root'),
        metric='accuracy/top1', scale=1.0),
}


def prepare_synthetic_coco(args) -> None:
    """Generate the benchmark-size shapes set and convert the ImageNet MobileNetV2 weights (--mv2-weights)."""
    sys.path.insert(0, ROOT)
    from mmkd.datasets.synthetic_coco import generate_synthetic_coco
    generate_synthetic_coco(osp.join(ROOT, 'data/synthetic_coco_bench'), num_train=480, num_val=120, num_classes=4,
                            size_range=(128, 224), seed=0)
    dst = osp.join(ROOT, 'data/pretrained/mobilenet_v2_mmdet.pth')
    if not osp.isfile(dst):
        if not args.mv2_weights:
            sys.exit('[bench] --mv2-weights: torchvision ImageNet MobileNetV2 weights (mobilenet_v2-b0353104.pth)')
        subprocess.run([sys.executable, 'tools/model_converters/mobilenetv2_torchvision_to_mmdet.py',
                        args.mv2_weights, dst], cwd=ROOT, check=True)


BENCHMARKS['synthetic_coco'] = dict(
    prepare=prepare_synthetic_coco,
    teacher=('configs/synthetic_coco/retinanet_mv2_fpn_wide_teacher.py', 12),
    methods={
        'student alone': ('configs/synthetic_coco/retinanet_mv2_fpn_student.py', 6, False),
        'KD': ('configs/synthetic_coco/kd_mv2.py', 6, True),
        'KD+RKKD': ('configs/synthetic_coco/kd_rkkd_mv2.py', 6, True),
        'PLD': ('configs/synthetic_coco/pld_mv2.py', 6, True),
    },
    data_keys=(),
    metric='coco/bbox_mAP', scale=100.0)


def slug(method: str) -> str:
    return method.lower().replace('+', '_').replace(' ', '_').replace('(', '').replace(')', '')


def train(config: str, work_dir: str, epochs: int, options: List[str], threads: Optional[int] = None) -> None:
    """One ``tools/train.py`` run (skipped when its final checkpoint exists); its output goes to run.log."""
    if osp.isfile(osp.join(work_dir, f'epoch_{epochs}.pth')):
        print(f'[bench] done already: {work_dir}', flush=True)
        return
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options', *options]
    env = dict(os.environ)
    if threads and 'OMP_NUM_THREADS' not in env:
        env['OMP_NUM_THREADS'] = str(threads)
    print(f'[bench] {" ".join(cmd)}', flush=True)
    start = time.time()
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'run.log'), 'w') as log:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    if proc.returncode:
        raise RuntimeError(f'[bench] failed ({proc.returncode}); see {work_dir}/run.log')
    print(f'[bench]   {(time.time() - start) / 60:.1f} min: {work_dir}', flush=True)


def train_all(runs: List[Tuple[str, str, int, List[str]]], jobs: int) -> None:
    """Train the runs in order, ``jobs`` at a time, each with its share of the CPU threads."""
    if jobs <= 1:
        for run in runs:
            train(*run)
        return
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(train, *run, threads=threads) for run in runs]
        for future in as_completed(futures):
            if future.exception():  # let the running ones finish, start no new one
                for other in futures:
                    other.cancel()
                raise SystemExit(str(future.exception()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('benchmark', choices=sorted(BENCHMARKS))
    parser.add_argument('--data-root', help='dataset folder (overrides the configs)')
    parser.add_argument('--work-dir', help='defaults to work_dirs/<benchmark>')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--methods', nargs='+', help='a subset of the methods')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='extra options for every run')
    parser.add_argument('--jobs', type=int, default=1,
                        help='student runs trained at the same time, each with cpu_count / jobs threads (the '
                        'teacher trains alone first)')
    parser.add_argument('--mv2-weights', help='synthetic_coco: torchvision MobileNetV2 ImageNet weights')
    args = parser.parse_args()

    bench = BENCHMARKS[args.benchmark]
    if 'prepare' in bench:
        bench['prepare'](args)
    work = osp.abspath(args.work_dir or osp.join('work_dirs', args.benchmark))
    data = [f'{key}={args.data_root}' for key in bench['data_keys']] if args.data_root else []
    teacher_cfg, teacher_epochs = bench['teacher']
    teacher_dir = osp.join(work, 'teacher')
    try:
        train(teacher_cfg, teacher_dir, teacher_epochs, data + ['randomness.seed=0'] + args.cfg_options)
    except RuntimeError as error:
        raise SystemExit(str(error))
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{teacher_epochs}.pth')
    unknown = set(args.methods or ()) - set(bench['methods'])
    if unknown:
        raise SystemExit(f'[bench] unknown methods {sorted(unknown)}; {args.benchmark} has {list(bench["methods"])}')
    methods = {k: v for k, v in bench['methods'].items() if not args.methods or k in args.methods}
    runs = []
    for seed in args.seeds:
        for method, (config, epochs, distilled) in methods.items():
            options = data + [f'randomness.seed={seed}'] + args.cfg_options
            if distilled:
                options.append(f'model.teacher_ckpt={teacher_ckpt}')
            runs.append((config, osp.join(work, slug(method), f'seed{seed}'), epochs, options))
    train_all(runs, args.jobs)


if __name__ == '__main__':
    main()
