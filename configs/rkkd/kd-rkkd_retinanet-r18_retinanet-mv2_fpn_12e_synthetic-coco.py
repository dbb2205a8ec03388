# The student distilled from the R18 teacher with KD + RKKD on the per-anchor classification logits (tests).
_base_ = '../kd/kd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
