# ResNet-20 teacher -> ResNet-8 student on Fashion-MNIST (the models of their vanilla configs); method files set
# the losses. teacher_ckpt: train mmkd::vanilla/r20_1xb128-4e_fashion-mnist.py first
# (tools/analysis_tools/run_benchmark.py fashion_mnist does both steps).
_base_ = ['../datasets/fashion_mnist.py', '../schedules/fashion_mnist_1e.py', '../default_runtime.py']

model = dict(
    type='ClassificationDistiller',
    student=dict(cfg_path='mmkd::vanilla/r8_1xb128-1e_fashion-mnist.py'),
    teacher=dict(cfg_path='mmkd::vanilla/r20_1xb128-4e_fashion-mnist.py'),
    teacher_ckpt='work_dirs/fashion_mnist/teacher/epoch_4.pth',
    distill_losses=dict())
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=1, max_keep_ckpts=1))
custom_hooks = [dict(type='EvalTeacherHook')]
