# DKD on PLD's CIFAR-100 recipe; PLD does not give DKD's settings, so mdistiller's: alpha 1, beta 8 (per pair
# below), T = 4, 20 warm-up epochs.
# ResNet-32x4 -> ResNet-8x4; the other pairs of PLD Table 1 inherit this file.
_base_ = '../_base_/distillers/cifar100_adamw.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=20, loss_weight=1.0)))
