# MobileNetV4 Conv-Medium trained alone with cross-entropy on PLD's ImageNet recipe (LAMB, 100 epochs, batch 2048): a
# student of PLD Tables 2 and 4 (the CE row of Table 4). The network has timm's state-dict layout, so timm's and
# Hugging Face's checkpoints of it load as they are.
_base_ = './r50_lamb_8xb256-100e_in1k.py'
model = dict(backbone=dict(_delete_=True, type='MobileNetV4', arch='conv-medium'), in_channels=None)
