# PLD, T = 4, no CE (its first rank is the true label).
_base_ = './_base_/distill.py'
model = dict(
    student_losses=dict(_delete_=True),
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=4.0, loss_weight=1.0)))
