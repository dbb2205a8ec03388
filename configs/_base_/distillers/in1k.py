# An ImageNet student distilled from a frozen teacher; both are the models of their vanilla configs (cfg_path).
# Teachers: torchvision's ImageNet checkpoints, loaded as-is (ClassificationDistiller maps their keys), e.g.
#   https://download.pytorch.org/models/resnet34-b627a593.pth -> data/imagenet_teachers/resnet34-b627a593.pth
#   https://download.pytorch.org/models/resnet50-0676ba61.pth -> data/imagenet_teachers/resnet50-0676ba61.pth
_base_ = ['../datasets/imagenet.py', '../schedules/imagenet_100e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/r18_8xb64-100e_in1k.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r34_8xb64-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/resnet34-b627a593.pth',  # torchvision, 73.31 top-1
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
