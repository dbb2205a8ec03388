# DIST on PLD's ImageNet recipe, ViT-L/16 -> ViT-S/16 (PLD Table 2); the loss settings are those of the R152 -> R50
# config it inherits. Teacher weights: timm's vit_large_patch16_224.augreg_in21k_ft_in1k (the Hugging Face hub's
# model.safetensors, saved under the name below; any checkpoint of the architecture in timm's layout loads: the paper
# does not say which it used). timm's ViT checkpoints expect images normalised with mean = std = 0.5: teacher_input
# re-normalises the student's batch (ImageNet mean/std) for the teacher.
_base_ = './dist_r152_r50_lamb_8xb256-100e_in1k.py'
model = dict(
    student=dict(cfg_path='mmkd::vanilla/vit-s-p16_lamb_8xb256-100e_in1k.py'),
    teacher=dict(cfg_path='mmkd::vanilla/vit-l-p16_lamb_8xb256-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/vit_large_patch16_224.augreg_in21k_ft_in1k.safetensors',
    teacher_input=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]))
