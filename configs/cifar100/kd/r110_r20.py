_base_ = '../_base_/kd.py'
model = dict(
    teacher=dict(backbone=dict(type='resnet110')),
    teacher_ckpt='data/cifar_teachers/resnet110_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='resnet20')),
)
