# make demo, the student alone: RetinaNet MobileNetV2-FPN with a light head (64 channels, 2 convs), from scratch,
# 8 epochs on the generated shapes (200 train / 50 val images), validated after every epoch.
_base_ = './retinanet_mv2_fpn_12e_synthetic-coco.py'

max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[6, 7], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
