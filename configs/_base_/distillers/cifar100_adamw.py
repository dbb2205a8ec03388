# A CIFAR-100 student distilled on PLD's AdamW recipe (PLD Table 1); the models are those of the vanilla configs.
_base_ = ['../datasets/cifar100.py', '../schedules/cifar_adamw_250e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/r8x4_1xb64-240e_cifar100.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r32x4_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/resnet32x4_vanilla/ckpt_epoch_240.pth',
    distill_losses=dict())
train_dataloader = dict(batch_size=128)

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
