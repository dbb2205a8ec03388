# CIFAR-100 from the official python pickles: put cifar-100-python/ under data/cifar100/.
dataset_type = 'CIFAR100Dataset'
data_root = 'data/cifar100'

data_preprocessor = dict(
    type='ImgDataPreprocessor',
    mean=[129.304, 124.070, 112.434],  # RepDistiller / mdistiller CIFAR-100 statistics (RGB)
    std=[68.170, 65.392, 70.418],
    bgr_to_rgb=False)

train_pipeline = [
    dict(type='RandomCropPad', size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TopKAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
