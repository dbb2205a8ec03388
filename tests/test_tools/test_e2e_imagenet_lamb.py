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


def test_timm_vit_teacher_from_safetensors(tmp_path):
    """A PLD Table 2 config (ViT-L -> ViT-S, here a ViT-S teacher so that it runs in seconds): the teacher is a
    Hugging Face-style ``model.safetensors`` in timm's layout, re-normalised by ``teacher_input``, evaluated before
    training; the ViT student trains, resumes and evaluates with its own config."""
    from safetensors.torch import save_file

    from tests.fixtures.deterministic_weights import deterministic_state_dict
    from tests.test_models.test_vit import VITS

    for split in ('train', 'val'):
        for c, name in enumerate(CLASSES):
            write_image(str(tmp_path / 'data' / split / name / '0.png'), h=40, w=56, value=30 * c)
    root = str(tmp_path / 'data')
    ckpt = str(tmp_path / 'vit_small_patch16_224.safetensors')
    save_file(deterministic_state_dict(VITS['vit_small_patch16_224']['keys']), ckpt)
    config = 'configs/pld/pld_vit-l-p16_vit-s-p16_lamb_8xb256-100e_in1k.py'
    distill = ['model.teacher.backbone.arch=small', f'model.teacher_ckpt={ckpt}']
    work = str(tmp_path / 'work')
    first = run_tool('tools/train.py', config, '--work-dir', work, '--cfg-options', *opts(root, 1), *distill)
    assert f'Loaded the teacher from {ckpt}' in first.stdout + first.stderr
    assert 'Teacher before training: accuracy/top1' in first.stdout + first.stderr
    resumed = run_tool('tools/train.py', config, '--work-dir', work, '--resume', '--cfg-options', *opts(root, 2),
                       *distill)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    assert all('loss_pld' in line for line in train_log(work) if 'loss' in line)
    run_tool('tools/test.py', 'configs/vanilla/vit-s-p16_lamb_8xb256-100e_in1k.py', osp.join(work, 'epoch_2.pth'),
             '--work-dir', str(tmp_path / 'test'), '--cfg-options', *opts(root, 2))
    assert 'accuracy/top1' in last_metrics(str(tmp_path / 'test'))
