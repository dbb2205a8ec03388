# DIST on the per-anchor logits (beta = gamma = 1, T = 1).
_base_ = '../_base_/distillers/retinanet_coco.py'
model = dict(distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=1.0)))
