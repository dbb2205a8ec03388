# DKD: CE 1 + (TCKD + 8 NCKD), T = 4; warm-up over the first 40 iterations (1/12 of training, as 20/240
# epochs on CIFAR).
_base_ = './_base_/distill.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_iters=40, loss_weight=1.0)))
