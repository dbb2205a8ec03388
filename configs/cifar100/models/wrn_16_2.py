_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(type='wrn_16_2'))
