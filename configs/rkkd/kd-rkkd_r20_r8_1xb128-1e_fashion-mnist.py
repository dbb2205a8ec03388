# KD + RKKD ('tanh' form), RKKD weight = the KD weight, k = 1.
_base_ = '../kd/kd_r20_r8_1xb128-1e_fashion-mnist.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=0.9)))
