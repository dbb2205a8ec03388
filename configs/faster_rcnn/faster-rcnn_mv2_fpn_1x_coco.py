# Student alone: Faster R-CNN MobileNetV2-FPN 1x (P2-P6 like the teacher, mmdet's
# mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py, 37.4 box AP). ImageNet initialisation as in
# configs/retinanet/retinanet_mv2_fpn_1x_coco.py.
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
default_scope = 'mmkd'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(1, 2, 4, 7),  # strides 4, 8, 16, 32 with 24, 32, 96, 1280 channels (every layer used)
        act_cfg=dict(type='ReLU6'),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mobilenet_v2_mmdet.pth')),
    neck=dict(in_channels=[24, 32, 96, 1280]))
