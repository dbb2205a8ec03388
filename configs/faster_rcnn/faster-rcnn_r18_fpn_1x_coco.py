# Student alone: Faster R-CNN R-18-FPN 1x (PLD Table 7's R101 -> R18 pair), torchvision's ImageNet ResNet-18.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
default_scope = 'mmkd'

model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
