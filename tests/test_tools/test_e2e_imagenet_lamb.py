"""PLD's ImageNet recipe end to end on tiny class folders: LAMB with its warm-up and cosine schedule, the
bicubic 236 evaluation, a PLD student trained, resumed and evaluated with the student's own config."""
import os.path as osp

import torch

from mmkd.registry import MODELS
from tests.test_datasets.test_imagenet import CLASSES, write_image
from .utils import last_metrics, run_tool, train_log

CONFIG = 'configs/pld/pld_r152_r50_lamb_8xb256-100e_in1k.py'
STUDENT = 'configs/vanilla/r50_lamb_8xb256-100e_in1k.py'
R18 = ['backbone.depth=18', 'in_channels=512']  # the recipe at ResNet-18 size, so that it runs in seconds


def opts(root, epochs):
    out = [f'train_cfg.max_epochs={epochs}', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        out += [f'{loader}.dataset.data_root={root}', f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
                f'{loader}.batch_size=3']
    return out


def test_lamb_recipe_trains_resumes_and_tests(tmp_path):
    for split in ('train', 'val'):
        for c, name in enumerate(CLASSES):
            for i in range(2):
                write_image(str(tmp_path / 'data' / split / name / f'{i}.png'), h=40, w=56, value=30 * c + i)
    root = str(tmp_path / 'data')
    teacher = MODELS.build(dict(cfg_path='mmkd::vanilla/r152_8xb64-100e_in1k.py', backbone=dict(depth=18),
                                in_channels=512))
    ckpt = str(tmp_path / 'resnet18.pth')
    torch.save(teacher.state_dict(), ckpt)  # a bare state dict in the wrapper's layout
    distill = [f'model.teacher.{o}' for o in R18] + [f'model.student.{o}' for o in R18] + [f'model.teacher_ckpt={ckpt}']
    work = str(tmp_path / 'work')
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options', *opts(root, 1), *distill)
    resumed = run_tool('tools/train.py', CONFIG, '--work-dir', work, '--resume', '--cfg-options', *opts(root, 2),
                       *distill)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    log = [line for line in train_log(work) if 'loss' in line]
    assert log and all('loss_pld' in line and 'loss_cls' not in line for line in log)
    lrs = [line['lr'] for line in log]
    assert all(0 < lr < 5e-3 for lr in lrs)  # inside the 5-epoch warm-up from 1e-5 towards 5e-3
    state = torch.load(osp.join(work, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert type(state['optimizer']['state'][0]['step']) is int  # LAMB's own state was saved and resumed
    run_tool('tools/test.py', STUDENT, osp.join(work, 'epoch_2.pth'), '--work-dir', str(tmp_path / 'test'),
             '--cfg-options', *opts(root, 2), *[f'model.{o}' for o in R18])
    assert 'accuracy/top1' in last_metrics(str(tmp_path / 'test'))
