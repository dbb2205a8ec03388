# Detection benchmark: KD + RKKD ('tanh', k = 1, weight = the KD weight) on every anchor.
_base_ = '../kd/kd_retinanet-mv2-wide_retinanet-mv2_fpn_6e_synthetic-coco-bench.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
