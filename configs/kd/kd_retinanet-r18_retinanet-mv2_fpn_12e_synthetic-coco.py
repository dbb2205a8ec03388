# The demo student distilled with KD on the per-anchor classification logits (T = 1).
_base_ = '../_base_/distillers/retinanet_synthetic_coco.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
