# KD on the RoI logits (C+1 columns), T = 1.
_base_ = '../_base_/distillers/faster_rcnn_coco.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
