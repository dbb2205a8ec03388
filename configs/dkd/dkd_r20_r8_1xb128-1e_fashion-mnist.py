# DKD: CE 1 + alpha 1 TCKD + beta 8 NCKD, T = 4, linear warm-up over the first 40 iterations (one epoch is
# too short for the paper's 20-epoch warm-up).
_base_ = '../_base_/distillers/fashion_mnist.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_iters=40, loss_weight=1.0)))
