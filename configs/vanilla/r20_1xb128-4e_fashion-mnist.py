# Teacher: CIFAR-style ResNet-20 on 1-channel 28x28 inputs (0.27 M parameters), 4 epochs.
_base_ = './r8_1xb128-1e_fashion-mnist.py'
model = dict(backbone=dict(arch='resnet20'))
train_cfg = dict(max_epochs=4)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=4, eta_min=0, convert_to_iter_based=True)]
