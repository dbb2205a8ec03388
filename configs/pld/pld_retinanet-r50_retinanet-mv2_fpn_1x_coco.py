# PLD on per-anchor logits, next to the detector's own focal loss (there is no softmax CE to replace here).
_base_ = '../_base_/distillers/retinanet_coco.py'
model = dict(distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
