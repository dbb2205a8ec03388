# Copyright (c) mmkd contributors. All rights reserved.
"""Collect the JSON logs of a benchmark's work dirs into a markdown table (mean +- std over seeds).

Reads ``WORK/teacher`` and ``WORK/<method>/seed<S>`` (the layout of ``run_benchmark.py``), takes the validation
metric of every run at its last and at its best evaluation, and writes into ``OUT`` (default
``docs/results/<benchmark>``): ``table.md``, ``results.json`` (metric, scale and every run's values) and
``logs/<run>/{scalars.json,config.py}`` (the evidence behind every number). ``--readme`` also replaces the
table between the ``<!-- <benchmark>:begin -->`` and ``<!-- <benchmark>:end -->`` lines of a markdown file, so
the README shows exactly the collected numbers. ``--merge`` keeps the runs already collected in ``OUT`` (their
committed ``logs/``) that ``WORK`` does not hold, so seeds can be added to a published benchmark without
training its other runs again; a run present in both is taken from ``WORK``.

The metric and its scale default to the benchmark's own (``mmkd.analysis.BENCHMARKS``).

Example:
    python tools/analysis_tools/collect_results.py work_dirs/fashion_mnist --readme README.md
"""
import argparse
import json
import os
import os.path as osp
import statistics
from typing import Dict, List, Optional

