# DIST on PLD's ImageNet recipe, MobileNetV4 Conv-Large -> ResNet-50 (PLD Table 3); the loss settings are those of the
# R152 -> R50 config it inherits. Teacher weights: timm's mobilenetv4_conv_large.e600_r384_in1k (the Hugging Face hub's
# model.safetensors, saved under the name below; any checkpoint of the architecture in timm's layout loads: the
# paper does not say which it used).
_base_ = './dist_r152_r50_lamb_8xb256-100e_in1k.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/mnv4-conv-l_lamb_8xb256-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/mobilenetv4_conv_large.e600_r384_in1k.safetensors')
