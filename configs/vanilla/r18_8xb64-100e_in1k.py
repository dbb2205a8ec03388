# An ImageNet classifier trained alone with cross-entropy (teachers, and the "CE" student rows): mmdet's ResNet
# (torchvision's key names, so torchvision checkpoints load after LinearHeadClassifier.convert_state_dict), global
# average pooling and a linear fc. ResNet-18; the other networks inherit this file.
_base_ = ['../_base_/datasets/imagenet.py', '../_base_/schedules/imagenet_100e.py', '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='ResNet', depth=18, out_indices=(3, ), norm_eval=False, style='pytorch',
                  zero_init_residual=False),
    in_channels=512,  # mmdet's ResNet does not declare out_channels: 512 for R18/R34, 2048 for R50
    num_classes=1000,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
