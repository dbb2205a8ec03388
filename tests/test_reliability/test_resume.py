"""An interrupted and resumed distillation run ends exactly where an uninterrupted one does."""
import os.path as osp

import torch

from tests.data_utils import write_cifar100
from tests.test_tools.utils import run_tool, train_log

CONFIG = 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'


def opts(root, teacher, epochs):
    return [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            'train_dataloader.batch_size=16', 'train_dataloader.num_workers=1',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', f'train_cfg.max_epochs={epochs}',
            'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1', 'randomness.seed=0',
            'randomness.deterministic=True', 'model.teacher.backbone.arch=resnet8',
            'model.student.backbone.arch=resnet8', f'model.teacher_ckpt={teacher}']


def test_resume_matches_uninterrupted_run(tmp_path):
    root = write_cifar100(str(tmp_path / 'cifar'), num_train=64, num_test=16)
    from mmkd.registry import MODELS
    torch.manual_seed(0)
    teacher = str(tmp_path / 'teacher.pth')
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=100)
    torch.save(dict(state_dict=MODELS.build(net).state_dict()), teacher)
    straight, resumed = str(tmp_path / 'straight'), str(tmp_path / 'resumed')
    run_tool('tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options', *opts(root, teacher, 2))
    run_tool('tools/train.py', CONFIG, '--work-dir', resumed, '--cfg-options', *opts(root, teacher, 1))
    run_tool('tools/train.py', CONFIG, '--work-dir', resumed, '--resume', '--cfg-options', *opts(root, teacher, 2))

    a = torch.load(osp.join(straight, 'epoch_2.pth'), weights_only=False)
    b = torch.load(osp.join(resumed, 'epoch_2.pth'), weights_only=False)
    assert a['meta']['iter'] == b['meta']['iter'] == 8
    for key, value in a['state_dict'].items():
        assert torch.allclose(value.float(), b['state_dict'][key].float(), atol=1e-6), key
    assert not any('teacher' in k for k in b['state_dict'])

    def epoch2(work):
        return [(r['iter'], r['loss'], r['loss_kd'], r['loss_rkkd']) for r in train_log(work) if 'loss' in r]

    straight_log = [r for r in epoch2(straight) if r[0] > 4]
    resumed_log = epoch2(resumed)
    assert [r[0] for r in resumed_log] == [5, 6, 7, 8]
    for x, y in zip(straight_log, resumed_log):
        assert all(abs(p - q) < 1e-5 for p, q in zip(x[1:], y[1:])), (x, y)
