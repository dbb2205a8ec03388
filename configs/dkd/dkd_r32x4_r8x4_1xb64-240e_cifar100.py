# DKD (Zhao et al. 2022): CE 1 + warm-up (20 epochs) x (alpha TCKD + beta NCKD), T = 4; beta 8 here.
# ResNet-32x4 -> ResNet-8x4; the other pairs inherit this file.
_base_ = '../_base_/distillers/cifar100.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=20, loss_weight=1.0)))
