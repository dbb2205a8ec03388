_base_ = '../_base_/kd_rkkd.py'
# teacher: https://download.pytorch.org/models/resnet34-b627a593.pth (torchvision, 73.31 top-1)
model = dict(
    teacher=dict(backbone=dict(depth=34), in_channels=512),
    teacher_ckpt='data/imagenet_teachers/resnet34-b627a593.pth',
    student=dict(backbone=dict(depth=18), in_channels=512),
)
