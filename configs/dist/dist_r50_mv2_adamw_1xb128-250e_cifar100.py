_base_ = './dist_r32x4_r8x4_adamw_1xb128-250e_cifar100.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/r50_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/ResNet50_vanilla/ckpt_epoch_240.pth',
    student=dict(cfg_path='mmkd::vanilla/mv2_1xb64-240e_cifar100.py'))
