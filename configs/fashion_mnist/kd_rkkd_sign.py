# KD + RKKD ('sign' form), RKKD weight = the KD weight, k = 1.
_base_ = './kd.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RankKendallLoss', form='sign', k=1.0, loss_weight=0.9)))
