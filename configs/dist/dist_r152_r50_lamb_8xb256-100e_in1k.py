# DIST on PLD's ImageNet recipe (PLD Table 5): CE 0.1, beta = gamma = 0.45, tau 1 (the sweep of Table 8 moves
# (CE, beta = gamma) along (alpha, (1 - alpha) / 2)).
_base_ = '../_base_/distillers/in1k_lamb.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.1)),
    distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=0.45, gamma=0.45, tau=1.0, loss_weight=1.0)))
