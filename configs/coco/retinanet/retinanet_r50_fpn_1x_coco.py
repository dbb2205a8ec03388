# Teacher: mmdet's RetinaNet R50-FPN 1x (36.5 box AP). Its published checkpoint:
# https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
default_scope = 'mmkd'
