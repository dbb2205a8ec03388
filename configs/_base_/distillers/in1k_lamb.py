# PLD's ImageNet setting: ResNet-152 teacher -> ResNet-50 student on the LAMB recipe (PLD Tables 2, 3, 5, 6, 8).
# The teacher is a ResNet-152 ImageNet checkpoint in torchvision's layout (torchvision's and timm's load as they
# are); the paper's scored 79.61 top-1.
_base_ = ['../datasets/imagenet_rsb.py', '../schedules/imagenet_lamb_100e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/r50_lamb_8xb256-100e_in1k.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r152_8xb64-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/resnet152.pth',
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
