# CIFAR-100 for the vision-transformer students of RKKD Table 4, as the official code of that table prepares it
# (tiny-transformers in logit-standardization-KD: timm's create_transform): the 32 x 32 images are random-resized
# cropped to 224 (bicubic, Pillow), flipped, augmented with timm's RandAugment 'rand-m9-mstd0.5-inc1' (timm skips
# the colour jitter it is also given when RandAugment is on) and erased with probability 0.25 (pixel mode), and
# normalised with ImageNet's mean and std; evaluation resizes them to 224 x 224 (bilinear, Pillow).
# Put cifar-100-python/ under data/cifar100/.
_base_ = './cifar100.py'

mean = [123.675, 116.28, 103.53]  # timm's IMAGENET_DEFAULT_MEAN / STD x 255 (RGB)
std = [58.395, 57.12, 57.375]
data_preprocessor = dict(type='ImgDataPreprocessor', mean=mean, std=std, bgr_to_rgb=False)

train_pipeline = [
    dict(type='InceptionCrop', size=224, interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='TimmRandAugment', config_str='rand-m9-mstd0.5-inc1', img_mean=(124, 116, 104),
         interpolation='bicubic'),
    dict(type='TimmRandomErasing', prob=0.25, mode='pixel', mean=mean, std=std),
    dict(type='PackClsInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=(224, 224), keep_ratio=False, interpolation='bilinear', backend='pillow'),
    dict(type='PackClsInputs'),
]
train_dataloader = dict(batch_size=128, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=200, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
