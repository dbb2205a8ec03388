# KD (Hinton et al. 2015), mdistiller ImageNet recipe: CE 0.5 + KD 0.5, T = 1.
# ResNet-34 -> ResNet-18; ResNet-50 -> MobileNet-V1 inherits this file.
_base_ = '../_base_/distillers/in1k.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.5)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=0.5)))
