# CIFAR-100 with two views of every training image, weak (crop + flip) and strong (crop + flip + MLKD's
# RandAugment and Cutout), stacked per sample ([2, 3, 32, 32]) for MLKD; validation and test use one view.
_base_ = './cifar100.py'

data_preprocessor = dict(type='MultiViewDataPreprocessor')  # the statistics of cifar100.py, for each view

weak_pipeline = [
    dict(type='RandomCropPad', size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackClsInputs'),
]
strong_pipeline = [
    dict(type='RandomCropPad', size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='FixMatchRandAugment', num_ops=2),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(
    dataset=dict(pipeline=[dict(type='StackViews', pipelines=[weak_pipeline, strong_pipeline])]))
