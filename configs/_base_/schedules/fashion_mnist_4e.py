# A short CPU-sized schedule: SGD 0.05, momentum 0.9, wd 5e-4, batch 128, 4 epochs, cosine decay per iteration.
max_epochs = 4
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=max_epochs, eta_min=0, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=128)
