"""tools/analysis_tools: the benchmark collector, the README sync, the plots, and the committed results.

The last two tests check the repository itself: every number of docs/results/ must come from a log committed
next to it, and the README must show exactly the collected tables.
"""
import json
import os
import os.path as osp
import runpy
import statistics

import pytest

from mmkd.analysis import BENCHMARKS, slug
from .utils import ROOT, run_tool

RESULTS = osp.join(ROOT, 'docs', 'results')


def write_run(work_dir, evals, metric='accuracy/top1', stamp='20260101_000000', loss_terms=('loss_kd',),
              diagnostics=False):
    """A tools/train.py-like run: <stamp>/vis_data/{scalars.json,config.py}, training lines then evaluations (with
    RankDiagnosticsHook's keys when ``diagnostics``)."""
    vis = osp.join(work_dir, stamp, 'vis_data')
    os.makedirs(vis)
    with open(osp.join(vis, 'scalars.json'), 'w') as f:
        for step, value in enumerate(evals, 1):
            train = dict(lr=0.1, loss=1.0 / step, step=step * 10, iter=step * 10, epoch=step)
            train.update({term: 0.5 / step for term in loss_terms})
            f.write(json.dumps(train) + '\n')
            evaluation = {metric: value, 'step': step}
            if diagnostics:
                evaluation.update({'teacher_student/top1_agreement': 50.0 + step, 'teacher_student/kendall_tau':
                                   0.1 * step, 'teacher_student/rows': 100})
            f.write(json.dumps(evaluation) + '\n')
    with open(osp.join(vis, 'config.py'), 'w') as f:
        f.write(f"teacher_ckpt = '{ROOT}{os.sep}work_dirs/x/teacher/epoch_4.pth'\n")
    return vis


@pytest.fixture
def fake_benchmark(tmp_path):
    """A fashion_mnist work dir (so the benchmark's names and order apply) with best != last in some runs."""
    work = tmp_path / 'fashion_mnist'
    write_run(str(work / 'teacher'), [90.0, 92.5, 92.0])
    runs = {'kd': {0: [80.0, 84.0], 1: [81.0, 83.0], 2: [82.5, 82.0]},
            'ce': {0: [79.0, 80.0], 1: [78.0, 81.0]},
            'pld': {0: [70.0, 85.5]}}
    for method, seeds in runs.items():
        for seed, evals in seeds.items():
            write_run(str(work / method / f'seed{seed}'), evals)
    # An older, superseded run in kd/seed0 must be ignored (the newest run is the one collected).
    old = write_run(str(work / 'kd' / 'seed0'), [10.0, 11.0], stamp='20250101_000000')
    past = os.path.getmtime(osp.join(work, 'kd', 'seed0', '20260101_000000', 'vis_data', 'scalars.json')) - 100
    os.utime(osp.join(old, 'scalars.json'), (past, past))
    return work, runs


def table_rows(table):
    return {line.split('|')[1].strip(): [c.strip() for c in line.split('|')[2:-1]]
            for line in table.splitlines()[2:]}


def test_collect_results_table_logs_and_readme(fake_benchmark, tmp_path):
    work, runs = fake_benchmark
    out = tmp_path / 'out'
    readme = tmp_path / 'README.md'
    readme.write_text('# x\n\nbefore\n<!-- fashion_mnist:begin -->\nold table\n<!-- fashion_mnist:end -->\nafter\n')
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out), '--readme', str(readme))

    table = (out / 'table.md').read_text()
    rows = table_rows(table)
    # The benchmark's order and display names: teacher, CE, KD, ..., PLD.
    assert list(rows) == ['teacher', 'CE', 'KD', 'PLD']
    kd_last = [evals[-1] for evals in runs['kd'].values()]
    kd_best = [max(evals) for evals in runs['kd'].values()]
    assert rows['KD'] == ['3', f'{statistics.mean(kd_last):.2f} ± {statistics.stdev(kd_last):.2f}',
                          f'{statistics.mean(kd_best):.2f} ± {statistics.stdev(kd_best):.2f}', '84.00, 83.00, 82.00']
    assert rows['PLD'] == ['1', '85.50', '85.50', '85.50']
    assert rows['teacher'] == ['1', '92.00', '92.50', '92.00']

    collected = json.loads((out / 'results.json').read_text())
    assert collected['metric'] == 'accuracy/top1' and collected['scale'] == 1.0
    assert collected['runs']['ce'] == {'0': dict(last=80.0, best=80.0, evals=2),
                                       '1': dict(last=81.0, best=81.0, evals=2)}

    # Evidence next to the table, with paths of the checkout written relative to it.
    config = (out / 'logs' / 'kd' / 'seed0' / 'config.py').read_text()
    assert ROOT not in config and "'work_dirs/x/teacher/epoch_4.pth'" in config
    assert (out / 'logs' / 'teacher' / 'scalars.json').is_file()

    text = readme.read_text()
    assert text == '# x\n\nbefore\n<!-- fashion_mnist:begin -->\n' + table + '<!-- fashion_mnist:end -->\nafter\n'
    # Collecting again is idempotent.
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out), '--readme', str(readme))
    assert readme.read_text() == text


