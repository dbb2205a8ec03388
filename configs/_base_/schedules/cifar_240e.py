# mdistiller / RepDistiller CIFAR-100 recipe: SGD 0.05 (0.01 for ShuffleNet / MobileNetV2 students),
# momentum 0.9, wd 5e-4, batch 64, 240 epochs, x0.1 at 150/180/210.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=240, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=64)
