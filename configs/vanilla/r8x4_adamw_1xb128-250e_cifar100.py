# A CIFAR-100 student alone with cross-entropy on PLD's AdamW recipe (the "Student (CE)" row of PLD Table 1):
# ResNet-8x4; the other students of that table inherit this file.
_base_ = ['../_base_/datasets/cifar100.py', '../_base_/schedules/cifar_adamw_250e.py', '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='CifarResNet', arch='resnet8x4'),
    num_classes=100,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
train_dataloader = dict(batch_size=128)
