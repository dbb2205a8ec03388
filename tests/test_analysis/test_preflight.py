"""The pre-flight checks of mmkd.analysis.preflight on tiny models: each passes on a sound distiller and fails,
with its reason, on the fault it is there to catch."""
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement
from torch import nn

from mmkd.analysis.preflight import (check_alignment, check_teacher_loaded, check_term_gradients, check_zero_weights,
                                     run_checks, same_random_state, term_gradients, zero_distill_weights)
from mmkd.registry import MODELS
from tests.test_distillers.test_detection_distillers import batch, build_dense, build_roi, save_teacher

CLS_CONFIGS = {
    'kd_rkkd': 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py',
    'pld': 'configs/pld/pld_r32x4_r8x4_1xb64-240e_cifar100.py',
}


def build_cls(tmp_path, method='kd_rkkd'):
    cfg = Config.fromfile(CLS_CONFIGS[method]).model
    cfg.teacher['backbone'] = dict(arch='resnet8')
    cfg.student['backbone'] = dict(arch='resnet8')
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    return model


def cls_batch(model, num=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8) for _ in range(num)],
                data_samples=[BaseDataElement(gt_label=torch.tensor([int(i)]))
                              for i in torch.randint(0, 100, (num, ), generator=g)])
    return model.data_preprocessor(data, True)


@pytest.mark.parametrize('method', ['kd_rkkd', 'pld'])
def test_classification_distiller_passes_every_check(tmp_path, method):
    model = build_cls(tmp_path, method)
    data = cls_batch(model)
    checks = [check_teacher_loaded(model), check_alignment(model, data), check_zero_weights(model, data),
              check_term_gradients(model, data)]
    assert all(c.ok for c in checks), checks
    assert '8 rows x 100 classes' in checks[1].summary
    if method == 'pld':  # PLD replaces the cross-entropy: named as such, not compared
        assert "['loss_cls'] replaced" in checks[2].summary
    terms = {t.name: t for t in term_gradients(model, data)}
    assert set(terms) == ({'loss_pld'} if method == 'pld' else {'loss_cls', 'loss_kd', 'loss_rkkd'})
    for t in terms.values():
        assert t.value > 0 and t.grad_logits > 0 and t.grad_params > 0
    assert any(line.startswith('| loss_') for line in checks[3].details)


def test_term_gradients_are_the_gradients_of_each_term(tmp_path):
    model = build_cls(tmp_path)
    data = cls_batch(model)
    check_teacher_loaded(model)
    terms = {t.name: t for t in term_gradients(model, data)}
    # the same numbers by hand: the distiller's own loss, one backward per term
    with same_random_state(model):
        losses = model.loss(data['inputs'], data['data_samples'])
        for name in ('loss_cls', 'loss_kd'):
            model.zero_grad()
            losses[name].backward(retain_graph=True)
            norm = torch.stack([p.grad.norm() for p in model.student.parameters() if p.grad is not None]).norm()
            assert terms[name].grad_params == pytest.approx(norm.item(), rel=1e-5)
            assert terms[name].value == pytest.approx(losses[name].item(), rel=1e-6)
    model.zero_grad()


def test_zero_weight_check_catches_a_distiller_that_changes_the_student_losses(tmp_path, monkeypatch):
    model = build_cls(tmp_path)
    data = cls_batch(model)
    check_teacher_loaded(model)
    original = model.without_dropped
    monkeypatch.setattr(model, 'without_dropped', lambda losses: {k: v * 1.001 for k, v in original(losses).items()})
    check = check_zero_weights(model, data)
    assert not check.ok and 'loss_cls' in check.summary and 'does not reproduce the student alone' in check.summary


def test_zero_weight_check_catches_a_term_that_cannot_be_turned_off(tmp_path):
    model = build_cls(tmp_path)
    data = cls_batch(model)
    check_teacher_loaded(model)
    del model.distill_losses['loss_kd'].loss_weight
    check = check_zero_weights(model, data)
    assert not check.ok and "['loss_kd'] have no loss_weight" in check.summary


def test_zero_weight_check_restores_weights_rng_and_batchnorm(tmp_path):
    model = build_cls(tmp_path)
    data = cls_batch(model)
    check_teacher_loaded(model)
    bn = next(m for m in model.student.modules() if isinstance(m, nn.BatchNorm2d))
    stats, rng = bn.running_mean.clone(), torch.get_rng_state()
    assert check_zero_weights(model, data).ok
    assert [loss.loss_weight for loss in model.distill_losses.values()] == [0.9, 0.9]
    assert torch.equal(bn.running_mean, stats) and torch.equal(torch.get_rng_state(), rng)
    with zero_distill_weights(model):
        assert [loss.loss_weight for loss in model.distill_losses.values()] == [0.0, 0.0]


def test_teacher_checkpoint_is_loaded_strictly_whatever_the_config_says(tmp_path):
    model = build_cls(tmp_path)
    state = torch.load(model.teacher_ckpt, weights_only=False)['state_dict']
    state.pop(next(iter(state)))
    torch.save(dict(state_dict=state), str(tmp_path / 'partial.pth'))
    model.teacher_ckpt, model.teacher_strict = str(tmp_path / 'partial.pth'), False
    check = check_teacher_loaded(model)
    assert not check.ok and 'missing keys' in check.summary
    assert model.teacher_strict is False  # the config's setting is left as it was
    model.teacher_ckpt = str(tmp_path / 'nowhere.pth')
    assert 'does not exist' in check_teacher_loaded(model).summary


def test_dense_head_distiller_passes_and_misaligned_heads_fail(tmp_path):
    model = build_dense(tmp_path)
    data = batch(model, 4)
    checks = [check_alignment(model, data), check_zero_weights(model, data), check_term_gradients(model, data)]
    assert all(c.ok for c in checks), checks
    terms = {t.name: t for t in term_gradients(model, data)}
    assert set(terms) == {'loss_cls', 'loss_bbox', 'loss_kd', 'loss_rkkd'}
    assert terms['loss_bbox'].grad_logits == 0 and terms['loss_cls'].grad_logits > 0  # boxes are not class logits

    cfg = Config.fromfile('configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py').model
    cfg.teacher['bbox_head'] = dict(anchor_generator=dict(ratios=[1.0]))  # 3 anchors per location instead of 9
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    assert check_teacher_loaded(model).ok
    check = check_alignment(model, batch(model, 4))
    assert not check.ok and 'do not align' in check.summary and '3 anchors per location' in check.summary


def test_roi_head_distiller_passes(tmp_path):
    model = build_roi(tmp_path)
    data = batch(model, 80)
    checks = [check_alignment(model, data), check_zero_weights(model, data), check_term_gradients(model, data)]
    assert all(c.ok for c in checks), checks
    assert 'x 81 classes' in checks[0].summary  # the RoI head's background column is kept
    names = {t.name for t in term_gradients(model, data)}
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_kd', 'loss_rkkd'} <= names


def test_run_checks_stops_at_the_first_failure():
    from mmkd.analysis.preflight import Check
    seen = []
    ok = run_checks([lambda: Check('a', True, ''), lambda: Check('b', False, 'why'), lambda: Check('c', True, '')],
                    lambda i, n, c: seen.append((i, n, c.name)))
    assert not ok and seen == [(1, 3, 'a'), (2, 3, 'b')]
