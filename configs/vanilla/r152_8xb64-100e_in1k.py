# ResNet-152: the teacher of PLD's ImageNet tables (torchvision's or timm's checkpoints load as they are).
_base_ = './r18_8xb64-100e_in1k.py'
model = dict(backbone=dict(depth=152), in_channels=2048)
