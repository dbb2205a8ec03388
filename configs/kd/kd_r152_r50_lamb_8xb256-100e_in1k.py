# KD on PLD's ImageNet recipe (PLD Table 5): CE weight alpha = 0.1 and KD weight 1 - alpha = 0.9, tau 2. The CE
# weight sweep of PLD Table 8 (alpha 0 ... 0.9) is --cfg-options model.student.loss_cls.loss_weight=A
# model.distill_losses.loss_kd.loss_weight=1-A.
_base_ = '../_base_/distillers/in1k_lamb.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.1)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=2.0, loss_weight=0.9)))
