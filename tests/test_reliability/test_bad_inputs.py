"""Every bad config or input gets one clear error (or a documented zero loss), and nothing is written over."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmkd.datasets.coco_check import CocoAnnotationError, check_coco_file
from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from mmkd.distillers import build_distill_losses
from mmkd.registry import HOOKS, MODELS
from tests.data_utils import write_cifar100
from tests.test_tools.utils import run_tool

CIFAR_KD = 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'


def small_distiller_cfg(**overrides):
    cfg = Config.fromfile(CIFAR_KD).model
    cfg.teacher.backbone = dict(arch='resnet8')
    cfg.student.backbone = dict(arch='resnet8')
    cfg.update(overrides)
    return cfg


def save_teacher(tmp_path, num_classes=100, drop=None, extra=None):
    teacher = MODELS.build(dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'),
                                num_classes=num_classes))
    state = teacher.state_dict()
    if drop:
        state.pop(drop)
    if extra:
        state[extra] = torch.zeros(1)
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=state), path)
    return path


# ---------------------------------------------------------------- teacher / student mismatch
def test_different_number_of_classes_fails_at_build():
    cfg = small_distiller_cfg()
    cfg.teacher.num_classes = 10
    with pytest.raises(ValueError, match='teacher predicts 10 classes and the student 100'):
        MODELS.build(cfg)


def test_missing_teacher_checkpoint_names_the_path(tmp_path):
    model = MODELS.build(small_distiller_cfg(teacher_ckpt=str(tmp_path / 'nowhere.pth')))
    with pytest.raises(FileNotFoundError, match='nowhere.pth does not exist'):
        model.init_weights()


def test_unreadable_teacher_checkpoint_is_clear(tmp_path):
    path = tmp_path / 'broken.pth'
    path.write_bytes(b'this is not a checkpoint')
    model = MODELS.build(small_distiller_cfg(teacher_ckpt=str(path)))
    with pytest.raises(RuntimeError, match='broken.pth could not be read'):
        model.init_weights()


def test_teacher_keys_missing_or_unexpected(tmp_path):
    path = save_teacher(tmp_path, drop='backbone.layer1.0.bn2.running_var', extra='backbone.extra.weight')
    model = MODELS.build(small_distiller_cfg(teacher_ckpt=path))
    with pytest.raises(RuntimeError) as info:
        model.init_weights()
    assert 'backbone.layer1.0.bn2.running_var' in str(info.value) and 'backbone.extra.weight' in str(info.value)
    tolerant = MODELS.build(small_distiller_cfg(teacher_ckpt=path, teacher_strict=False))
    tolerant.init_weights()
    assert tolerant.teacher_loaded


def test_teacher_checkpoint_of_another_model_names_shapes(tmp_path):
    model = MODELS.build(small_distiller_cfg(teacher_ckpt=save_teacher(tmp_path, num_classes=10)))
    with pytest.raises(RuntimeError, match=r'fc.weight: checkpoint \(10, 64\) vs model \(100, 64\)'):
        model.init_weights()


def test_training_without_a_loaded_teacher_is_refused():
    model = MODELS.build(small_distiller_cfg())
    model.train()
    with pytest.raises(RuntimeError, match='teacher has not been loaded'):
        model.teacher_forward(model.teacher, torch.zeros(1, 3, 32, 32), mode='tensor')


# ---------------------------------------------------------------- loss configs
def test_unknown_loss_type_lists_the_valid_ones():
    with pytest.raises(KeyError, match=r"unknown loss type 'RKDLoss'.*'PLDLoss'.*'RKKDLoss'"):
        build_distill_losses(dict(loss_rk=dict(type='RKDLoss')))


def test_misspelled_loss_argument_lists_the_valid_ones():
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['temperature'\]; valid arguments: \['tau'"):
        build_distill_losses(dict(loss_kd=dict(type='KDLoss', temperature=4.0)))


def test_loss_name_must_contain_loss():
    with pytest.raises(ValueError, match='must contain "loss"'):
        build_distill_losses(dict(kd=dict(type='KDLoss')))


def test_bad_loss_options_are_named():
    with pytest.raises(ValueError, match="form must be one of"):
        build_distill_losses(dict(loss_rkkd=dict(type='RKKDLoss', form='tanhh')))
    with pytest.raises(ValueError, match='topk'):
        build_distill_losses(dict(loss_rkkd=dict(type='RKKDLoss', topk=1.5)))
    with pytest.raises(ValueError, match="convention must be one of \\('kendall', 'paper'\\)"):
        build_distill_losses(dict(loss_rkkd=dict(type='RKKDLoss', convention='printed')))


# ---------------------------------------------------------------- a diverging student
@HOOKS.register_module()
class _PoisonStudentHook(Hook):
    """Test-only: turns the student's classifier into NaN after iteration 2 (after its checkpoint)."""
    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter == 2:
            with torch.no_grad():
                runner.model.student.fc.weight.fill_(float('nan'))


