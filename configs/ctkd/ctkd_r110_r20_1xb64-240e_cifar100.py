# CTKD (Li et al. 2023) on KD: the KD config of this pair with its temperature learned through a gradient reversal
# (Global-T, tau = 1 + 20 sigmoid(raw), lambda 0 -> -1 over 10 epochs: the official code's settings).
_base_ = '../kd/kd_r110_r20_1xb64-240e_cifar100.py'
model = dict(
    distill_losses=dict(loss_kd=dict(_delete_=True, type='CTKDLoss', loss={{_base_.model.distill_losses.loss_kd}})))
