# The demo student distilled with PLD on the per-anchor logits (instead of KD + RKKD).
_base_ = '../_base_/distillers/retinanet_synthetic_coco.py'
model = dict(distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
