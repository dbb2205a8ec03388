# DKD + RKKD: the Kendall ranking term on the same rows, gamma = the DKD weight (1), k = 1.
_base_ = '../dkd/dkd_retinanet-r50_retinanet-mv2_fpn_1x_coco.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
