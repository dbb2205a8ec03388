# make demo: KD + RKKD ('tanh', k = 1, weight = the KD weight) on the teacher's top anchors.
_base_ = '../kd/kd_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py'
model = dict(distill_losses=dict(loss_rkkd=dict(type='RKKDLoss', form='tanh', k=1.0, loss_weight=1.0)))
