"""``StopDistillHook``: the distiller's ``distill_stopped`` flag is set from the runner's position (epoch or
iteration, MMRazor's counting), logged once, also when a resumed run starts past the point; once stopped the
distiller's loss is the student's own (dropped terms back) with no teacher forward; and the same through
tools/train.py, with a resume past the point."""
import os.path as osp
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.runner import IterBasedTrainLoop
from mmengine.structures import BaseDataElement

from mmkd.engine.hooks import StopDistillHook
from mmkd.engine.hooks import stop_distill_hook as hook_module
from mmkd.registry import HOOKS, MODELS
from tests.data_utils import write_cifar100
from tests.test_tools.utils import CIFAR_TEACHER, ENV, distill_opts, run_tool, train_log

NET = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
PLD = dict(type='ClassificationDistiller', student=NET, teacher=NET, drop_student_losses=['loss_cls'],
           distill_losses=dict(loss_pld=dict(type='PLDLoss')))
KD_CONFIG = 'configs/kd/kd_r32x4_r8x4_1xb64-240e_cifar100.py'


def distiller(tmp_path, cfg=PLD):
    model = MODELS.build(cfg)
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=model.teacher.state_dict()), path)
    model.teacher_ckpt = path
    model.init_weights()
    return model.train()


def batch():
    labels = (1, 0, 9, 3)
    return dict(inputs=torch.randn(len(labels), 3, 32, 32),
                data_samples=[BaseDataElement(gt_label=torch.tensor([label])) for label in labels])


def runner(model, epoch=0, it=0):
    """What the hook reads of a Runner: the model, the 0-based epoch and iteration, the message hub."""
    hub = MessageHub.get_instance('test_stop_distill_hook')
    for key in ('train/loss_pld', 'train/loss_cls', 'train/loss'):
        hub.update_scalar(key, 1.0)
    return SimpleNamespace(model=model, epoch=epoch, iter=it, message_hub=hub)


@pytest.fixture
def logs(monkeypatch):
    lines = []
    monkeypatch.setattr(hook_module, 'print_log', lambda msg, **kwargs: lines.append(msg))
    return lines


def count_teacher(model, monkeypatch):
    """Calls of ``teacher_forward`` (every distiller's only way to the teacher) and of the teacher's forward."""
    calls = dict(teacher_forward=0, forward=0)
    original = model.teacher_forward

    def counted(*args, **kwargs):
        calls['teacher_forward'] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(model, 'teacher_forward', counted)
    model.teacher.register_forward_hook(lambda *args: calls.__setitem__('forward', calls['forward'] + 1))
    return calls


@pytest.mark.parametrize('kwargs', [{}, dict(stop_epoch=1, stop_iter=10), dict(stop_epoch=-1),
                                    dict(stop_iter=True), dict(stop_iter=2.5)])
def test_needs_one_non_negative_point(kwargs):
    with pytest.raises(ValueError, match='StopDistillHook'):
        StopDistillHook(**kwargs)


def test_registered():
    assert isinstance(HOOKS.build(dict(type='StopDistillHook', stop_epoch=3)), StopDistillHook)


def test_stop_epoch_flips_the_flag_at_the_epoch_and_logs_once(tmp_path, logs):
    model = MODELS.build(PLD)
    assert model.distill_stopped is False
    hook, run = StopDistillHook(stop_epoch=2), runner(model)
    hook.before_train(run)
    seen = []
    for epoch in range(4):
        run.epoch, run.iter = epoch, epoch * 3
        hook.before_train_epoch(run)
        for i in range(3):
            run.iter = epoch * 3 + i
            hook.before_train_iter(run, i)
            seen.append(model.distill_stopped)
    assert seen == [False] * 6 + [True] * 6  # runner.epoch 0 and 1 (logged epochs 1, 2) distil
    assert logs == ['StopDistillHook: distillation terms off from epoch 3 (iteration 7) (stop_epoch=2): the '
                    'student now trains on its own losses.']
    # the distillation terms' last values are no longer logged; the student's are
    assert set(run.message_hub.log_scalars) >= {'train/loss_cls', 'train/loss'}
    assert 'train/loss_pld' not in run.message_hub.log_scalars


def test_stop_iter_flips_the_flag_at_the_iteration(logs):
    model = MODELS.build(PLD)
    hook, run = StopDistillHook(stop_iter=5), runner(model)
    seen = []
    for it in range(8):
        run.epoch, run.iter = it // 3, it
        if it % 3 == 0:
            hook.before_train_epoch(run)
        hook.before_train_iter(run, it % 3)
        seen.append(model.distill_stopped)
    assert seen == [False] * 5 + [True] * 3
    assert len(logs) == 1 and 'from iteration 6 (stop_iter=5)' in logs[0]


@pytest.mark.parametrize('kwargs,position,where', [(dict(stop_epoch=2), dict(epoch=4, it=40), 'epoch 5'),
                                                   (dict(stop_iter=5), dict(epoch=1, it=12), 'iteration 13')])
def test_resumed_past_the_point_stops_at_the_first_iteration(kwargs, position, where, logs):
    model = MODELS.build(PLD)  # a fresh distiller and hook, as after --resume: no state but the runner's position
    hook, run = StopDistillHook(**kwargs), runner(model, **position)
    hook.before_train(run)
    hook.before_train_epoch(run)
    hook.before_train_iter(run, 0)
    assert model.distill_stopped
    hook.before_train_iter(run, 1)
    assert len(logs) == 1 and f'resumes at {where}' in logs[0] and 'stay off' in logs[0]


