"""Dense-head (RetinaNet) and RoI-head (Faster R-CNN) distillers on tiny CPU inputs."""
import copy

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmkd.distillers import RoIHeadDistiller
from mmkd.registry import MODELS

DEMO_DISTILL = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
FRCNN_DISTILL = 'configs/rkkd/kd-rkkd_faster-rcnn-r50_faster-rcnn-mv2_fpn_1x_coco.py'
SMALL_R18 = dict(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]))


def batch(model, num_classes, sizes=((3, 96, 128), (3, 128, 96)), num_items=(3, 2)):
    packed = demo_mm_inputs(batch_size=len(sizes), image_shapes=list(sizes), num_items=list(num_items),
                            num_classes=num_classes)
    return model.data_preprocessor(packed, True)


def save_teacher(distiller, tmp_path):
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=distiller.teacher.state_dict()), path)
    return path


def build_dense(tmp_path, **overrides):
    cfg = Config.fromfile(DEMO_DISTILL).model
    for key, value in overrides.items():
        cfg[key] = value
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    model.init_weights()
    return model


def build_roi(tmp_path, **overrides):
    cfg = Config.fromfile(FRCNN_DISTILL).model
    cfg.student['backbone'] = dict(init_cfg=None)
    cfg.teacher.update(SMALL_R18)
    for key, value in overrides.items():
        cfg[key] = value
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    model.init_weights()
    return model


@pytest.fixture(scope='module')
def dense(tmp_path_factory):
    return build_dense(tmp_path_factory.mktemp('dense'))


@pytest.fixture(scope='module')
def roi(tmp_path_factory):
    return build_roi(tmp_path_factory.mktemp('roi'))


def assert_distill_grads_on_student_only(model, losses, names):
    for name in names:
        model.zero_grad()
        for p in model.teacher.parameters():
            assert p.grad is None and not p.requires_grad
        losses[name].backward(retain_graph=True)
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.parameters()), name
        assert all(p.grad is None for p in model.teacher.parameters()), name


def test_dense_losses_finite_and_logged_separately(dense):
    dense.train()
    data = batch(dense, 4)
    losses = dense(**data, mode='loss')
    assert {'loss_cls', 'loss_bbox', 'loss_kd', 'loss_rkkd'} <= set(losses)
    for name, value in losses.items():
        values = value if isinstance(value, list) else [value]
        assert all(torch.isfinite(v).all() for v in values), name
    assert_distill_grads_on_student_only(dense, losses, ['loss_kd', 'loss_rkkd'])


