# Copyright (c) mmkd contributors. All rights reserved.
"""Train a teacher once, then every method config for several seeds, with tools/train.py.

Runs are ordered seed by seed (all methods for the first seed, then the next), so an interrupted benchmark
still has complete rows; finished runs (a final checkpoint in their work dir) are skipped on a re-run.
Work dirs: ``WORK/teacher`` and ``WORK/<method>/seed<S>``. Collect them with ``collect_results.py``. The
benchmarks (configs, metric and scale, e.g. 100 for COCO mAP) are defined in ``mmkd.analysis.benchmarks``.

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

from mmkd.analysis import BENCHMARKS, slug

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


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
        bench['prepare'](ROOT, args.mv2_weights)
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
