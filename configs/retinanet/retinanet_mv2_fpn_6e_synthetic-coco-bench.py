# Detection benchmark (CPU-sized), the student alone: RetinaNet MobileNetV2-FPN with a light head (64 channels,
# 2 convs), ImageNet-initialised (torchvision weights converted by
# tools/model_converters/mobilenetv2_torchvision_to_mmdet.py), 6 epochs on the generated shapes set at benchmark
# size (480 train / 120 val images, 4 classes; mmkd.datasets.synthetic_coco).
_base_ = './retinanet_mv2_fpn_12e_synthetic-coco.py'

data_root = 'data/synthetic_coco_bench/'
max_epochs = 6
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mobilenet_v2_mmdet.pth')))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 2)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[4, 5], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1), logger=dict(interval=20))
