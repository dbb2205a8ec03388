_base_ = './dist.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RankKendallLoss', form='tanh', k=1.0, loss_weight=1.0)))
