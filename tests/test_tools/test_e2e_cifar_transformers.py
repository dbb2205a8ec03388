"""RKKD Table 4's recipe through the tools on tiny CIFAR pickles: a vision-transformer student at 224 x 224 with
timm's augmentation, a CIFAR ResNet teacher that sees the batch resized to 32 x 32 with CIFAR statistics
(``teacher_input``), the official warm-up + cosine schedule; trained, saved, resumed, evaluated with the student's
own config."""
import os.path as osp

import pytest

from .utils import ENV, last_metrics, opts, run_tool, train_log

STUDENT = 'configs/vanilla/deit-t-p16_adamw_1xb128-300e_cifar100.py'
CONFIG = 'configs/rkkd/kd-rkkd_r56_deit-t-p16_adamw_1xb128-300e_cifar100.py'


def run_opts(root, teacher, epochs):
    return opts(root, epochs) + ['model.teacher.backbone.arch=resnet8', f'model.teacher_ckpt={teacher}',
                                 'train_dataloader.batch_size=16', 'randomness.seed=0']


@pytest.mark.parametrize('config', [CONFIG])
def test_transformer_student_trains_resumes_and_tests(config, data, teacher_ckpt, tmp_path):
    work = str(tmp_path / 'run')
    first = run_tool('tools/train.py', config, '--work-dir', work, '--cfg-options',
                     *run_opts(data, teacher_ckpt, 1), env=ENV)
    output = first.stdout + first.stderr
    assert 'Teacher before training: accuracy/top1' in output  # the teacher was evaluated through teacher_input
    log = [line for line in train_log(work) if 'loss' in line]
    assert log and all({'loss_cls', 'loss_kd', 'loss_rkkd'} <= set(line) for line in log)
    assert all(line['lr'] == pytest.approx(5e-7) for line in log)  # epoch 0 of the warm-up (WarmupCosineLR)
    resumed = run_tool('tools/train.py', config, '--work-dir', work, '--resume', '--cfg-options',
                       *run_opts(data, teacher_ckpt, 2), env=ENV)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    epoch_2 = [line for line in train_log(work) if 'loss' in line and line.get('epoch') == 2]
    assert epoch_2 and all(line['lr'] == pytest.approx(5e-7 + (5e-4 - 5e-7) / 20) for line in epoch_2)
    test_dir = str(tmp_path / 'test')
    run_tool('tools/test.py', STUDENT, osp.join(work, 'epoch_2.pth'), '--work-dir', test_dir, '--cfg-options',
             *opts(data), env=ENV)
    assert 0 <= last_metrics(test_dir)['accuracy/top1'] <= 100
