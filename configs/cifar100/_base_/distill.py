# A CIFAR-100 student distilled from a frozen teacher. Pair files set the two backbones and teacher_ckpt.
# Public teachers (mdistiller "cifar_teachers.tar"): extract to data/cifar_teachers/.
_base_ = ['../../_base_/datasets/cifar100.py', '../../_base_/schedules/cifar_240e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='resnet8x4'),
        num_classes=100,
        data_preprocessor={{_base_.data_preprocessor}}),
    teacher=dict(type='ImageClassifier', backbone=dict(type='resnet32x4'), num_classes=100),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    student_losses=dict(loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
