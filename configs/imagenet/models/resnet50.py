_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(depth=50), in_channels=2048)
