# Detection benchmark: KD on the logits of every anchor (T = 1).
_base_ = '../_base_/distillers/retinanet_synthetic_coco_bench.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
