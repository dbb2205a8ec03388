# ViT-L/16 trained alone with cross-entropy on PLD's ImageNet recipe (LAMB, 100 epochs, batch 2048): a teacher of PLD
# Tables 2 and 3. The network has timm's state-dict layout, so timm's and Hugging Face's checkpoints of it load as
# they are.
_base_ = './r50_lamb_8xb256-100e_in1k.py'
model = dict(
    backbone=dict(_delete_=True, type='ViT', arch='large', patch_size=16),
    in_channels=None,
    init_cfg=dict(type='TruncNormal', std=0.02, bias=0., override=dict(name='fc')))  # timm's init of the classifier