def test_nan_logits_stop_with_loss_and_iteration_and_keep_last_checkpoint(tmp_path):
    root = write_cifar100(str(tmp_path / 'cifar'), num_train=48, num_test=8)
    cfg = Config.fromfile(CIFAR_KD)
    cfg.model = small_distiller_cfg(teacher_ckpt=save_teacher(tmp_path))
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=8)
        cfg[loader].dataset.data_root = root
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2, by_epoch=False)
    cfg.custom_hooks = [dict(type='_PoisonStudentHook')]
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    msg = str(info.value)
    assert 'loss_kd at iteration 4 (epoch 1)' in msg and 'student logits contain NaN' in msg and 'kept' in msg
    saved = torch.load(osp.join(cfg.work_dir, 'iter_2.pth'), weights_only=False)['state_dict']
    assert all(torch.isfinite(v).all() for v in saved.values() if v.is_floating_point())


# ---------------------------------------------------------------- COCO annotation files
@pytest.fixture
def coco(tmp_path):
    root = str(tmp_path / 'coco') + '/'
    generate_synthetic_coco(root, num_train=6, num_val=4, size_range=(64, 96), seed=3)
    return root


def edit_json(path, fn):
    with open(path) as f:
        data = json.load(f)
    fn(data)
    with open(path, 'w') as f:
        json.dump(data, f)


def test_truncated_coco_file(coco):
    path = coco + 'annotations/instances_val.json'
    with open(path) as f:
        text = f.read()
    with open(path, 'w') as f:
        f.write(text[:len(text) // 2])
    with pytest.raises(CocoAnnotationError, match='instances_val.json is not valid JSON.*truncated'):
        check_coco_file(path)


@pytest.mark.parametrize('corrupt,message', [
    (lambda d: d['annotations'][0].update(category_id=99), r'category_id 99, not in "categories" \[1, 3, 7, 12\]'),
    (lambda d: d['annotations'][0].update(image_id=-5), 'refers to image_id -5'),
    (lambda d: d['annotations'][0].update(bbox=[1, 2, 0, 5]), 'non-positive width or height'),
    (lambda d: d['annotations'][0].update(bbox=[1, 2, 3]), r'expected \[x, y, width, height\]'),
    (lambda d: d.pop('categories'), 'must be an object with "images", "annotations" and "categories"'),
])
def test_inconsistent_coco_file(coco, corrupt, message):
    path = coco + 'annotations/instances_train.json'
    edit_json(path, corrupt)
    with pytest.raises(CocoAnnotationError, match=message):
        check_coco_file(path)


def test_train_tool_refuses_a_broken_annotation_file_before_writing(coco, tmp_path):
    edit_json(coco + 'annotations/instances_train.json', lambda d: d['annotations'][0].update(category_id=99))
    work = tmp_path / 'work'
    proc = run_tool('tools/train.py', 'configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py', '--work-dir',
                    str(work), '--cfg-options', f'train_dataloader.dataset.data_root={coco}',
                    f'val_dataloader.dataset.data_root={coco}',
                    f'val_evaluator.ann_file={coco}annotations/instances_val.json', check=False)
    assert proc.returncode != 0
    assert 'instances_train.json is inconsistent' in proc.stderr and 'category_id 99' in proc.stderr
    assert not work.exists()  # failed before the runner created anything


# ---------------------------------------------------------------- the teacher check at start
def test_eval_teacher_hook_stops_a_weak_teacher(tmp_path):
    root = write_cifar100(str(tmp_path / 'cifar'), num_train=16, num_test=16)
    proc = run_tool('tools/train.py', CIFAR_KD, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                    f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
                    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
                    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
                    'model.teacher.backbone.arch=resnet8', 'model.student.backbone.arch=resnet8',
                    f'model.teacher_ckpt={save_teacher(tmp_path)}',
                    'custom_hooks.0.min_metrics.accuracy/top1=90', check=False)
    assert proc.returncode != 0 and 'The teacher scores below min_metrics' in proc.stderr
    assert 'accuracy/top1' in proc.stderr
