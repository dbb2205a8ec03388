# Detection benchmark: PLD on every anchor (background anchors ranked by the teacher alone), T = 1.
_base_ = './kd_mv2.py'
model = dict(distill_losses=dict(_delete_=True, loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
