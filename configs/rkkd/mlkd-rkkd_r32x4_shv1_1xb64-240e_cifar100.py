# MLKD + RKKD (RKKD Tables 1-2): the Kendall ranking term on the rows of both views, gamma = the KD weight, k = 1
# (Eq. 8; in mmkd's Kendall convention: README.md maps it onto the printed equations).
_base_ = '../mlkd/mlkd_r32x4_shv1_1xb64-240e_cifar100.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=0.9)))