def test_collect_results_merge_adds_seeds_to_a_collected_benchmark(fake_benchmark, tmp_path):
    """--merge: a work dir holding only new runs adds them to the folder collected before; nothing else moves."""
    work, runs = fake_benchmark
    out = tmp_path / 'out'
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out))
    before = json.loads((out / 'results.json').read_text())['runs']

    more = tmp_path / 'more' / 'fashion_mnist'  # the same benchmark, trained later: a new seed, a re-run seed
    write_run(str(more / 'pld' / 'seed1'), [86.0, 85.0])
    write_run(str(more / 'kd' / 'seed0'), [70.0, 71.0])
    run_tool('tools/analysis_tools/collect_results.py', str(more), '--out', str(out), '--merge')
    after = json.loads((out / 'results.json').read_text())['runs']

    assert list(after) == list(before)  # the teacher and every method kept, in the benchmark's order
    assert after['pld'] == {'0': before['pld']['0'], '1': dict(last=85.0, best=86.0, evals=2)}
    assert after['kd']['0'] == dict(last=71.0, best=71.0, evals=2)  # the work dir wins over the committed log
    assert {s: after['kd'][s] for s in ('1', '2')} == {s: before['kd'][s] for s in ('1', '2')}
    assert after['teacher'] == before['teacher'] and after['ce'] == before['ce']
    # The evidence of the new runs sits next to that of the kept ones.
    for method, seed in (('pld', 1), ('kd', 0), ('ce', 1)):
        assert (out / 'logs' / method / f'seed{seed}' / 'scalars.json').is_file()
    assert table_rows((out / 'table.md').read_text())['PLD'][0] == '2'

    # Without --merge, only the work dir's runs are collected.
    run_tool('tools/analysis_tools/collect_results.py', str(more), '--out', str(tmp_path / 'alone'))
    assert set(json.loads((tmp_path / 'alone' / 'results.json').read_text())['runs']) == {'kd', 'pld'}


def test_collect_results_scale_and_errors(fake_benchmark, tmp_path):
    work, _ = fake_benchmark
    out = tmp_path / 'scaled'
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out), '--scale', '0.01')
    assert table_rows((out / 'table.md').read_text())['PLD'][1] == '0.85'

    readme = tmp_path / 'NO_MARKERS.md'
    readme.write_text('no markers here\n')
    proc = run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out), '--readme',
                    str(readme), check=False)
    assert proc.returncode != 0 and '<!-- fashion_mnist:begin -->' in proc.stderr
    assert readme.read_text() == 'no markers here\n'

    proc = run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out), '--metric',
                    'coco/bbox_mAP', check=False)
    assert proc.returncode != 0 and 'no run with coco/bbox_mAP' in proc.stderr


def test_plot_results_writes_pngs(fake_benchmark, tmp_path):
    work, _ = fake_benchmark
    out = tmp_path / 'out'
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out))
    run_tool('tools/analysis_tools/plot_results.py', str(out))
    for name in ('metric.png', 'loss_curves.png'):
        data = (out / name).read_bytes()
        assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000, name
    assert not (out / 'rank_diagnostics.png').exists()  # no run logged RankDiagnosticsHook's values


