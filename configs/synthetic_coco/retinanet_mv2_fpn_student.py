# Detection benchmark: the RetinaNet MobileNetV2-FPN student alone, ImageNet-initialised (torchvision weights
# converted by tools/model_converters/mobilenetv2_torchvision_to_mmdet.py), 6 epochs.
_base_ = './retinanet_r18_fpn_teacher.py'

max_epochs = 6
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 7),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mobilenet_v2_mmdet.pth')),
    neck=dict(in_channels=[32, 96, 1280], start_level=0))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 5], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
