_base_ = '../_base_/pld.py'
model = dict(
    teacher=dict(backbone=dict(type='resnet32x4')),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='ShuffleV1')),
)
optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 student
