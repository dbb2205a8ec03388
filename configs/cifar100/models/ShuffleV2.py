_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(type='ShuffleV2'))
optim_wrapper = dict(optimizer=dict(lr=0.01))  # ShuffleNet / MobileNetV2 recipe
