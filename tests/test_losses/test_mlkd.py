"""MLKD's three levels against a float64 re-derivation of the official code's forward_train (numpy, its
percentile masks and all), plus gradcheck and the contract of two-view rows."""
import pytest
import torch

from mmkd.losses import MLKDBatchLoss, MLKDClassLoss, MLKDInstanceLoss, mlkd_instance_loss
from mmkd.registry import MODELS
from . import reference as ref


def views(b=6, c=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(2 * b, c, generator=g, dtype=torch.float64) * 2
    t = torch.randn(2 * b, c, generator=g, dtype=torch.float64) * 3
    return s, t


@pytest.mark.parametrize('b,c', [(6, 9), (7, 5), (16, 100)])
def test_levels_match_the_official_forward(b, c):
    s, t = views(b, c)
    sw, ss = s.chunk(2)
    tw, ts = t.chunk(2)
    instance, class_level, batch_level = ref.mlkd_levels(sw.tolist(), tw.tolist(), ss.tolist(), ts.tolist())
    assert MLKDInstanceLoss(loss_weight=0.9)(s, t).item() == pytest.approx(0.9 * instance, rel=1e-9)
    assert MLKDClassLoss(loss_weight=0.9)(s, t).item() == pytest.approx(0.9 * class_level, rel=1e-9)
    assert MLKDBatchLoss(loss_weight=0.9)(s, t).item() == pytest.approx(0.9 * batch_level, rel=1e-9)


def test_strong_terms_on_the_strong_view_when_asked():
    s, t = views()
    official = mlkd_instance_loss(s, t)
    clean = mlkd_instance_loss(s, t, strong_terms_on_weak=())
    assert not torch.isclose(official, clean)
    swapped = mlkd_instance_loss(torch.cat(s.chunk(2)[::-1]), torch.cat(t.chunk(2)[::-1]), strong_terms_on_weak=())
    assert torch.isfinite(swapped)


@pytest.mark.parametrize('cls', [MLKDInstanceLoss, MLKDBatchLoss, MLKDClassLoss])
def test_gradcheck_and_contract(cls):
    s, t = views(4, 5)
    s.requires_grad_()
    loss = cls()
    assert torch.autograd.gradcheck(lambda x: loss(x, t), (s, ))
    with pytest.raises(ValueError, match='rows of two views'):
        loss(s[:7], t[:7])
    with pytest.raises(ValueError, match="reduction must be 'mean'"):
        cls(reduction='sum')
    with pytest.raises(ValueError, match='batch-level'):
        loss(s, t, weight=torch.ones(8, dtype=torch.float64))
    assert isinstance(MODELS.build(dict(type=cls.__name__)), cls)
