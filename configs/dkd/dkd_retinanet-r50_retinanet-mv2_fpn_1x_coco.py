# DKD on per-anchor logits (DKD's COCO setting: alpha 1, beta 0.25, T 1; no warm-up within the 12 epochs).
_base_ = '../_base_/distillers/retinanet_coco.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=0.25, tau=1.0, warmup_epochs=0, loss_weight=1.0)))
