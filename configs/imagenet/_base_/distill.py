# An ImageNet student distilled from a frozen teacher. Pair files set the two backbones and teacher_ckpt.
# Teachers: torchvision's ImageNet checkpoints, loaded as-is (ClassificationDistiller maps their keys), e.g.
#   https://download.pytorch.org/models/resnet34-b627a593.pth -> data/imagenet_teachers/resnet34-b627a593.pth
#   https://download.pytorch.org/models/resnet50-0676ba61.pth -> data/imagenet_teachers/resnet50-0676ba61.pth
_base_ = ['../../_base_/datasets/imagenet.py', '../../_base_/schedules/imagenet_100e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, out_indices=(3, ), norm_eval=False, style='pytorch',
                      zero_init_residual=False),
        in_channels=512,
        num_classes=1000,
        data_preprocessor={{_base_.data_preprocessor}}),
    teacher=dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=34, out_indices=(3, ), norm_eval=False, style='pytorch',
                      zero_init_residual=False),
        in_channels=512,
        num_classes=1000),
    teacher_ckpt='data/imagenet_teachers/resnet34-b627a593.pth',
    student_losses=dict(loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
