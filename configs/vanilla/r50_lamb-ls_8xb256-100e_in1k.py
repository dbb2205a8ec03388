# The label-smoothing baseline of PLD Table 5: cross-entropy against (1 - 0.1) one-hot + 0.1 / C.
_base_ = './r50_lamb_8xb256-100e_in1k.py'
model = dict(loss_cls=dict(_delete_=True, type='LabelSmoothingCrossEntropyLoss', label_smoothing=0.1))
