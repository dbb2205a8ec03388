# The demo student alone: RetinaNet MobileNetV2-FPN with the teacher's anchors and FPN strides (P3-P7).
_base_ = './retinanet_r18_fpn_12e_synthetic-coco.py'

model = dict(
    backbone=dict(_delete_=True, type='MobileNetV2', out_indices=(2, 4, 7), act_cfg=dict(type='ReLU6')),
    neck=dict(in_channels=[32, 96, 1280], start_level=0))
