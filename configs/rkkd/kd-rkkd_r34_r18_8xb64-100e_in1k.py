# KD + RKKD: the Kendall ranking term with gamma = the KD weight (0.5), k = 1.
_base_ = '../kd/kd_r34_r18_8xb64-100e_in1k.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=0.5)))
