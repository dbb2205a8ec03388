# Faster R-CNN R50-FPN teacher -> MobileNetV2-FPN student on COCO, 1x: the teacher's RoI head runs on the
# student's sampled RoIs, so the (C+1)-way RoI logits align row by row (the DKD / mdistiller COCO setting).
_base_ = '../../faster_rcnn/faster-rcnn_mv2_fpn_1x_coco.py'

model = dict(
    _delete_=True,
    type='RoIHeadDistiller',
    student=dict(cfg_path='mmkd::faster_rcnn/faster-rcnn_mv2_fpn_1x_coco.py'),
    teacher=dict(cfg_path='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/'
    'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth',
    roi_selection='all',  # all sampled RoIs, about 3/4 of them background
    background_column='keep',  # the C+1 softmax columns, background last
    distill_losses=dict())

custom_hooks = [dict(type='EvalTeacherHook')]
