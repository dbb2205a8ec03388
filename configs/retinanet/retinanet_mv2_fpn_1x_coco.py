# Student alone: RetinaNet MobileNetV2-FPN 1x with the teacher's anchors and FPN strides (P3-P7), so the two
# heads' logits align anchor by anchor. ImageNet initialisation: convert torchvision's MobileNetV2 weights with
#   python tools/model_converters/mobilenetv2_torchvision_to_mmdet.py mobilenet_v2-b0353104.pth \
#       data/pretrained/mobilenet_v2_mmdet.pth
# The teacher is mmdet's own mmdet::retinanet/retinanet_r50_fpn_1x_coco.py (36.5 box AP).
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
default_scope = 'mmkd'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(2, 4, 7),  # strides 8, 16, 32 with 32, 96, 1280 channels (every layer used)
        act_cfg=dict(type='ReLU6'),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mobilenet_v2_mmdet.pth')),
    neck=dict(in_channels=[32, 96, 1280], start_level=0))