def test_teacher_never_changes_and_stays_in_eval(dense):
    dense.train()
    assert not dense.teacher.training
    assert not any(m.training for m in dense.teacher.modules())
    before = copy.deepcopy(dense.teacher.state_dict())
    optim = torch.optim.SGD(dense.parameters(), lr=0.1)
    for _ in range(2):
        losses = dense(**batch(dense, 4), mode='loss')
        total = sum(v if not isinstance(v, list) else sum(v) for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        total.backward()
        optim.step()
    after = dense.teacher.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN statistics
    assert not any(id(p) in {id(q) for q in dense.teacher.parameters()} for p in dense.parameters())
    assert not any(k.startswith('teacher') for k in dense.state_dict())


def test_image_without_gt_gives_finite_losses(dense):
    dense.train()
    data = batch(dense, 4, num_items=(0, 0))
    losses = dense(**data, mode='loss')
    for name, value in losses.items():
        values = value if isinstance(value, list) else [value]
        assert all(torch.isfinite(v).all() for v in values), name


@pytest.mark.parametrize('selection,extra', [('positive', {}), ('topk', dict(topk=20)),
                                             ('all', dict(weight_by_teacher_score=True, background='ignore'))])
def test_anchor_selection_modes(tmp_path, selection, extra):
    model = build_dense(tmp_path, anchor_selection=selection, distill_losses=dict(
        loss_pld=dict(type='PLDLoss'), loss_dkd=dict(type='DKDLoss', warmup_epochs=0)), **extra)
    losses = model(**batch(model, 4), mode='loss')
    assert torch.isfinite(losses['loss_pld']) and torch.isfinite(losses['loss_dkd'])


def test_select_anchors_semantics(dense):
    logits_S = torch.randn(2, 5, 3)
    logits_T = torch.randn(2, 5, 3)
    labels = torch.tensor([[3, 0, 3, 2, 3], [3, 3, 1, 3, 3]])  # 3 = background (num_classes)
    dense.anchor_selection, dense.background = 'positive', 'no_target'
    s, t, y, w = dense.select_anchors(logits_S, logits_T, labels)[:4]
    assert y.tolist() == [0, 2, 1] and w is None
    dense.anchor_selection, dense.background = 'all', 'ignore'
    s, t, y, w = dense.select_anchors(logits_S, logits_T, labels)[:4]
    assert len(y) == 10 and (y == -1).sum() == 7
    dense.anchor_selection, dense.topk = 'topk', 2
    s, t, y, w = dense.select_anchors(logits_S, logits_T, labels)[:4]
    top = logits_T.max(-1).values.topk(2, dim=1).indices
    assert torch.equal(t, logits_T[torch.arange(2)[:, None], top.sort(1).values].reshape(-1, 3))
    dense.anchor_selection, dense.background = 'all', 'no_target'


def test_misaligned_heads_fail_with_levels_anchors_classes(tmp_path):
    cfg = Config.fromfile(DEMO_DISTILL).model
    cfg.teacher['bbox_head'] = dict(anchor_generator=dict(ratios=[1.0]))  # 3 anchors per location instead of 9
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    model.init_weights()
    with pytest.raises(ValueError, match=r'do not align.*9 anchors per location.*3 anchors per location'):
        model(**batch(model, 4), mode='loss')


def test_wrong_detector_kind_is_rejected():
    cfg = Config.fromfile(FRCNN_DISTILL).model
    cfg.type = 'DenseHeadDistiller'
    for key in ('roi_selection', 'background_column'):
        cfg.pop(key)
    with pytest.raises(TypeError, match='RoIHeadDistiller for two-stage'):
        MODELS.build(cfg)


def test_predict_and_state_dict_are_the_students(dense):
    dense.eval()
    data = batch(dense, 4)
    with torch.no_grad():
        preds = dense(**data, mode='predict')
    assert len(preds) == 2 and hasattr(preds[0], 'pred_instances')
    assert set(dense.state_dict()) == set(dense.student.state_dict())


def test_roi_distiller_losses(roi):
    assert isinstance(roi, RoIHeadDistiller)
    roi.train()
    losses = roi(**batch(roi, 80), mode='loss')
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_kd', 'loss_rkkd'} <= set(losses)
    assert all(torch.isfinite(v).all() for k, v in losses.items() if not isinstance(v, list))
    assert_distill_grads_on_student_only(roi, losses, ['loss_kd', 'loss_rkkd'])


def test_roi_teacher_sees_the_student_rois(roi, monkeypatch):
    seen = {}
    original_S, original_T = roi.student.roi_head._bbox_forward, roi.teacher.roi_head._bbox_forward

    def spy(key, fn):
        def wrapped(x, rois):
            seen[key] = rois.clone()
            return fn(x, rois)
        return wrapped

    monkeypatch.setattr(roi.student.roi_head, '_bbox_forward', spy('S', original_S))
    monkeypatch.setattr(roi.teacher.roi_head, '_bbox_forward', spy('T', original_T))
    roi.train()
    roi(**batch(roi, 80), mode='loss')
    assert torch.equal(seen['S'], seen['T'])


@pytest.mark.parametrize('overrides', [
    dict(background_column='drop', roi_selection='positive'),
    dict(drop_student_losses=['loss_cls'], distill_losses=dict(loss_pld=dict(type='PLDLoss'))),
])
def test_roi_options(tmp_path, overrides):
    model = build_roi(tmp_path, **overrides)
    losses = model(**batch(model, 80), mode='loss')
    if 'drop_student_losses' in overrides:
        assert 'loss_cls' not in losses and torch.isfinite(losses['loss_pld'])
    else:
        assert torch.isfinite(losses['loss_kd'])


@pytest.mark.parametrize('base', ['mmdet::atss/atss_r50_fpn_1x_coco.py', 'mmdet::gfl/gfl_r50_fpn_1x_coco.py',
                                  'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'])
def test_other_dense_heads_by_the_same_code(tmp_path, base):
    small = dict(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]),
                 bbox_head=dict(num_classes=4))
    cfg = dict(type='DenseHeadDistiller', student=dict(cfg_path=base, **small), teacher=dict(cfg_path=base, **small),
               distill_losses=dict(loss_pld=dict(type='PLDLoss'), loss_rkkd=dict(type='RKKDLoss')))
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    model.init_weights()
    model.train()
    losses = model(**batch(model, 4), mode='loss')
    assert torch.isfinite(losses['loss_pld']) and torch.isfinite(losses['loss_rkkd'])
    assert_distill_grads_on_student_only(model, losses, ['loss_pld'])


