_base_ = '../_base_/dkd_rkkd.py'
model = dict(
    teacher=dict(backbone=dict(type='resnet56')),
    teacher_ckpt='data/cifar_teachers/resnet56_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='resnet20')),
    distill_losses=dict(loss_dkd=dict(beta=2.0)),  # DKD paper's beta for this pair
)
