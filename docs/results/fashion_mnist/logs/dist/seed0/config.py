auto_scale_lr = dict(base_batch_size=128, enable=False)
custom_hooks = [
    dict(type='EvalTeacherHook'),
]
data_preprocessor = dict(
    mean=[
        72.94,
    ], std=[
        90.02,
    ], type='ImgDataPreprocessor')
data_root = '/usr/share/datasets/fashion-mnist'
dataset_type = 'FashionMNIST'
default_hooks = dict(
    checkpoint=dict(
        interval=1, max_keep_ckpts=1, save_best='auto', type='CheckpointHook'),
    logger=dict(interval=100, type='LoggerHook'),
    param_scheduler=dict(type='ParamSchedulerHook'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    timer=dict(type='IterTimerHook'))
default_scope = 'mmkd'
env_cfg = dict(
    cudnn_benchmark=True,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
launcher = 'none'
load_from = None
log_level = 'INFO'
log_processor = dict(by_epoch=True, type='LogProcessor', window_size=50)
max_epochs = 1
model = dict(
    distill_losses=dict(
        loss_dist=dict(
            beta=2.0, gamma=2.0, loss_weight=1.0, tau=4.0, type='DISTLoss')),
    student=dict(
        backbone=dict(in_channels=1, type='resnet8'),
        data_preprocessor=dict(
            mean=[
                72.94,
            ], std=[
                90.02,
            ], type='ImgDataPreprocessor'),
        num_classes=10,
        type='ImageClassifier'),
    student_losses=dict(
        loss_cls=dict(loss_weight=1.0, type='CrossEntropyLoss')),
    teacher=dict(
        backbone=dict(in_channels=1, type='resnet20'),
        num_classes=10,
        type='ImageClassifier'),
    teacher_ckpt='work_dirs/fashion_mnist/teacher/epoch_4.pth',
    type='ClassificationDistiller')
optim_wrapper = dict(
    optimizer=dict(lr=0.05, momentum=0.9, type='SGD', weight_decay=0.0005),
    type='OptimWrapper')
param_scheduler = [
    dict(
        T_max=1,
        by_epoch=True,
        convert_to_iter_based=True,
        eta_min=0,
        type='CosineAnnealingLR'),
]
randomness = dict(deterministic=False, seed=0)
resume = False
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=500,
    dataset=dict(
        data_root='../shared/data/fashion-mnist',
        pipeline=[
            dict(type='PackClsInputs'),
        ],
        split='test',
        type='FashionMNIST'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=False, type='DefaultSampler'))
test_evaluator = dict(
    topk=(
        1,
        5,
    ), type='Accuracy')
test_pipeline = [
    dict(type='PackClsInputs'),
]
train_cfg = dict(max_epochs=1, type='EpochBasedTrainLoop', val_interval=1)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(
        data_root='../shared/data/fashion-mnist',
        pipeline=[
            dict(padding=2, size=28, type='RandomCropPad'),
            dict(direction='horizontal', prob=0.5, type='RandomFlip'),
            dict(type='PackClsInputs'),
        ],
        split='train',
        type='FashionMNIST'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=True, type='DefaultSampler'))
train_pipeline = [
    dict(padding=2, size=28, type='RandomCropPad'),
    dict(direction='horizontal', prob=0.5, type='RandomFlip'),
    dict(type='PackClsInputs'),
]
val_cfg = dict(type='ValLoop')
val_dataloader = dict(
    batch_size=500,
    dataset=dict(
        data_root='../shared/data/fashion-mnist',
        pipeline=[
            dict(type='PackClsInputs'),
        ],
        split='test',
        type='FashionMNIST'),
    num_workers=2,
    persistent_workers=True,
    sampler=dict(shuffle=False, type='DefaultSampler'))
val_evaluator = dict(
    topk=(
        1,
        5,
    ), type='Accuracy')
vis_backends = [
    dict(type='LocalVisBackend'),
]
visualizer = dict(
    type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'),
    ])
work_dir = 'work_dirs/fashion_mnist/dist/seed0'
