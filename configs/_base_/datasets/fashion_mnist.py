# Fashion-MNIST (60k train / 10k test, 28x28 grey, 10 classes) from the official IDX .gz files; the default
# folder is where the Debian package dataset-fashion-mnist installs them.
dataset_type = 'FashionMNISTDataset'
data_root = '/usr/share/datasets/fashion-mnist'

data_preprocessor = dict(type='ImgDataPreprocessor', mean=[72.94], std=[90.02])  # the training set's statistics

train_pipeline = [
    dict(type='RandomCropPad', size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
test_pipeline = [dict(type='PackClsInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=500,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='TopKAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
