# RKKD Table 4: a ResNet-56 teacher distilled into a vision transformer on CIFAR-100, the transformer at 224 x 224
# (the official code of that table: tiny-transformers in logit-standardization-KD). As there, the teacher sees the
# student's augmented batch resized back to 32 x 32 (bilinear). The teacher is the public mdistiller / RepDistiller
# ResNet-56 (cifar_teachers.tar; 72.34 % top-1), trained on CIFAR-100's own statistics: teacher_input gives it
# that normalisation (the student is normalised with ImageNet's). The official code trains its own ResNet-56 (pycls
# layout) with the transformers' augmentation; the paper does not report that teacher's accuracy.
_base_ = ['../datasets/cifar100_224px.py', '../schedules/cifar_adamw_300e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/deit-t-p16_adamw_1xb128-300e_cifar100.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r56_1xb64-240e_cifar100.py'),
    teacher_ckpt='data/cifar_teachers/resnet56_vanilla/ckpt_epoch_240.pth',
    teacher_input=dict(size=32, mean=[129.304, 124.070, 112.434], std=[68.170, 65.392, 70.418]),
    distill_losses=dict())

# Evaluate the teacher once before training: a wrong checkpoint is caught at once.
custom_hooks = [dict(type='EvalTeacherHook')]
