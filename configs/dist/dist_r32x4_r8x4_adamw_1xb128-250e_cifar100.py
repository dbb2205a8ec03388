# DIST on PLD's CIFAR-100 recipe, as PLD states it: CE 1, beta = gamma = 2, tau 4.
# ResNet-32x4 -> ResNet-8x4; the other pairs of PLD Table 1 inherit this file.
_base_ = '../_base_/distillers/cifar100_adamw.py'
model = dict(
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=2.0, gamma=2.0, tau=4.0, loss_weight=1.0)))
