# Copyright (c) mmkd contributors. All rights reserved.
"""Plots of a collected benchmark (see collect_results.py): the metric per method with error bars (std over
seeds), the training curve of every loss term of each method (first seed) and, when runs logged them
(``RankDiagnosticsHook``), the teacher-student top-1 agreement and Kendall's tau at each validation (first seed).

The metric is the one recorded in ``results.json``.

Example:
    python tools/analysis_tools/plot_results.py docs/results/fashion_mnist
"""
import argparse
import json
import os.path as osp
import statistics

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from mmkd.analysis import read_scalars  # noqa: E402

#: what RankDiagnosticsHook logs at each validation, with the axis labels
DIAGNOSTICS = {'teacher_student/top1_agreement': 'top-1 agreement (%)',
               'teacher_student/kendall_tau': "Kendall's tau-b"}


def load(out: str) -> dict:
    with open(osp.join(out, 'results.json')) as f:
        return json.load(f)


def plot_metric(results: dict, metric: str, path: str, names: dict) -> None:
    keys = list(results)
    lasts = [[r['last'] for r in results[k].values()] for k in keys]
    means = [statistics.mean(v) for v in lasts]
    stds = [statistics.stdev(v) if len(v) > 1 else 0.0 for v in lasts]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(keys)), 4))
    colors = ['tab:gray' if k == 'teacher' else 'tab:blue' for k in keys]
    ax.bar(range(len(keys)), means, yerr=stds, capsize=4, color=colors)
    for i, values in enumerate(lasts):
        ax.scatter([i] * len(values), values, color='black', s=8, zorder=3)
    low = min(min(v) for v in lasts)
    high = max(max(v) for v in lasts)
    ax.set_ylim(low - (high - low) * 0.5 - 0.1, high + (high - low) * 0.3 + 0.1)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([names.get(k, k) for k in keys], rotation=35, ha='right')
    ax.set_ylabel(f'{metric} (last evaluation)')
    ax.set_title('mean ± std over seeds (dots: single seeds)')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_losses(out: str, results: dict, path: str, names: dict) -> None:
    methods = [k for k in results if k != 'teacher']
    cols = 3
    rows = (len(methods) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3 * rows), squeeze=False)
    for ax, key in zip(axes.flat, methods):
        seed = sorted(results[key])[0]
        log_dir = osp.join(out, 'logs', key, f'seed{seed}')
        if not osp.isfile(osp.join(log_dir, 'scalars.json')):
            continue
        lines = [line for line in read_scalars(log_dir) if 'loss' in line and 'step' in line]
        terms = sorted({k for line in lines for k in line if k.startswith('loss') and k != 'loss'})
        for term in terms:
            pts = [(line['step'], line[term]) for line in lines if term in line]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=term, linewidth=1)
        ax.set_title(f'{names.get(key, key)} (seed {seed})', fontsize=9)
        ax.set_xlabel('iteration', fontsize=8)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(methods):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_diagnostics(out: str, results: dict, path: str, names: dict) -> bool:
    """The rank diagnostics of each method's first seed per validation; False (nothing written) if no run has any."""
    curves = {}
    for key in results:
        seed = sorted(results[key])[0]
        log_dir = osp.join(out, 'logs', key, f'seed{seed}')
        if osp.isfile(osp.join(log_dir, 'scalars.json')):
            lines = [line for line in read_scalars(log_dir) if 'step' in line and any(k in line for k in DIAGNOSTICS)]
            if lines:
                curves[key] = lines
    if not curves:
        return False
    fig, axes = plt.subplots(1, len(DIAGNOSTICS), figsize=(5 * len(DIAGNOSTICS), 3.6), squeeze=False)
    for ax, (metric, label) in zip(axes.flat, DIAGNOSTICS.items()):
        for key, lines in curves.items():
            pts = [(line['step'], line[metric]) for line in lines if metric in line]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker='o', markersize=3, linewidth=1,
                    label=names.get(key, key))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel('validation (epoch)', fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.set_title(f'{metric} (first seed)', fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='a folder written by collect_results.py')
    parser.add_argument('--names', help='JSON file {method dir: display name}; default OUT/names.json')
    args = parser.parse_args()
    names = {}
    names_file = args.names or osp.join(args.out, 'names.json')
    if osp.isfile(names_file):
        with open(names_file) as f:
            names = json.load(f)
    collected = load(args.out)
    results = collected['runs']
    plot_metric(results, collected['metric'], osp.join(args.out, 'metric.png'), names)
    plot_losses(args.out, results, osp.join(args.out, 'loss_curves.png'), names)
    written = ['metric.png', 'loss_curves.png']
    if plot_diagnostics(args.out, results, osp.join(args.out, 'rank_diagnostics.png'), names):
        written.append('rank_diagnostics.png')
    print('written ' + ', '.join(f'{args.out}/{name}' for name in written))


if __name__ == '__main__':
    main()
