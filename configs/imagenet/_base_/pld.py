# PLD (Bassam et al. 2025): replaces CE + KD; teacher-weight temperature 1 on ImageNet.
_base_ = './distill.py'
model = dict(
    student_losses=dict(_delete_=True),  # no CE: PLD's first rank is the true label
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
