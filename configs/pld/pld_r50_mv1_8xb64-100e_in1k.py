_base_ = './pld_r34_r18_8xb64-100e_in1k.py'
model = dict(
    teacher=dict(cfg_path='mmkd::vanilla/r50_8xb64-100e_in1k.py'),
    teacher_ckpt='data/imagenet_teachers/resnet50-0676ba61.pth',  # torchvision, 76.13 top-1
    student=dict(cfg_path='mmkd::vanilla/mv1_8xb64-100e_in1k.py'))
