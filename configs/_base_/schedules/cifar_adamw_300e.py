# The recipe of RKKD Table 4's transformer students (RKKD App. A.2): AdamW, 300 epochs, lr 5e-4 with cosine decay
# to 5e-6, weight decay 0.05, batch 128 (set with the data). Where the paper is silent, as the official code it
# follows (tiny-transformers in logit-standardization-KD): AdamW betas (0.9, 0.999); 20 warm-up epochs from
# 5e-7 (warmup factor 0.001) inside timm's cosine over the whole run, stepped once per epoch (WarmupCosineLR);
# no weight decay on norm layers, biases, class tokens and position embeddings.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'cls_token': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.0)
        }))
param_scheduler = [
    dict(type='WarmupCosineLR', T_max=300, eta_min=5e-6, warmup=20, warmup_factor=1e-3, by_epoch=True, begin=0,
         end=300)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=128)
