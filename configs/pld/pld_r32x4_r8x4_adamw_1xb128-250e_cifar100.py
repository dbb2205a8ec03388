# PLD on its own CIFAR-100 recipe (PLD Table 1): tau 4, no CE.
# ResNet-32x4 -> ResNet-8x4; the other pairs of PLD Table 1 inherit this file.
_base_ = '../_base_/distillers/cifar100_adamw.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=4.0, loss_weight=1.0)))
