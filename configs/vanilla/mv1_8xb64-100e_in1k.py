# MobileNet-V1 (mdistiller's module names).
_base_ = './r18_8xb64-100e_in1k.py'
model = dict(backbone=dict(_delete_=True, type='MobileNetV1'), in_channels=1024)