def test_plot_results_plots_the_rank_diagnostics_of_runs_that_logged_them(tmp_path, monkeypatch):
    work = tmp_path / 'fashion_mnist'
    write_run(str(work / 'teacher'), [90.0, 92.0])
    for method in ('kd', 'pld'):
        write_run(str(work / method / 'seed0'), [80.0, 82.0, 83.0], diagnostics=True)
    write_run(str(work / 'ce' / 'seed0'), [79.0, 80.0])  # no teacher, no diagnostics
    out = tmp_path / 'out'
    run_tool('tools/analysis_tools/collect_results.py', str(work), '--out', str(out))
    proc = run_tool('tools/analysis_tools/plot_results.py', str(out))
    data = (out / 'rank_diagnostics.png').read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 5000
    assert 'rank_diagnostics.png' in proc.stdout

    # one curve per run that logged them, per diagnostic, at every validation
    from matplotlib.axes import Axes
    plotted = []
    monkeypatch.setattr(Axes, 'plot', lambda ax, x, y, **kwargs: plotted.append((kwargs['label'], x, y)))
    monkeypatch.setattr(Axes, 'legend', lambda ax, **kwargs: None)  # nothing drawn to label
    plot_diagnostics = runpy.run_path(osp.join(ROOT, 'tools', 'analysis_tools', 'plot_results.py'))['plot_diagnostics']
    results = json.loads((out / 'results.json').read_text())['runs']
    assert plot_diagnostics(str(out), results, str(tmp_path / 'diagnostics.png'), {'kd': 'KD'})
    assert plotted == [('KD', [1, 2, 3], [51.0, 52.0, 53.0]), ('pld', [1, 2, 3], [51.0, 52.0, 53.0]),
                       ('KD', [1, 2, 3], pytest.approx([0.1, 0.2, 0.3])),
                       ('pld', [1, 2, 3], pytest.approx([0.1, 0.2, 0.3]))]


COMMITTED = sorted(d for d in os.listdir(RESULTS) if osp.isfile(osp.join(RESULTS, d, 'results.json')))


def test_every_benchmark_is_committed():
    assert set(COMMITTED) == set(BENCHMARKS), 'docs/results/ must hold one collected folder per benchmark'


@pytest.mark.parametrize('name', COMMITTED)
def test_committed_results_come_from_committed_logs(name):
    """Each number of results.json is recomputed from the scalars.json committed beside it."""
    folder = osp.join(RESULTS, name)
    with open(osp.join(folder, 'results.json')) as f:
        collected = json.load(f)
    bench = BENCHMARKS[name]
    assert collected['metric'] == bench['metric'] and collected['scale'] == bench['scale']
    assert set(collected['runs']) <= {'teacher'} | {slug(m) for m in bench['methods']}
    for method, seeds in collected['runs'].items():
        for seed, run in seeds.items():
            log_dir = osp.join(folder, 'logs', method if method == 'teacher' else f'{method}/seed{seed}')
            assert osp.isfile(osp.join(log_dir, 'config.py')), f'{log_dir}/config.py is not committed'
            with open(osp.join(log_dir, 'scalars.json')) as f:
                values = [json.loads(line)[bench['metric']] * bench['scale'] for line in f
                          if bench['metric'] in line]
            assert len(values) == run['evals'], log_dir
            assert run['last'] == pytest.approx(values[-1]) and run['best'] == pytest.approx(max(values)), log_dir


@pytest.mark.parametrize('name', COMMITTED)
def test_readme_shows_the_collected_tables(name):
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    with open(osp.join(RESULTS, name, 'table.md'), encoding='utf-8') as f:
        table = f.read()
    assert f'<!-- {name}:begin -->\n{table}<!-- {name}:end -->' in readme, (
        f'README.md does not show docs/results/{name}/table.md: run collect_results.py with --readme README.md')