def test_model_wrapper_is_unwrapped(logs):
    model = MODELS.build(PLD)
    wrapped = torch.nn.DataParallel(model)  # one of MMEngine's model wrappers, usable on the CPU
    StopDistillHook(stop_epoch=0).before_train_epoch(runner(wrapped))
    assert model.distill_stopped


def test_a_model_that_is_not_a_distiller_is_a_clear_error():
    run = runner(torch.nn.Linear(2, 2))
    for call in (StopDistillHook(stop_epoch=0).before_train, StopDistillHook(stop_epoch=0).before_train_epoch):
        with pytest.raises(TypeError, match=r'BaseDistiller.*the model is a Linear'):
            call(run)


def test_stop_epoch_with_an_iteration_loop_is_an_error():
    run = runner(MODELS.build(PLD))
    run.train_loop = mock.Mock(spec=IterBasedTrainLoop)
    with pytest.raises(ValueError, match='Use stop_iter instead'):
        StopDistillHook(stop_epoch=1).before_train(run)


def test_stopped_loss_is_the_students_own_without_the_teacher(tmp_path, monkeypatch):
    model = distiller(tmp_path)
    calls = count_teacher(model, monkeypatch)
    data = batch()
    assert set(model.loss(**data)) == {'loss_pld'}  # PLD replaces the cross-entropy ...
    assert calls == dict(teacher_forward=1, forward=1)
    model.distill_stopped = True
    torch.manual_seed(0)
    losses = model.loss(**data)
    torch.manual_seed(0)
    alone = model.student.loss(**data)
    assert set(losses) == set(alone) == {'loss_cls'}  # ... and the student gets it back once PLD is off
    assert torch.equal(losses['loss_cls'], alone['loss_cls'])
    assert calls == dict(teacher_forward=1, forward=1)  # no teacher forward once stopped
    losses['loss_cls'].backward()
    assert all(p.grad is not None for p in model.student.parameters() if p.requires_grad)


DETECTORS = {  # distiller, config of both detectors (ResNet-18, 4 classes)
    'retinanet': ('DenseHeadDistiller', 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
                  dict(bbox_head=dict(num_classes=4))),
    'faster_rcnn': ('RoIHeadDistiller', 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
                    dict(roi_head=dict(bbox_head=dict(num_classes=4)))),
}


@pytest.mark.parametrize('name', list(DETECTORS))
def test_stopped_detector_loss_is_the_detectors_own(name, monkeypatch):
    kind, cfg_path, head = DETECTORS[name]
    net = dict(cfg_path=cfg_path, backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]),
               **head)
    model = MODELS.build(dict(type=kind, student=net, teacher=net, distill_losses=dict(loss_kd=dict(type='KDLoss')),
                              drop_student_losses=['loss_cls'])).train()
    calls = count_teacher(model, monkeypatch)
    model.distill_stopped = True  # no teacher checkpoint: stopped, the teacher is never needed
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, 64, 96)], num_items=[2], num_classes=4)
    data = model.data_preprocessor(packed, True)
    torch.manual_seed(0)
    losses = model.loss(data['inputs'], data['data_samples'])
    torch.manual_seed(0)
    alone = model.student.loss(data['inputs'], data['data_samples'])  # mmdet: loss(batch_inputs, batch_data_samples)
    assert set(losses) == set(alone) and 'loss_cls' in losses and 'loss_kd' not in losses
    assert calls == dict(teacher_forward=0, forward=0)


def test_train_tool_stops_distilling_and_resumes_past_the_point(tmp_path):
    """KD through tools/train.py: epoch 1 distils, epoch 2 does not (stop_epoch=1); resumed to epoch 3, it still
    does not. The hook replaces the config's one custom hook (EvalTeacherHook) by list index, as --cfg-options
    can set list entries but cannot add one."""
    data = write_cifar100(str(tmp_path / 'cifar'), num_train=64, num_test=32)  # 2 iterations of 32 per epoch
    teacher = MODELS.build(Config.fromfile(CIFAR_TEACHER).model)
    teacher_ckpt = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    work = str(tmp_path / 'work')
    hook = ['custom_hooks.0.type=StopDistillHook', 'custom_hooks.0.stop_epoch=1']
    first = run_tool('tools/train.py', KD_CONFIG, '--work-dir', work, '--cfg-options',
                     *distill_opts(data, teacher_ckpt, epochs=2), *hook, env=ENV)
    log = [line for line in train_log(work) if 'loss' in line]
    assert [(line['epoch'], line['iter']) for line in log] == [(1, 1), (1, 2), (2, 3), (2, 4)]
    assert all({'loss_cls', 'loss_kd'} <= set(line) for line in log[:2])
    assert all('loss_cls' in line and 'loss_kd' not in line for line in log[2:])
    output = first.stdout + first.stderr
    assert output.count('StopDistillHook:') == 1 and 'terms off from epoch 2 (iteration 3)' in output
    resumed = run_tool('tools/train.py', KD_CONFIG, '--work-dir', work, '--resume', '--cfg-options',
                       *distill_opts(data, teacher_ckpt, epochs=3), *hook, env=ENV)
    output = resumed.stdout + resumed.stderr
    assert output.count('StopDistillHook:') == 1 and 'resumes at epoch 3 (iteration 5), past stop_epoch=1' in output
    log = [line for line in train_log(work) if 'loss' in line]
    assert [(line['epoch'], line['iter']) for line in log] == [(3, 5), (3, 6)]
    assert all('loss_cls' in line and 'loss_kd' not in line for line in log)
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))
