_base_ = './mlkd_r32x4_r8x4_1xb64-240e_cifar100.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/r50_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/ResNet50_vanilla/ckpt_epoch_240.pth',
    student=dict(cfg_path='mmkd::vanilla/mv2_1xb64-240e_cifar100.py'))
optim_wrapper = dict(optimizer=dict(lr=0.01))  # the official lr for ShuffleNet / MobileNetV2 students
