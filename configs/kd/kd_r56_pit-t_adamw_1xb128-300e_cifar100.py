# KD, ResNet-56 -> PiT-Tiny on CIFAR-100 at 224 (RKKD Table 4, reported: 74.03).
_base_ = './kd_r56_deit-t-p16_adamw_1xb128-300e_cifar100.py'
model = dict(student=dict(cfg_path='mmkd::vanilla/pit-t_adamw_1xb128-300e_cifar100.py'))
