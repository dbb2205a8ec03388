# Detection benchmark (CPU-sized): the RetinaNet ResNet-18-FPN teacher, from scratch, 18 epochs, on the
# generated shapes set at benchmark size (480 train / 120 val images, 4 classes; mmkd.datasets.synthetic_coco).
_base_ = '../demo/retinanet_r18_fpn_demo_teacher.py'

data_root = 'data/synthetic_coco_bench/'
max_epochs = 18
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs // 3)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[14, 17], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs // 3, max_keep_ckpts=1), logger=dict(interval=20))
