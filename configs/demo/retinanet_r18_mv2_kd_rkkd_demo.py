# make demo, step 2: the student distilled with KD + RKKD on the per-anchor classification logits.
_base_ = './retinanet_mv2_fpn_demo_student.py'

model = dict(
    _delete_=True,
    type='DenseHeadDistiller',
    student={{_base_.model}},
    teacher=dict(cfg_path='configs/demo/retinanet_r18_fpn_demo_teacher.py'),
    teacher_ckpt='work_dirs/demo/teacher/epoch_12.pth',
    anchor_selection='all',
    background='no_target',
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0),
        loss_rkkd=dict(type='RankKendallLoss', form='tanh', k=1.0, loss_weight=1.0)))
