"""CTKD through the tools on tiny CIFAR pickles: the learned temperature is trained by the runner's optimizer,
saved, resumed, and the checkpoint still evaluates with the student's own config."""
import os.path as osp

import torch

from .utils import CIFAR_TEACHER as TEACHER
from .utils import ENV, distill_opts, last_metrics, opts, run_tool, train_log

CONFIG = 'configs/rkkd/ctkd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'
KEY = 'distill_losses.loss_kd.temperature_module.raw'
SEED = ['randomness.seed=0', 'randomness.deterministic=True']


def test_ctkd_trains_saves_resumes_and_tests(data, teacher_ckpt, tmp_path):
    root, teacher = data, teacher_ckpt
    work = str(tmp_path / 'ctkd')
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *distill_opts(root, teacher), *SEED,
             env=ENV)
    first = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    assert KEY in first['state_dict'] and not any(k.startswith(('student.', 'teacher')) for k in first['state_dict'])
    raw_1 = first['state_dict'][KEY].item()
    assert raw_1 != 1.0  # the optimizer moved the temperature (it starts at 1)
    resumed = run_tool('tools/train.py', CONFIG, '--work-dir', work, '--resume', '--cfg-options',
                       *distill_opts(root, teacher, epochs=2), *SEED, env=ENV)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    second = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    raw_2 = second['state_dict'][KEY].item()
    assert raw_2 != raw_1
    straight = str(tmp_path / 'straight')
    run_tool('tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options', *distill_opts(root, teacher, epochs=2),
             *SEED, env=ENV)
    uninterrupted = torch.load(osp.join(straight, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert abs(uninterrupted['state_dict'][KEY].item() - raw_2) < 1e-6  # resumed exactly where it stopped
    # the optimizer state of the temperature travelled with the checkpoint (SGD momentum buffers)
    assert len(second['optimizer']['state']) == len(first['optimizer']['state']) > 0
    log = [line for line in train_log(work) if 'loss' in line]
    assert all({'loss_cls', 'loss_kd', 'loss_rkkd'} <= set(line) for line in log)
    # the student's own config evaluates the checkpoint (the temperature is not part of the student)
    test = run_tool('tools/test.py', TEACHER, osp.join(work, 'epoch_2.pth'), '--work-dir', str(tmp_path / 'test'),
                    '--cfg-options', *opts(root), env=ENV)
    assert 'accuracy/top1' in last_metrics(str(tmp_path / 'test'))
    assert 'unexpected key' in (test.stdout + test.stderr) and KEY in (test.stdout + test.stderr)