from mmkd.analysis import BENCHMARKS, latest_run, run_metrics, slug

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def mean_std(values: List[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def collect(work: str, metric: str, scale: float = 1.0, merge: Optional[str] = None) -> Dict[str, dict]:
    """``{method dir: {'runs': {seed: metrics}}}`` for the teacher and every method folder.

    With ``merge`` (a folder written by this script), its committed ``logs/`` fill in the runs ``work`` lacks.
    """
    results = {}
    teacher = run_metrics(latest_run(osp.join(work, 'teacher')), metric)
    if teacher is None and merge:
        teacher = run_metrics(osp.join(merge, 'logs', 'teacher'), metric)
    if teacher:
        results['teacher'] = dict(runs={'0': teacher})
    sources = [(work, False)] + ([(osp.join(merge, 'logs'), True)] if merge else [])
    for root, committed in sources:
        if not osp.isdir(root):
            continue
        for method_dir in sorted(d for d in os.listdir(root) if osp.isdir(osp.join(root, d)) and d != 'teacher'):
            runs = results.setdefault(method_dir, dict(runs={}))['runs']
            for seed_dir in sorted(d.path for d in os.scandir(osp.join(root, method_dir))
                                   if d.is_dir() and d.name.startswith('seed')):
                seed = osp.basename(seed_dir)[4:]
                found = run_metrics(seed_dir if committed else latest_run(seed_dir), metric)
                if found and seed not in runs:
                    runs[seed] = found
            runs = dict(sorted(runs.items(), key=lambda item: (not item[0].isdigit(), item[0].zfill(9))))
            results[method_dir]['runs'] = runs
    results = {k: v for k, v in results.items() if v['runs']}
    for entry in results.values():
        for run in entry['runs'].values():
            run['last'] *= scale
            run['best'] *= scale
    return results


def to_markdown(results: Dict[str, dict], metric: str, names: Dict[str, str]) -> str:
    lines = [f'| method | seeds | {metric} last | {metric} best | last per seed |', '|---|---:|---:|---:|---|']
    for key, entry in results.items():
        runs = entry['runs']
        last = [r['last'] for r in runs.values()]
        best = [r['best'] for r in runs.values()]
        per_seed = ', '.join(f'{r["last"]:.2f}' for r in runs.values())
        lines.append(f'| {names.get(key, key)} | {len(runs)} | {mean_std(last)} | {mean_std(best)} | {per_seed} |')
    return '\n'.join(lines) + '\n'


def copy_relative(src: str, dst_dir: str) -> None:
    """Copy a text file, writing paths inside this checkout relative to it (no machine paths in the repo)."""
    with open(src, encoding='utf-8') as f:
        text = f.read().replace(ROOT + os.sep, '')
    with open(osp.join(dst_dir, osp.basename(src)), 'w', encoding='utf-8') as f:
        f.write(text)


def copy_logs(results: Dict[str, dict], out: str) -> None:
    """Keep the evidence: each run's scalars.json and config next to the table."""
    for key, entry in results.items():
        for seed, run in entry['runs'].items():
            dst = osp.join(out, 'logs', key if key == 'teacher' else f'{key}/seed{seed}')
            os.makedirs(dst, exist_ok=True)
            for name in ('scalars.json', 'config.py'):
                if osp.isfile(osp.join(run['vis_dir'], name)):
                    copy_relative(osp.join(run['vis_dir'], name), dst)


def update_readme(path: str, name: str, table: str) -> None:
    """Replace the lines between ``<!-- name:begin -->`` and ``<!-- name:end -->`` of a markdown file."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    begin, end = f'<!-- {name}:begin -->\n', f'<!-- {name}:end -->'
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise SystemExit(f'{path} needs one "{begin.strip()}" line and one "{end}" line after it, around the '
                         f'table of {name}; add them where the table belongs.')
    head, rest = text.split(begin)
    tail = rest[rest.index(end):]
    with open(path, 'w', encoding='utf-8') as f:
        f.write(head + begin + table + tail)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work', help='benchmark work dir (teacher/, <method>/seed<S>/)')
    parser.add_argument('--metric', help="default: the benchmark's metric, else accuracy/top1")
    parser.add_argument('--scale', type=float, help="multiply the metric (default: the benchmark's, else 1)")
    parser.add_argument('--out', help="output folder; defaults to the checkout's docs/results/<basename of work>")
    parser.add_argument('--names', help='JSON file {method dir: display name}')
    parser.add_argument('--readme', help='markdown file whose <!-- <benchmark>:begin/end --> table to replace')
    parser.add_argument('--merge', action='store_true',
                        help='keep the runs already collected in OUT that WORK does not hold (adding seeds)')
    args = parser.parse_args()

    name = osp.basename(osp.normpath(args.work))
    out = args.out or osp.join(ROOT, 'docs', 'results', name)
    bench = BENCHMARKS.get(name, {})
    metric = args.metric or bench.get('metric', 'accuracy/top1')
    scale = args.scale if args.scale is not None else bench.get('scale', 1.0)
    names = {slug(m): m for m in bench.get('methods', {})}  # the benchmark's method names, then --names
    if args.names:
        with open(args.names) as f:
            names.update(json.load(f))
    results = collect(args.work, metric, scale, merge=out if args.merge else None)
    if not results:
        raise SystemExit(f'no run with {metric} under {args.work}')
    if bench:  # rows in the benchmark's order
        order = ['teacher'] + [slug(m) for m in bench['methods']]
        results = {k: results[k] for k in sorted(results, key=lambda k: order.index(k) if k in order else 99)}
    os.makedirs(out, exist_ok=True)
    copy_logs(results, out)
    table = to_markdown(results, metric, names)
    with open(osp.join(out, 'table.md'), 'w') as f:
        f.write(table)
    with open(osp.join(out, 'names.json'), 'w') as f:
        json.dump({k: names.get(k, k) for k in results}, f, indent=1)
    runs = {k: {s: {m: r[m] for m in ('last', 'best', 'evals')} for s, r in v['runs'].items()}
            for k, v in results.items()}
    with open(osp.join(out, 'results.json'), 'w') as f:
        json.dump(dict(metric=metric, scale=scale, runs=runs), f, indent=1)
    if args.readme:
        update_readme(args.readme, name, table)
    print(table)
    print(f'written to {out}/ (table.md, results.json, names.json, logs/)' +
          (f' and the {name} table of {args.readme}' if args.readme else ''))


if __name__ == '__main__':
    main()
