# CIFAR-100 classifier trained alone with cross-entropy: the teachers, and the students' "CE" rows. ResNet-32x4;
# the other networks of the zoo inherit this file and change the backbone (RepDistiller's names as arch).
_base_ = ['../_base_/datasets/cifar100.py', '../_base_/schedules/cifar_240e.py', '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='CifarResNet', arch='resnet32x4'),
    num_classes=100,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
