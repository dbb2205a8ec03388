# make demo, the teacher: the student's RetinaNet MobileNetV2-FPN (same head, anchors and FPN strides, so the logits
# align anchor by anchor) with an ImageNet-initialised backbone (torchvision's weights, converted by tools/demo.py
# or tools/model_converters/mobilenetv2_torchvision_to_mmdet.py), trained 12 epochs.
_base_ = './retinanet_mv2_fpn_12e_synthetic-coco.py'

model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='data/pretrained/mobilenet_v2_mmdet.pth')))
train_cfg = dict(val_interval=3)
