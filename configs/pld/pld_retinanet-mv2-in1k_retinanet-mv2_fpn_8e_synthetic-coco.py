# make demo: PLD on the teacher's top anchors (background anchors ranked by the teacher alone), T = 1, next to the
# focal loss.
_base_ = '../_base_/distillers/retinanet_synthetic_coco_demo.py'
model = dict(distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
