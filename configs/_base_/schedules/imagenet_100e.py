# mdistiller ImageNet recipe: SGD 0.2, momentum 0.9, wd 1e-4, batch 512 (8 GPUs x 64), 100 epochs,
# x0.1 at 30/60/90.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60, 90], gamma=0.1)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# lr 0.2 is for a total batch of 512; --auto-scale-lr rescales it for another number of GPUs.
auto_scale_lr = dict(enable=False, base_batch_size=512)
