_base_ = '../_base_/classifier.py'
model = dict(backbone=dict(_delete_=True, type='MobileNetV1'), in_channels=1024)
