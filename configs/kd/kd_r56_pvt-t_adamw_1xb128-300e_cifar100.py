# KD, ResNet-56 -> PVT-Tiny on CIFAR-100 at 224 (RKKD Table 4, reported: 72.46).
_base_ = './kd_r56_deit-t-p16_adamw_1xb128-300e_cifar100.py'
model = dict(student=dict(cfg_path='mmkd::vanilla/pvt-t_adamw_1xb128-300e_cifar100.py'))
