_base_ = './r8x4_adamw_1xb128-250e_cifar100.py'
model = dict(backbone=dict(type='CifarResNet', arch='resnet20'))
