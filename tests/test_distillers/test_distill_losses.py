"""Distillation losses of any registry: validated then built with MODELS.build (so ``_scope_`` works), called with
what their ``forward`` takes, and a weighting a loss cannot take refused when the model is built."""
import pytest
import torch
from torch import nn

from mmkd.distillers import LogitRows, build_distill_losses, compute_distill_losses
from mmkd.distillers.recorder import record_calls
from mmkd.registry import MODELS


@MODELS.register_module()
class _TestPairLoss(nn.Module):
    """Test-only: a loss that takes no weight and no labels."""

    def forward(self, pred, target):
        return (pred - target).abs().mean()


def rows(n=6, c=4, weight=False, labels=True):
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(n, c, generator=g), torch.randn(n, c, generator=g)
    y = torch.tensor([0, 1, -1, 2, 4, -1])[:n] if labels else None  # -1: ignored, 4 = C: no target class
    return LogitRows(s, t, y, torch.rand(n, generator=g) if weight else None)


def test_mmdet_losses_by_prefix_or_scope_get_row_weights_and_only_kept_rows():
    losses = build_distill_losses(dict(loss_l1=dict(type='mmdet.L1Loss', loss_weight=2.0),
                                       loss_ld=dict(type='KnowledgeDistillationKLDivLoss', T=2, _scope_='mmdet'),
                                       loss_kd=dict(type='KDLoss', tau=2.0)))
    assert type(losses['loss_l1']).__module__.startswith('mmdet.')
    assert type(losses['loss_ld']).__name__ == 'KnowledgeDistillationKLDivLoss'
    batch = rows(weight=True)
    with record_calls(losses['loss_l1'], 'forward') as l1, record_calls(losses['loss_kd'], 'forward') as kd:
        out = compute_distill_losses(losses, batch)
    keep = batch.labels != -1
    assert torch.equal(l1.only().arguments['pred'], batch.preds_S[keep])
    assert kd.only().arguments['gt_labels'] is batch.labels  # mmkd losses get every row and drop the ignored ones
    s, t, w = batch.preds_S[keep], batch.preds_T[keep], batch.weight[keep]
    # mmdet's semantics: L1Loss is element-wise (the row weight over each of its C values), the KD loss of LD
    # one value per row; both reduce with their own 'mean'
    torch.testing.assert_close(out['loss_l1'], 2.0 * ((s - t).abs() * w[:, None]).mean())
    kl = torch.nn.functional.kl_div((s / 2).log_softmax(1), (t / 2).softmax(1), reduction='none').mean(1) * 4
    torch.testing.assert_close(out['loss_ld'], (kl * w).mean())
    unweighted = compute_distill_losses(losses, rows())
    torch.testing.assert_close(unweighted['loss_ld'], kl.mean())


def test_a_loss_without_weight_or_labels_gets_the_pair_only():
    losses = build_distill_losses(dict(loss_pair=dict(type='_TestPairLoss')))
    batch = rows()
    keep = batch.labels != -1
    out = compute_distill_losses(losses, batch)
    torch.testing.assert_close(out['loss_pair'], (batch.preds_S[keep] - batch.preds_T[keep]).abs().mean())


@pytest.mark.parametrize('loss,message', [
    (dict(type='_TestPairLoss'), r'loss_x: _TestPairLoss.forward takes no weight argument \(with mmdet\'s '
     r'reduction_override\), but weight_by_teacher_score=True weights every row'),
    (dict(type='DISTLoss'), r'loss_x: DISTLoss cannot weight single rows'),
])
def test_a_weighting_a_loss_cannot_take_fails_at_build(loss, message):
    cfg = dict(type='DenseHeadDistiller', weight_by_teacher_score=True, distill_losses=dict(loss_x=loss),
               student=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'),
               teacher=dict(cfg_path='mmkd::retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'))
    with pytest.raises(TypeError, match=message):
        MODELS.build(cfg)
    cfg['weight_by_teacher_score'] = False
    assert MODELS.build(cfg).distill_losses['loss_x'] is not None
