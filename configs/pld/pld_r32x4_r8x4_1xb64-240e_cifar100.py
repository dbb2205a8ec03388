# PLD (Bassam et al. 2025): replaces CE + KD (its first rank is the true label); teacher-weight temperature 4
# on CIFAR-100 (1 on ImageNet).
# ResNet-32x4 -> ResNet-8x4; the other pairs inherit this file.
_base_ = '../_base_/distillers/cifar100.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=4.0, loss_weight=1.0)))
