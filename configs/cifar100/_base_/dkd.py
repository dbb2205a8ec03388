# DKD (Zhao et al. 2022): CE 1 + warm-up(20 epochs) * (alpha TCKD + beta NCKD), T = 4. Pair files set beta.
_base_ = './distill.py'
model = dict(
    distill_losses=dict(
        loss_dkd=dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=20, loss_weight=1.0)))
