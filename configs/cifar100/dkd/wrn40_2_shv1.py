_base_ = '../_base_/dkd.py'
model = dict(
    teacher=dict(backbone=dict(type='wrn_40_2')),
    teacher_ckpt='data/cifar_teachers/wrn_40_2_vanilla/ckpt_epoch_240.pth',
    student=dict(backbone=dict(type='ShuffleV1')),
)
optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 student
