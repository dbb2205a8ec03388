# A CIFAR-100 student distilled from a frozen teacher; both are the models of their vanilla configs (cfg_path).
# Public teachers (mdistiller's "cifar_teachers.tar", RepDistiller layout): extract to data/cifar_teachers/.
_base_ = ['../datasets/cifar100.py', '../schedules/cifar_240e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/r8x4_1xb64-240e_cifar100.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r32x4_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
