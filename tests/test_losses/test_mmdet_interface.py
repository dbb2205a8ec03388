"""mmdet's loss interface on every mmkd loss: weight, avg_factor, reduction and reduction_override.

mmdet calls its losses as ``loss(pred, target, weight=None, avg_factor=None, reduction_override=None)`` and
normalises by ``avg_factor`` (e.g. the number of positive anchors); mmkd's losses accept that call next to
MMRazor's ``loss(preds_S, preds_T, gt_labels)``.
"""
import pytest
import torch
from mmdet.models.losses import KnowledgeDistillationKLDivLoss

from mmkd.losses import DISTLoss, KDLoss
from mmkd.registry import MODELS
from .test_logit_losses import make_inputs

ROW_LOSSES = [dict(type='KDLoss', tau=2.0), dict(type='DKDLoss', warmup_epochs=0), dict(type='PLDLoss', tau=2.0),
              dict(type='RKKDLoss'), dict(type='RKKDLoss', form='product', normalize='none')]
IDS = [cfg['type'] + ('-' + cfg['form'] if 'form' in cfg else '') for cfg in ROW_LOSSES]


def per_row(loss, s, t, y):
    """The loss of each row alone: the reference every reduction is checked against."""
    return torch.stack([loss(s[i:i + 1], t[i:i + 1], y[i:i + 1]) for i in range(len(s))])


@pytest.mark.parametrize('cfg', ROW_LOSSES, ids=IDS)
class TestReductions:

    def test_none_sum_and_avg_factor(self, cfg):
        s, t, y = make_inputs(6, 7)
        w = torch.tensor([1.0, 0.0, 2.0, 0.5, 3.0, 1.0], dtype=torch.float64)
        loss = MODELS.build(dict(cfg, loss_weight=0.5))
        rows = per_row(loss, s, t, y)
        torch.testing.assert_close(loss(s, t, y, reduction_override='none'), rows)
        torch.testing.assert_close(loss(s, t, y, weight=w, reduction_override='none'), rows * w)
        torch.testing.assert_close(loss(s, t, y, reduction_override='sum'), rows.sum())
        torch.testing.assert_close(loss(s, t, y, weight=w, avg_factor=2.5), (rows * w).sum() / 2.5)
        torch.testing.assert_close(loss(s, t, y, avg_factor=3.0), rows.sum() / 3.0)
        # the default is unchanged: the (weighted) mean over rows
        torch.testing.assert_close(loss(s, t, y), rows.mean())
        torch.testing.assert_close(loss(s, t, y, weight=w), (rows * w).sum() / w.sum())
        # reduction set in the config
        summed = MODELS.build(dict(cfg, loss_weight=0.5, reduction='sum'))
        torch.testing.assert_close(summed(s, t, y), rows.sum())
        with pytest.raises(ValueError, match='avg_factor can not be used with reduction="sum"'):
            summed(s, t, y, avg_factor=2.0)

    def test_none_keeps_the_input_rows(self, cfg):
        s, t, y = make_inputs(5, 4)
        y_ignored = y.clone()
        y_ignored[[1, 3]] = -1
        loss = MODELS.build(cfg)
        out = loss(s, t, y_ignored, reduction_override='none')
        assert out.shape == (5, ) and out[1] == 0 and out[3] == 0
        keep = y_ignored >= 0
        torch.testing.assert_close(out[keep], per_row(loss, s[keep], t[keep], y[keep]))
        empty = loss(s[:0], t[:0], y[:0], reduction_override='none')
        assert empty.shape == (0, )

    def test_mmdet_positional_weight(self, cfg):
        """loss(pred, target, weight): a floating-point third argument is the weight, as in mmdet's heads."""
        s, t, y = make_inputs(6, 5)
        w = torch.rand(6, dtype=torch.float64)
        loss = MODELS.build(cfg)
        if loss.needs_labels:
            with pytest.raises(ValueError, match='needs gt_labels'):
                loss(s, t, w)
            return
        torch.testing.assert_close(loss(s, t, w, avg_factor=2.0), loss(s, t, weight=w, avg_factor=2.0))
        torch.testing.assert_close(loss(s, t, w[:, None]), loss(s, t, weight=w))
        with pytest.raises(ValueError, match='but weight= is given too'):
            loss(s, t, w, weight=w)

    def test_bad_reduction_and_weight_shape(self, cfg):
        with pytest.raises(ValueError, match="reduction must be one of"):
            MODELS.build(dict(cfg, reduction='avg'))
        s, t, y = make_inputs(3, 4)
        with pytest.raises(ValueError, match=r'one value per row, shape \[3\], got \(3, 4\)'):
            MODELS.build(cfg)(s, t, y, weight=torch.ones(3, 4))
        with pytest.raises(ValueError, match='reduction must be one of'):
            MODELS.build(cfg)(s, t, y, reduction_override='max')


def test_dist_couples_rows_so_has_no_none_reduction():
    s, t, _ = make_inputs(8, 6)
    with pytest.raises(ValueError, match="couple the rows"):
        DISTLoss(reduction='none')
    with pytest.raises(ValueError, match="couple the rows"):
        DISTLoss()(s, t, reduction_override='none')
    mean = DISTLoss(tau=4.0)(s, t)
    torch.testing.assert_close(DISTLoss(tau=4.0, reduction='sum')(s, t), mean * 8)
    torch.testing.assert_close(DISTLoss(tau=4.0)(s, t, avg_factor=8.0), mean)
    torch.testing.assert_close(DISTLoss(tau=4.0)(s, t, avg_factor=2.0), mean * 4)


@pytest.mark.parametrize('temperature', [1, 10])
def test_kd_equals_mmdet_kd_kl_times_classes(temperature):
    """mmdet's KnowledgeDistillationKLDivLoss (LD) averages the KL over the C classes, mmkd's KDLoss sums it (as
    Hinton and mdistiller): with mmdet's weight and avg_factor the two differ exactly by the factor C."""
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(12, 17, generator=g), torch.randn(12, 17, generator=g) * 2
    w = torch.rand(12, generator=g)
    ours = KDLoss(tau=temperature, loss_weight=0.25)
    theirs = KnowledgeDistillationKLDivLoss(loss_weight=0.25, T=temperature)
    for kwargs in (dict(weight=w, avg_factor=4.0), dict(weight=w, reduction_override='sum'), dict()):
        torch.testing.assert_close(ours(s, t, **kwargs), 17 * theirs(s, t, **kwargs), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours(s, t, w, reduction_override='none'),
                               17 * theirs(s, t, w, reduction_override='none'), rtol=1e-5, atol=1e-6)
