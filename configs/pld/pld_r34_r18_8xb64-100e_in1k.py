# PLD (Bassam et al. 2025): replaces CE + KD; teacher-weight temperature 1 on ImageNet.
# ResNet-34 -> ResNet-18; ResNet-50 -> MobileNet-V1 inherits this file.
_base_ = '../_base_/distillers/in1k.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
