# DKD + RKKD ('tanh' form), RKKD weight = the DKD weight, k = 1.
_base_ = '../dkd/dkd_r20_r8_1xb128-1e_fashion-mnist.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
