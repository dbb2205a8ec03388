# KD on PLD's CIFAR-100 recipe; PLD does not give KD's weights, so mdistiller's: CE 0.1 + KD 0.9, T = 4.
# ResNet-32x4 -> ResNet-8x4; the other pairs of PLD Table 1 inherit this file.
_base_ = '../_base_/distillers/cifar100_adamw.py'
model = dict(
    student=dict(loss_cls=dict(loss_weight=0.1)),
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0, loss_weight=0.9)))
