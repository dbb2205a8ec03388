_base_ = '../_base_/kd_rkkd.py'
model = dict(
    teacher=dict(backbone=dict(type='wrn_40_2')),
    teacher_ckpt='data/cifar_teachers/wrn_40_2_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='wrn_40_1')),
)
