# A Fashion-MNIST classifier trained alone with cross-entropy: the ResNet-8 "CE" student row (1 epoch);
# models/resnet20.py (the teacher) changes the backbone and trains 4 epochs.
_base_ = ['../../_base_/datasets/fashion_mnist.py', '../../_base_/schedules/fashion_mnist_1e.py',
          '../../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='resnet8', in_channels=1),
    num_classes=10,
    data_preprocessor={{_base_.data_preprocessor}})
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=1))
