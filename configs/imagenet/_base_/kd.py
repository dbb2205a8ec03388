# KD (Hinton et al. 2015), mdistiller ImageNet recipe: CE 0.5 + KD 0.5, T = 1.
_base_ = './distill.py'
model = dict(
    student_losses=dict(loss_cls=dict(loss_weight=0.5)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=0.5)))
