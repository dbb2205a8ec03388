"""``ClassificationDistiller(teacher_input=...)``: the teacher sees the batch at its own resolution and with its own
normalisation, checked against the raw images processed independently in float64; the same in the teacher's
evaluation before training; clear errors for bad settings."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from mmkd.registry import MODELS

IMAGENET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
CIFAR = dict(mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418])


def distiller(teacher_input=None, preprocessor=None):
    student = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
    return MODELS.build(
        dict(type='ClassificationDistiller', student=student, teacher=student, teacher_ckpt=None,
             teacher_input=teacher_input,
             data_preprocessor=preprocessor or dict(type='ImgDataPreprocessor', **IMAGENET),
             distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0))))


def raw_batch(size=64, batch=2):
    torch.manual_seed(0)
    images = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8) for _ in range(batch)]
    samples = [BaseDataElement(gt_label=torch.tensor([i])) for i in range(batch)]
    return dict(inputs=images, data_samples=samples)


def teacher_seen(model, data):
    """The tensor the teacher's forward receives in a training step."""
    seen = []
    handle = model.teacher.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    model.teacher_loaded = True  # random teacher weights: only its inputs matter here
    try:
        model.loss(**data)
    finally:
        handle.remove()
    assert len(seen) == 1
    return seen[0]


def test_resize_and_renormalise_for_the_teacher():
    """A CIFAR teacher (32 x 32, CIFAR statistics) behind an ImageNet-normalised 64 x 64 student batch."""
    model = distiller(dict(size=32, mean=CIFAR['mean'], std=CIFAR['std']))
    raw = raw_batch()
    data = model.data_preprocessor(raw, True)
    seen = teacher_seen(model, data)
    images = torch.stack(raw['inputs']).double()
    mean, std = torch.tensor(CIFAR['mean'], dtype=torch.float64), torch.tensor(CIFAR['std'], dtype=torch.float64)
    expected = F.interpolate((images - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1), size=(32, 32),
                             mode='bilinear', align_corners=False)
    assert seen.shape == (2, 3, 32, 32)
    torch.testing.assert_close(seen.double(), expected, rtol=1e-5, atol=1e-5)


def test_without_teacher_input_the_teacher_sees_the_student_batch():
    model = distiller()
    data = model.data_preprocessor(raw_batch(size=32), True)
    assert torch.equal(teacher_seen(model, data), data['inputs'])


def test_resize_only_and_other_modes():
    model = distiller(dict(size=(16, 24), mode='nearest'))
    data = model.data_preprocessor(raw_batch(size=32), True)
    expected = F.interpolate(data['inputs'], size=(16, 24), mode='nearest')
    assert torch.equal(teacher_seen(model, data), expected)


def test_teacher_evaluation_before_training_sees_the_same_inputs():
    from mmkd.engine.hooks import EvalTeacherHook

    model = distiller(dict(size=32, mean=CIFAR['mean'], std=CIFAR['std']))
    model.teacher_loaded = True
    raw = raw_batch()
    seen = []

    def record(module, args, kwargs):
        seen.append(kwargs['inputs'] if 'inputs' in kwargs else args[0])

    model.teacher.register_forward_pre_hook(record, with_kwargs=True)

    class Evaluator:
        def process(self, data_samples, data_batch):
            pass

        def evaluate(self, size):
            return {'accuracy/top1': 1.0}

    class Loop:
        dataloader = [raw]
        evaluator = Evaluator()

    class Runner:
        val_loop = Loop()

    Loop.dataloader = type('Loader', (list, ), {'dataset': [0, 1]})([raw])
    Runner.model = model
    EvalTeacherHook().before_train(Runner())
    assert seen[0].shape == (2, 3, 32, 32)


@pytest.mark.parametrize('cfg,error,match', [
    (dict(size=32, scale=2), TypeError, r"unknown key\(s\) \['scale'\]"),
    (dict(mean=[0, 0, 0]), ValueError, 'mean and std together'),
])
def test_bad_settings(cfg, error, match):
    with pytest.raises(error, match=match):
        distiller(cfg)


def test_renormalising_needs_a_normalising_preprocessor():
    with pytest.raises(ValueError, match='does not normalise'):
        distiller(dict(mean=[0, 0, 0], std=[1, 1, 1]), preprocessor=dict(type='ImgDataPreprocessor'))
