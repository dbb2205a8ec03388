# RetinaNet R50-FPN teacher -> RetinaNet MobileNetV2-FPN student on COCO, 1x: per-anchor logit distillation.
# Data, schedule and runtime are the student's; method files set distill_losses; the student keeps its focal
# and box losses.
_base_ = '../../retinanet/retinanet_mv2_fpn_1x_coco.py'

model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_1x_coco.py'),
    teacher=dict(cfg_path='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/'
    'retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth',
    anchor_selection='all',  # 'positive' or 'topk' (see DenseHeadDistiller)
    background='no_target',  # background anchors: PLD ranks by the teacher alone; 'ignore' drops them
    distill_losses=dict())

custom_hooks = [dict(type='EvalTeacherHook')]
