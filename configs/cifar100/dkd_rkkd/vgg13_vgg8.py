_base_ = '../_base_/dkd_rkkd.py'
model = dict(
    teacher=dict(backbone=dict(type='vgg13')),
    teacher_ckpt='data/cifar_teachers/vgg13_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='vgg8')),
    distill_losses=dict(loss_dkd=dict(beta=6.0)),  # DKD paper's beta for this pair
)
