# Detection benchmark: KD + RKKD ('tanh', k = 1, weight = the KD weight) on every anchor.
_base_ = './kd_mv2.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RankKendallLoss', form='tanh', k=1.0, loss_weight=1.0)))
