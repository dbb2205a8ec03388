# DIST, MobileNetV4 Conv-Large -> Conv-Medium for 300 epochs (PLD Table 4).
_base_ = './dist_mnv4-conv-l_mnv4-conv-m_lamb_8xb256-100e_in1k.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=0.002, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=295, eta_min=0.0, by_epoch=True, begin=5, end=300, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=300)
