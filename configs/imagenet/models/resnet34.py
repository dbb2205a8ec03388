_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(depth=34), in_channels=512)
