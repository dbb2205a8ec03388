# DIST + RKKD (Guan et al. 2025): the Kendall ranking term, gamma = the DIST weight, k = 1 (Eq. 8; in mmkd's
# Kendall convention: README.md maps it onto the printed equations).
_base_ = '../dist/dist_r50_mv2_1xb64-240e_cifar100.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
