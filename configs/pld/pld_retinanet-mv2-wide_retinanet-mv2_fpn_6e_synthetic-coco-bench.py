# Detection benchmark: PLD on every anchor (background anchors ranked by the teacher alone), T = 1.
_base_ = '../_base_/distillers/retinanet_synthetic_coco_bench.py'
model = dict(distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
