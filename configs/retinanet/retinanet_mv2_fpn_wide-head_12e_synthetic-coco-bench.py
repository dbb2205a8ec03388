# Detection benchmark teacher: the same ImageNet-initialised MobileNetV2-FPN with a wider head (128 channels,
# 3 convs) trained twice as long (12 epochs). It stands in for the ResNet-50 teacher of the COCO configs, which
# does not fit a CPU budget; anchors and FPN strides are the student's, so the logits align anchor by anchor.
_base_ = './retinanet_mv2_fpn_6e_synthetic-coco-bench.py'

max_epochs = 12
model = dict(
    neck=dict(out_channels=128),
    bbox_head=dict(in_channels=128, feat_channels=128, stacked_convs=3))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[9, 11], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
