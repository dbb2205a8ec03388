# ResNet-20 teacher -> ResNet-8 student on Fashion-MNIST; method files set the losses.
# teacher_ckpt: train configs/fashion_mnist/models/resnet20.py first (tools/analysis_tools/run_benchmark.py fashion_mnist
# does both steps).
_base_ = ['../../_base_/datasets/fashion_mnist.py', '../../_base_/schedules/fashion_mnist_1e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='resnet8', in_channels=1),
        num_classes=10,
        data_preprocessor={{_base_.data_preprocessor}}),
    teacher=dict(type='ImageClassifier', backbone=dict(type='resnet20', in_channels=1), num_classes=10),
    teacher_ckpt='work_dirs/fashion_mnist/teacher/epoch_4.pth',
    student_losses=dict(loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    distill_losses=dict())
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=1))
custom_hooks = [dict(type='EvalTeacherHook')]
