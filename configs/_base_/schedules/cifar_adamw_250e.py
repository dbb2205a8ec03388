# PLD's CIFAR-100 recipe (PLD Sec. 5.1, Table 1): AdamW (0.9, 0.999), lr 1e-3 with cosine decay, weight decay 0.5,
# 250 epochs, batch 128 (set with the data: train_dataloader.batch_size). The paper does not give the cosine's
# floor: 0, per iteration.
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.5))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max=250, eta_min=0.0, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=250, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=128)
