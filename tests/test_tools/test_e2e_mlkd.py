"""MLKD + RKKD through the tools on tiny CIFAR pickles: two views per training image, trained, resumed and
evaluated (one view) with the student's own config."""
import os.path as osp

from .utils import CIFAR_TEACHER as TEACHER
from .utils import ENV, distill_opts, last_metrics, opts, run_tool, train_log

CONFIG = 'configs/rkkd/mlkd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'


def test_mlkd_two_view_pipeline_end_to_end(data, teacher_ckpt, tmp_path):
    root, teacher = data, teacher_ckpt
    work = str(tmp_path / 'mlkd')
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *distill_opts(root, teacher), env=ENV)
    resumed = run_tool('tools/train.py', CONFIG, '--work-dir', work, '--resume', '--cfg-options',
                       *distill_opts(root, teacher, epochs=2), env=ENV)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    log = [line for line in train_log(work) if 'loss' in line]
    assert [line['iter'] for line in log] == [3, 4]
    for line in log:  # CE of both views, the three MLKD levels and RKKD, each logged
        assert {'loss_cls', 'loss_kd', 'loss_cc', 'loss_bc', 'loss_rkkd'} <= set(line), line
        assert line['loss'] > 0
    run_tool('tools/test.py', TEACHER, osp.join(work, 'epoch_2.pth'), '--work-dir', str(tmp_path / 'test'),
             '--cfg-options', *opts(root), env=ENV)
    assert {'accuracy/top1', 'accuracy/top5'} <= set(last_metrics(str(tmp_path / 'test')))
