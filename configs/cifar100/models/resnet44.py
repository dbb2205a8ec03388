_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(type='resnet44'))
