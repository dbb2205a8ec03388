_base_ = '../_base_/kd.py'
# teacher: https://download.pytorch.org/models/resnet50-0676ba61.pth (torchvision, 76.13 top-1)
model = dict(
    teacher=dict(backbone=dict(depth=50), in_channels=2048),
    teacher_ckpt='data/imagenet_teachers/resnet50-0676ba61.pth',
    student=dict(backbone=dict(_delete_=True, type='MobileNetV1'), in_channels=1024),
)
