# Teacher: CIFAR-style ResNet-20 on 1-channel 28x28 inputs (0.27 M parameters), 4 epochs.
_base_ = ['../../_base_/datasets/fashion_mnist.py', '../../_base_/schedules/fashion_mnist_4e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='resnet20', in_channels=1),
    num_classes=10,
    data_preprocessor={{_base_.data_preprocessor}})
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=1))
