# PLD's ImageNet recipe (Sec. 5.2): LAMB, lr 5e-3 with 5 warm-up epochs and cosine decay, weight decay 0.02,
# batch 2048, 100 epochs. Where the paper is silent, as timm (which it used): no weight decay on norm layers,
# biases and the other one-dimensional or token parameters (a ViT's position embedding and class token,
# MobileNetV4's layer scales), the global gradient norm clipped to 1 inside LAMB, the warm-up from lr 1e-5, the
# cosine to 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LAMB', lr=5e-3, weight_decay=0.02),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'pos_embed': dict(decay_mult=0.0),
            'cls_token': dict(decay_mult=0.0),
            'layer_scale': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.002, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=0.0, by_epoch=True, begin=5, end=100, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# lr 5e-3 is for a total batch of 2048; --auto-scale-lr rescales it for another number of GPUs.
auto_scale_lr = dict(enable=False, base_batch_size=2048)
