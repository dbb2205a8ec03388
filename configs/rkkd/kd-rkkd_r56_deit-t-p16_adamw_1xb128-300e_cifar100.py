# KD + RKKD, ResNet-56 -> DeiT-Tiny on CIFAR-100 at 224 (RKKD Table 4, reported: 73.25): gamma = 0.5 with
# KD weight alpha = 1 (RKKD App. A.2: the one table where gamma is not the KD weight), k = 1, in mmkd's Kendall
# convention as every RKKD config here (README.md maps it onto the printed equations).
_base_ = '../kd/kd_r56_deit-t-p16_adamw_1xb128-300e_cifar100.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=0.5)))
