# A CIFAR-100 image classifier trained alone with cross-entropy (teachers, and the "CE" student rows).
_base_ = ['../../_base_/datasets/cifar100.py', '../../_base_/schedules/cifar_240e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='resnet32x4'),
    num_classes=100,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
