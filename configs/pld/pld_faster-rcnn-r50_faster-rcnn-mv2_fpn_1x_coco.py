# PLD on RoI logits (C+1 columns; the RoI's label first, then the teacher's order). PLD replaces the RoI
# head's cross-entropy (its first rank is that CE term); RPN and box losses stay.
_base_ = '../_base_/distillers/faster_rcnn_coco.py'
model = dict(
    drop_student_losses=['loss_cls'],
    distill_losses=dict(loss_pld=dict(type='PLDLoss', tau=1.0, loss_weight=1.0)))
