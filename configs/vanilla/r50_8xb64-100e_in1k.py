_base_ = './r18_8xb64-100e_in1k.py'
model = dict(backbone=dict(depth=50), in_channels=2048)
