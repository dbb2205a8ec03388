# KD on RKKD Table 4's setting, ResNet-56 -> DeiT-Tiny on CIFAR-100 at 224 (reported: 71.11): CE weight beta = 1 and
# KD weight alpha = 1 (RKKD App. A.2). The paper does not give the temperature: 2, the KD temperature of the
# official code it follows. That code adds a distillation token to DeiT when it distils logits; mmkd distils the
# class token's logits of every student alike (the paper describes no distillation token). The other students
# inherit this file.
_base_ = '../_base_/distillers/cifar100_224px.py'
model = dict(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=2.0, loss_weight=1.0)))
