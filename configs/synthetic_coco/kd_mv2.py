# Detection benchmark: KD on the logits of every anchor (T = 1), next to the student's focal and box losses.
_base_ = './retinanet_mv2_fpn_student.py'
model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student={{_base_.model}},
    teacher=dict(cfg_path='configs/synthetic_coco/retinanet_mv2_fpn_wide_teacher.py'),
    teacher_ckpt='work_dirs/synthetic_coco/teacher/epoch_12.pth',
    anchor_selection='all',
    background='no_target',
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
