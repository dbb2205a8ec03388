# KD (Hinton et al. 2015), mdistiller CIFAR recipe: CE 0.1 + KD 0.9, T = 4.
# ResNet-32x4 -> ResNet-8x4; the other pairs inherit this file.
_base_ = '../_base_/distillers/cifar100.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.1)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)))
