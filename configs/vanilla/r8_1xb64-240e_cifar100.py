_base_ = './r32x4_1xb64-240e_cifar100.py'
model = dict(backbone=dict(type='CifarResNet', arch='resnet8'))
