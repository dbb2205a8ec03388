_base_ = './r32x4_1xb64-240e_cifar100.py'
model = dict(backbone=dict(type='CifarShuffleNetV2', arch='ShuffleV2'))

optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 recipe
