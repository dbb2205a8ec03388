# ImageNet as in PLD's recipe (Sec. 5.2, after timm's "ResNet strikes back"): random-resized crop + flip for
# training; bicubic resize of the short edge to 236 and a centre crop of 224 for evaluation. 8 GPUs x 256 = 2048.
_base_ = './imagenet.py'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortEdge', scale=236, interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(batch_size=256)
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
