# PLD Table 7: Faster R-CNN R-101-FPN teacher (mmdet's published 1x checkpoint, 39.4 box AP) -> R-18-FPN, the
# PLD recipe of the R-50 -> MobileNetV2 pair (the paper gives no schedule: mmdet's 1x).
_base_ = './pld_faster-rcnn-r50_faster-rcnn-mv2_fpn_1x_coco.py'
model = dict(
    student=dict(cfg_path='mmkd::faster_rcnn/faster-rcnn_r18_fpn_1x_coco.py'),
    teacher=dict(cfg_path='mmdet::faster_rcnn/faster-rcnn_r101_fpn_1x_coco.py'),
    teacher_ckpt='https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r101_fpn_1x_coco/'
    'faster_rcnn_r101_fpn_1x_coco_20200130-f513f705.pth')
