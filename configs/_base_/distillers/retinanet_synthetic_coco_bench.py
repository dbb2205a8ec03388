# Detection benchmark: the wide-head RetinaNet MobileNetV2-FPN teacher -> the light-head student, per-anchor
# distillation on every anchor, next to the student's focal and box losses. Data, schedule and runtime are the
# student's.
_base_ = '../../retinanet/retinanet_mv2_fpn_6e_synthetic-coco-bench.py'

model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_6e_synthetic-coco-bench.py'),
    teacher=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_wide-head_12e_synthetic-coco-bench.py'),
    teacher_ckpt='work_dirs/synthetic_coco/teacher/epoch_12.pth',
    anchor_selection='all',
    background='no_target',
    distill_losses=dict())
