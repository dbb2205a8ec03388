"""MLKD + RKKD through the tools on tiny CIFAR pickles: two views per training image, trained, resumed and
evaluated (one view) with the student's own config."""
import os.path as osp

from tests.data_utils import write_cifar100
from .test_e2e_classification import TEACHER, distill_opts, opts
from .utils import last_metrics, run_tool, train_log

CONFIG = 'configs/rkkd/mlkd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'
ENV = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def test_mlkd_two_view_pipeline_end_to_end(tmp_path):
    root = write_cifar100(str(tmp_path / 'cifar'), num_train=64, num_test=32)
    work_t = str(tmp_path / 'teacher')
    run_tool('tools/train.py', TEACHER, '--work-dir', work_t, '--cfg-options', *opts(root), env=ENV)
    teacher = osp.join(work_t, 'epoch_1.pth')
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
