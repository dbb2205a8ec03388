# ResNet-50 trained alone with cross-entropy on PLD's ImageNet recipe (LAMB, 100 epochs, batch 2048): the "CE"
# row of PLD Table 5, and the student of the R152 -> R50 distillers.
_base_ = ['../_base_/datasets/imagenet_rsb.py', '../_base_/schedules/imagenet_lamb_100e.py',
          '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='ResNet', depth=50, out_indices=(3, ), norm_eval=False, style='pytorch',
                  zero_init_residual=False),
    in_channels=2048,
    num_classes=1000,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    data_preprocessor={{_base_.data_preprocessor}})
