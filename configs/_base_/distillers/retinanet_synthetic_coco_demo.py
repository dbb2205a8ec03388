# make demo: the ImageNet-initialised RetinaNet MobileNetV2-FPN teacher -> the same detector trained from scratch,
# per-anchor distillation on the teacher's 100 most confident anchors of each image, next to the student's focal
# and box losses. Data, schedule and runtime are the student's. The teacher is evaluated before training and the
# teacher-student rank agreement is logged at every validation.
_base_ = '../../retinanet/retinanet_mv2_fpn_8e_synthetic-coco.py'

model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_8e_synthetic-coco.py'),
    teacher=dict(cfg_path='mmkd::retinanet/retinanet_mv2-in1k_fpn_12e_synthetic-coco.py'),
    teacher_ckpt='work_dirs/demo/teacher/epoch_12.pth',
    anchor_selection='topk',
    topk=100,
    background='no_target',
    distill_losses=dict())
custom_hooks = [dict(type='EvalTeacherHook'), dict(type='RankDiagnosticsHook')]
