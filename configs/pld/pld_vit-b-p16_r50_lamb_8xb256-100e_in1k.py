# PLD on PLD's ImageNet recipe, ViT-B/16 -> ResNet-50 (PLD Table 3); the loss settings are those of the R152 -> R50
# config it inherits. Teacher weights: timm's vit_base_patch16_224.augreg2_in21k_ft_in1k (the Hugging Face hub's
# model.safetensors, saved under the name below; any checkpoint of the architecture in timm's layout loads: the paper
# does not say which it used). timm's ViT checkpoints expect images normalised with mean = std = 0.5: teacher_input
# re-normalises the student's batch (ImageNet mean/std) for the teacher.
_base_ = './pld_r152_r50_lamb_8xb256-100e_in1k.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/vit-b-p16_lamb_8xb256-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/vit_base_patch16_224.augreg2_in21k_ft_in1k.safetensors',
    teacher_input=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]))
