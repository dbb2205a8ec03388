# DIST (Huang et al. 2022), official CIFAR setting: CE 1 + 2 inter + 2 intra, T = 4.
# ResNet-32x4 -> ResNet-8x4; the other pairs inherit this file.
_base_ = '../_base_/distillers/cifar100.py'
model = dict(
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=2.0, gamma=2.0, tau=4.0, loss_weight=1.0)))
