_base_ = './mlkd_r32x4_r8x4_1xb64-240e_cifar100.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/vgg13_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/vgg13_vanilla/ckpt_epoch_240.pth',
    student=dict(cfg_path='mmkd::vanilla/vgg8_1xb64-240e_cifar100.py'))
