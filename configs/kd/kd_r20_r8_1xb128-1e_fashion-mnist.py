# KD: CE 0.1 + KD 0.9, T = 4 (the CIFAR recipe).
_base_ = '../_base_/distillers/fashion_mnist.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.1)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)))
