_base_ = './r18_8xb64-100e_in1k.py'
model = dict(backbone=dict(depth=34), in_channels=512)
