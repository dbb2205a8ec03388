# MLKD (Jin et al., CVPR 2023) on CIFAR-100, the official recipe: two views per image, SGD lr 0.025 (0.01 for
# ShuffleNet / MobileNetV2 students), momentum 0.9, weight decay 5e-4, batch 64, 240 epochs, x0.1 at 150/180/210;
# CE 0.1 on both views, every MLKD term with the KD weight 0.9. Pair files set the teacher and the student.
_base_ = ['../datasets/cifar100_two_views.py', '../schedules/cifar_240e.py', '../default_runtime.py']

model = dict(
    type='MLKDDistiller',
    student=dict(cfg_path='mmkd::vanilla/r8x4_1xb64-240e_cifar100.py', loss_cls=dict(loss_weight=0.1)),
    teacher=dict(cfg_path='mmkd::vanilla/r32x4_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    data_preprocessor={{_base_.data_preprocessor}},
    distill_losses=dict(
        loss_kd=dict(type='MLKDInstanceLoss', loss_weight=0.9),
        loss_cc=dict(type='MLKDClassLoss', loss_weight=0.9),
        loss_bc=dict(type='MLKDBatchLoss', loss_weight=0.9)))
optim_wrapper = dict(optimizer=dict(lr=0.025))

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
