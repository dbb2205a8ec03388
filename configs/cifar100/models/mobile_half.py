_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(type='mobile_half'))
optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 recipe
