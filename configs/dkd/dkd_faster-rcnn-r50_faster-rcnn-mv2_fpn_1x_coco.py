# DKD on RoI logits, DKD's COCO setting: alpha 1, beta 0.25, T 1, all sampled RoIs including background.
_base_ = '../_base_/distillers/faster_rcnn_coco.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=0.25, tau=1.0, warmup_epochs=0, loss_weight=1.0)))
