_base_ = './mlkd_r32x4_r8x4_1xb64-240e_cifar100.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/r32x4_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    student=dict(cfg_path='mmkd::vanilla/wrn16-2_1xb64-240e_cifar100.py'))
