_base_ = './_base_/distill.py'
model = dict(distill_losses=dict(loss_dist=dict(type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=1.0)))
