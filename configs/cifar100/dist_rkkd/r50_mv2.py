_base_ = '../_base_/dist_rkkd.py'
model = dict(
    teacher=dict(backbone=dict(type='ResNet50Cifar')),
    teacher_ckpt='data/cifar_teachers/ResNet50_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='mobile_half')),
)
optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 student
