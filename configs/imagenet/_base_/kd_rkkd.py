# KD + RKKD: the Kendall ranking term with gamma = the KD weight (0.5), k = 1.
_base_ = './kd.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RankKendallLoss', form='tanh', k=1.0, loss_weight=0.5)))
