# Teacher: mmdet's Faster R-CNN R50-FPN 1x (37.4 box AP). Its published checkpoint:
# https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth
_base_ = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
default_scope = 'mmkd'
