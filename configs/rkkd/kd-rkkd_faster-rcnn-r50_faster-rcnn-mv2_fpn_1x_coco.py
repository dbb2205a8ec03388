# KD + RKKD: the Kendall ranking term on the same rows, gamma = the KD weight (1), k = 1.
_base_ = '../kd/kd_faster-rcnn-r50_faster-rcnn-mv2_fpn_1x_coco.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
