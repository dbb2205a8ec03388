# DIST: CE 1 + 2 inter + 2 intra, T = 4 (the official CIFAR setting).
_base_ = '../_base_/distillers/fashion_mnist.py'
model = dict(
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=2.0, gamma=2.0, tau=4.0, loss_weight=1.0)))