def test_benchmark_losses_measures_every_loss(tmp_path):
    LOSSES = runpy.run_path(osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_losses.py'))['LOSSES']
    out = tmp_path / 'losses.json'
    proc = run_tool('tools/analysis_tools/benchmark_losses.py', '--sizes', '64x10', '--reps', '1', '--threads', '1',
                    '--json', str(out))
    rows = json.loads(out.read_text())
    per_loss, interleaved = [r for r in rows if 'loss' in r], [r for r in rows if 'interleaved' in r]
    assert [row['loss'] for row in per_loss] == list(LOSSES)
    for row in per_loss:
        assert (row['N'], row['C'], row['device']) == (64, 10, 'cpu') and row['ms'] > 0 and row['peak_mb'] >= 0
    # one interleaved row: the losses mmkd uses (not the naive RKKD, not the PyTorch reference kernels), in ms
    assert len(interleaved) == 1
    assert sorted(interleaved[0]['interleaved']) == sorted(
        k for k, v in LOSSES.items() if v != 'naive' and not k.endswith(', PyTorch kernel'))
    assert proc.stdout.count('| 64 | 10 | cpu |') == len(LOSSES) + 1 and '(1.00x)' in proc.stdout


@pytest.mark.parametrize('configs,size', [
    (('configs/rkkd/kd-rkkd_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py',
      'configs/pld/pld_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py'), ('64', '64')),
    (('configs/pld/pld_r20_r8_1xb128-1e_fashion-mnist.py', ), ('28', '28')),  # grey images
])
def test_benchmark_step_prints_the_overhead_ratio(configs, size):
    proc = run_tool('tools/analysis_tools/benchmark_step.py', *configs, '--device', 'cpu', '--size', *size,
                    '--batch', '2', '--iters', '1')
    rows = proc.stdout.strip().splitlines()[2:]
    assert len(rows) == len(configs)  # one table, one row per config
    for config, row in zip(configs, rows):
        cells = [c.strip() for c in row.split('|')[1:-1]]
        assert cells[0].startswith(config) and cells[2] == f'2 x {size[0]}x{size[1]}'
        student, teacher, distill, ratio = (float(c) for c in cells[3:])
        assert student > 0 and teacher > 0 and distill > 0
        assert ratio == pytest.approx(distill / (student + teacher), rel=0.1)  # the times are printed rounded


def test_benchmark_step_applies_cfg_options():
    """--cfg-options reach the distiller (a bad anchor selection fails) and are named in the row."""
    config = 'configs/rkkd/kd-rkkd_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py'
    args = ('--device', 'cpu', '--size', '64', '64', '--batch', '1', '--iters', '1', '--cfg-options')
    proc = run_tool('tools/analysis_tools/benchmark_step.py', config, *args, 'model.anchor_selection=topk',
                    'model.topk=10')
    row = proc.stdout.strip().splitlines()[-1]
    assert row.startswith(f'| {config} (loss_kd, loss_rkkd; model.anchor_selection=topk model.topk=10) |')
    proc = run_tool('tools/analysis_tools/benchmark_step.py', config, *args, 'model.anchor_selection=best',
                    check=False)
    assert proc.returncode != 0 and 'anchor_selection must be one of' in proc.stderr


def test_gpu_bench_script_parses_and_explains_itself():
    import subprocess
    script = osp.join(ROOT, 'tools', 'analysis_tools', 'gpu_bench.sh')
    subprocess.run(['bash', '-n', script], check=True)
    proc = subprocess.run(['bash', script], capture_output=True, text=True)
    assert proc.returncode == 2 and 'gpu_bench.sh fetch' in proc.stdout and 'gpu_bench.sh run' in proc.stdout


def test_pytorch_focal_loss_of_the_step_benchmark_equals_mmdets():
    """``MMKD_PY_FOCAL_LOSS=1`` (an mmcv without CUDA ops): the patched focal loss gives mmdet's CPU values."""
    import mmdet.models.losses.focal_loss as focal
    import torch
    from mmdet.models.losses import FocalLoss

    tool = runpy.run_path(osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_step.py'))
    torch.manual_seed(0)
    pred, target, weight = torch.randn(50, 4), torch.randint(0, 5, (50, )), torch.rand(50)
    expected = FocalLoss()(pred, target, weight, avg_factor=7.0)  # CPU: mmdet's PyTorch form
    saved = focal.sigmoid_focal_loss
    try:
        tool['use_pytorch_focal_loss']()
        got = focal.sigmoid_focal_loss(pred, target, weight, 2.0, 0.25, 'mean', 7.0)
    finally:
        focal.sigmoid_focal_loss = saved
    torch.testing.assert_close(got, expected)
