# PVT-Tiny trained alone with cross-entropy on CIFAR-100 at 224 x 224: the CE row of RKKD Table 4 (reported
# 69.22, the number of the official code's own run), and the student of the Table 4 distillers. The network
# and the recipe are those of the official code (tiny-transformers in logit-standardization-KD; its
# released checkpoints, {'model_state': ...}, load as they are): drop path 0.1, AdamW 300 epochs.
_base_ = ['../_base_/datasets/cifar100_224px.py', '../_base_/schedules/cifar_adamw_300e.py',
          '../_base_/default_runtime.py']

model = dict(
    type='LinearHeadClassifier',
    backbone=dict(type='PVT', arch='tiny', drop_path_rate=0.1),
    num_classes=100,
    loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
    # the official head: truncated normal (std 0.02)
    init_cfg=dict(type='TruncNormal', std=0.02, a=-2., b=2., bias=0., override=dict(name='fc')),
    data_preprocessor={{_base_.data_preprocessor}})
