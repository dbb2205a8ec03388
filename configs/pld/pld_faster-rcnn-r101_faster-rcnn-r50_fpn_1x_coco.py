# PLD Table 7: Faster R-CNN R-101-FPN teacher -> R-50-FPN student (mmdet's own R-50 config).
_base_ = './pld_faster-rcnn-r101_faster-rcnn-r18_fpn_1x_coco.py'
model = dict(student=dict(cfg_path='mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'))