@pytest.mark.parametrize('student,teacher', [
    ('mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', 'mmdet::rtmdet/rtmdet_s_8xb32-300e_coco.py'),
    ('mmdet::yolox/yolox_tiny_8xb8-300e_coco.py', 'mmdet::yolox/yolox_s_8xb8-300e_coco.py'),
])
def test_rtmdet_and_yolox_heads(tmp_path, student, teacher):
    """RTMDet (get_targets) and YOLOX (assigned image by image, no get_targets): the positives the distiller
    selects are exactly the head's own foreground priors, with their gt labels."""
    from mmengine.logging import MessageHub
    MessageHub.get_current_instance().update_info('iter', 0)  # YOLOX's batch resize reads the iteration
    small = dict(backbone=dict(init_cfg=None), bbox_head=dict(num_classes=4))
    cfg = dict(type='DenseHeadDistiller', student=dict(cfg_path=student, **small),
               teacher=dict(cfg_path=teacher, **small), anchor_selection='positive',
               distill_losses=dict(loss_pld=dict(type='PLDLoss'), loss_rkkd=dict(type='RKKDLoss')))
    model = MODELS.build(cfg)
    model.teacher_ckpt = save_teacher(model, tmp_path)
    model.init_weights()
    model.train()
    data = batch(model, 4, sizes=((3, 128, 128), (3, 128, 128), (3, 96, 96)), num_items=(3, 2, 0))
    head = model.student.bbox_head
    name = '_get_targets_single' if 'yolox' in student else 'get_targets'
    from mmkd.distillers.recorder import record_calls
    with record_calls(head, name) as targets:
        losses, rows = model.student_loss_and_rows(data['inputs'], data['data_samples'])
    if 'yolox' in student:  # foreground masks and IoU-aware one-hot targets of each image
        fg = torch.cat([c.result[0] for c in targets.calls])
        expected = torch.cat([c.result[1].argmax(-1) for c in targets.calls])
    else:
        labels = torch.cat([t.reshape(len(data['inputs']), -1) for t in targets.only().result[1]], dim=1).flatten()
        fg = labels < 4
        expected = labels[fg]
    assert fg.sum() > 0 and rows.preds_S.shape == (int(fg.sum()), 4)
    assert torch.equal(rows.labels, expected)
    out = model(**data, mode='loss')
    assert torch.isfinite(out['loss_pld']) and torch.isfinite(out['loss_rkkd'])
    assert_distill_grads_on_student_only(model, out, ['loss_pld'])
