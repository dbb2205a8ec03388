# A small RetinaNet R18-FPN teacher -> RetinaNet MobileNetV2-FPN student on the generated shapes (the tests' tiny
# end-to-end runs), per-anchor distillation on every anchor. Data, schedule and runtime are the student's.
_base_ = '../../retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'

model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'),
    teacher=dict(cfg_path='mmkd::retinanet/retinanet_r18_fpn_12e_synthetic-coco.py'),
    teacher_ckpt='work_dirs/demo/teacher/epoch_12.pth',
    anchor_selection='all',
    background='no_target',
    distill_losses=dict())
