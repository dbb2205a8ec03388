# make demo: KD on the logits of the teacher's top anchors (T = 1).
_base_ = '../_base_/distillers/retinanet_synthetic_coco_demo.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0, loss_weight=1.0)))
