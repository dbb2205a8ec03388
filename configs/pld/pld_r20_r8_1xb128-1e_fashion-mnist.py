# PLD: replaces CE + KD; teacher-weight temperature 4.
_base_ = '../_base_/distillers/fashion_mnist.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=4.0, loss_weight=1.0)))
