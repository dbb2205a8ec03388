# ImageNet-1k (ILSVRC 2012) as class folders: data/imagenet/train/<wnid>/*.JPEG and data/imagenet/val/<wnid>/*.JPEG
# (or a "relative/path label" list per split: set ann_file). Standard recipe: RandomResizedCrop 224 + flip for
# training; resize the short edge to 256 and center-crop 224 for testing.
dataset_type = 'ImageNetDataset'
data_root = 'data/imagenet'

data_preprocessor = dict(
    type='ImgDataPreprocessor',
    mean=[123.675, 116.28, 103.53],  # torchvision ImageNet statistics (RGB)
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True)  # LoadImageFromFile reads BGR

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='InceptionCrop', size=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeShortEdge', scale=256),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackClsInputs'),
]

train_dataloader = dict(
    batch_size=64,  # per GPU: 8 GPUs x 64 = 512 (schedules/imagenet_100e.py)
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TopKAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
