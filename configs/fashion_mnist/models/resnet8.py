# Student alone (the "CE" row): ResNet-8 on 1-channel 28x28 inputs (0.08 M parameters), 1 epoch.
_base_ = '../_base_/classifier.py'
