# MLKD (Jin et al., CVPR 2023): ResNet-32x4 -> ResNet-8x4 with the official recipe; the other pairs of RKKD
# Tables 1-2 inherit this file.
_base_ = '../_base_/distillers/cifar100_mlkd.py'
