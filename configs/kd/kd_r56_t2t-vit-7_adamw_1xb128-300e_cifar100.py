# KD, ResNet-56 -> T2T-ViT-7 on CIFAR-100 at 224 (RKKD Table 4, reported: 71.72).
_base_ = './kd_r56_deit-t-p16_adamw_1xb128-300e_cifar100.py'
model = dict(student=dict(cfg_path='mmkd::vanilla/t2t-vit-7_adamw_1xb128-300e_cifar100.py'))
