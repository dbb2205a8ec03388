# PLD on PLD's ImageNet recipe (PLD Tables 2, 3, 5): tau 1, no CE. The tau sweep of Table 6 is
# --cfg-options model.distill_losses.loss_pld.tau=T (0.5, 1.0, 1.5, 2.0, 4.0).
_base_ = '../_base_/distillers/in1k_lamb.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
