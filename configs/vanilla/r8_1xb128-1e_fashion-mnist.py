# A Fashion-MNIST classifier trained alone with cross-entropy: the ResNet-8 "CE" student row (1 epoch, 0.08 M
# parameters, 1-channel 28x28 inputs); r20_1xb128-4e_fashion-mnist.py (the teacher) inherits it.
_base_ = ['../_base_/datasets/fashion_mnist.py', '../_base_/schedules/fashion_mnist_1e.py',
          '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='CifarResNet', arch='resnet8', in_channels=1),
    num_classes=10,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=1))
