# The demo student distilled with PLD on the per-anchor logits (instead of KD + RKKD).
_base_ = './retinanet_r18_mv2_kd_rkkd_demo.py'
model = dict(distill_losses=dict(_delete_=True, loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
