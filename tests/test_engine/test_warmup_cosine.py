"""``WarmupCosineLR`` against timm's ``CosineLRScheduler``: the values below are what timm 1.0.31 sets for the RKKD
Table 4 recipe (``CosineLRScheduler(opt, t_initial=300, lr_min=5e-6, warmup_t=20, warmup_lr_init=5e-7)`` at base lr
5e-4, ``step(epoch)``), recorded once in an environment with timm. Also: the schedule through MMEngine's runner
machinery (epoch- and iteration-based), and resume."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from mmkd.registry import PARAM_SCHEDULERS

#: epoch -> timm's learning rate
TIMM = {0: 5e-07, 1: 2.5475000000000003e-05, 10: 0.00025025000000000004, 19: 0.00047502500000000007,
        20: 0.0004945915311816169, 21: 0.00049403939857984, 100: 0.00037625, 150: 0.0002525,
        299: 5.013570582035745e-06}
RECIPE = dict(type='WarmupCosineLR', T_max=300, eta_min=5e-6, warmup=20, warmup_factor=1e-3, by_epoch=True,
              begin=0, end=300)


def optimizer(lr=5e-4):
    return OptimWrapper(torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=lr))


def build(cfg, optim, **kwargs):
    init_default_scope('mmkd')
    return PARAM_SCHEDULERS.build(dict(cfg, optimizer=optim, **kwargs))


def test_equals_timm_per_epoch():
    optim = optimizer()
    scheduler = build(RECIPE, optim)
    lrs = []
    for _ in range(300):  # the value in force during each epoch, then the end-of-epoch step
        lrs.append(optim.param_groups[0]['lr'])
        scheduler.step()
    for epoch, lr in TIMM.items():
        assert lrs[epoch] == pytest.approx(lr, rel=1e-12), epoch


def test_iteration_based_conversion_reaches_the_same_values_at_epoch_starts():
    optim = optimizer()
    cfg = {k: v for k, v in RECIPE.items() if k != 'type'}
    scheduler = PARAM_SCHEDULERS.get('WarmupCosineLR').build_iter_from_epoch(optim, epoch_length=4, **cfg)
    lrs = []
    for _ in range(300 * 4):
        lrs.append(optim.param_groups[0]['lr'])
        scheduler.step()
    for epoch, lr in TIMM.items():
        assert lrs[epoch * 4] == pytest.approx(lr, rel=1e-12), epoch
    assert lrs[1] > lrs[0] and lrs[20 * 4 + 1] < lrs[20 * 4]  # smooth within an epoch


def test_resume_continues_the_schedule():
    optim = optimizer()
    scheduler = build(RECIPE, optim)
    for _ in range(120):
        scheduler.step()
    state = scheduler.state_dict()
    optim2 = optimizer()
    optim2.param_groups[0]['lr'] = optim.param_groups[0]['lr']
    resumed = build(RECIPE, optim2)
    resumed.load_state_dict(state)
    for _ in range(30):
        scheduler.step()
        resumed.step()
    assert optim2.param_groups[0]['lr'] == optim.param_groups[0]['lr']
    assert optim.param_groups[0]['lr'] == pytest.approx(5e-6 + (5e-4 - 5e-6) * (1 + torch.cos(
        torch.tensor(150 / 300 * torch.pi, dtype=torch.float64)).item()) / 2, rel=1e-12)


def test_bad_settings():
    with pytest.raises(ValueError, match='warmup must be in'):
        build(dict(RECIPE, warmup=300), optimizer())
    with pytest.raises(ValueError, match='give T_max or a finite end'):
        build(dict(type='WarmupCosineLR', warmup=2), optimizer())
