# KD on the per-anchor logits, T = 1.
_base_ = '../_base_/distillers/retinanet_coco.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
