"""No host synchronisation in the loss path: during a distiller's training step, nothing in mmkd's losses and
distillers converts a tensor to a Python value (``__bool__``, ``item``, ``tolist``, ``__int__``, ``__float__``,
counted by patching); the checks (finite logits, labels in range) are gathered on the device and read once, at the
end of the step, with the same clear errors. On a GPU the distillation losses run under
``torch.cuda.set_sync_debug_mode('error')``."""
import os.path as osp
import sys
from collections import Counter
from contextlib import contextmanager

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

import mmkd
from mmkd.distillers import LogitRows, compute_distill_losses
from mmkd.losses.checks import deferred_checks
from mmkd.registry import MODELS
from .test_detection_distillers import batch, build_dense

PACKAGE = osp.dirname(mmkd.__file__)
WATCHED = tuple(osp.join(PACKAGE, folder) + osp.sep for folder in ('losses', 'distillers'))
CONVERSIONS = ('__bool__', 'item', 'tolist', '__int__', '__float__')
CLASSIFICATION_LOSSES = dict(
    loss_kd=dict(type='KDLoss', tau=4.0),
    loss_dkd=dict(type='DKDLoss', warmup_epochs=0),
    loss_pld=dict(type='PLDLoss', tau=4.0),
    loss_rkkd=dict(type='RKKDLoss'),
    loss_dist=dict(type='DISTLoss'))


@contextmanager
def count_conversions():
    """Count the tensor-to-Python conversions whose caller is a file of mmkd/losses or mmkd/distillers."""
    calls = Counter()
    originals = {name: getattr(torch.Tensor, name) for name in CONVERSIONS}

    def watch(name):
        original = originals[name]

        def wrapper(self, *args, **kwargs):
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith(WATCHED):
                calls[(name, osp.relpath(caller, PACKAGE))] += 1
            return original(self, *args, **kwargs)

        return wrapper

    for name in CONVERSIONS:
        setattr(torch.Tensor, name, watch(name))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


def classification_distiller():
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
    model = MODELS.build(
        dict(type='ClassificationDistiller', student=net, teacher=net,
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3),
             distill_losses=CLASSIFICATION_LOSSES))
    model.teacher_loaded = True  # random teacher weights: only the computation matters here
    return model


def classification_batch():
    torch.manual_seed(0)
    return dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(6)],
                data_samples=[BaseDataElement(gt_label=torch.tensor([i % 10])) for i in range(6)])


def test_checks_are_not_read_in_the_loss_path_of_a_classification_step():
    model = classification_distiller()
    data = model.data_preprocessor(classification_batch(), True)
    with count_conversions() as calls, deferred_checks() as checks:
        losses = model.loss(**data)
        sum(losses.values()).backward()
    assert dict(calls) == {}
    assert set(losses) >= set(CLASSIFICATION_LOSSES) and len(checks.checks) >= 2 * len(CLASSIFICATION_LOSSES)
    assert checks.first_failure() is None


@pytest.mark.parametrize('selection', ['all', 'topk'])
def test_checks_are_not_read_in_the_loss_path_of_a_detection_step(selection, tmp_path):
    model = build_dense(tmp_path, anchor_selection=selection, topk=50)
    data = batch(model, 4)
    with count_conversions() as calls, deferred_checks():
        losses = model.loss(**data)
        sum(v for k, v in losses.items() if k.startswith('loss_kd') or k == 'loss_rkkd').backward()
    assert {k: v for k, v in calls.items()} == {}


def test_a_training_step_reads_the_checks_once():
    model = classification_distiller()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    with count_conversions() as calls:
        log_vars = model.train_step(classification_batch(), optim)
    assert dict(calls) == {('tolist', osp.join('losses', 'checks.py')): 1}
    assert set(CLASSIFICATION_LOSSES) <= set(log_vars)


def _nan_student(model):
    with torch.no_grad():
        model.student.fc.weight.fill_(float('nan'))


def test_a_nan_in_a_step_still_stops_with_the_loss_iteration_and_epoch():
    model = classification_distiller()
    _nan_student(model)
    hub = MessageHub.get_instance('test_no_host_sync_nan')  # the current hub: a runner's, at iteration 12
    hub.update_info('iter', 11)
    hub.update_info('epoch', 2)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    try:
        with pytest.raises(FloatingPointError) as info:
            model.train_step(classification_batch(), optim)
    finally:
        MessageHub.get_instance('test_no_host_sync_clean')  # later tests: no loop position
    message = str(info.value)
    assert message.startswith('loss_kd at iteration 12 (epoch 3): KDLoss: the student logits contain NaN or Inf')
    assert 'checkpoints already saved' in message


def test_bad_labels_in_a_step_stop_with_the_loss_name():
    model = MODELS.build(dict(type='KDLoss'))
    with deferred_checks() as checks:
        # a bad label is computed as "no target class" until the check is read: no index error in between
        loss = MODELS.build(dict(type='PLDLoss'))(torch.randn(4, 5), torch.randn(4, 5), torch.tensor([0, 1, 9, -1]))
        model(torch.randn(4, 5), torch.randn(4, 5), torch.tensor([0, 1, 2, 3]))
    assert torch.isfinite(loss)
    failure = checks.first_failure()
    assert failure.error is ValueError and 'got values in [0, 9]' in failure.message()


def test_outside_a_step_checks_raise_at_once():
    with pytest.raises(FloatingPointError, match='teacher logits contain NaN'):
        MODELS.build(dict(type='KDLoss'))(torch.randn(2, 3), torch.tensor([[0., float('nan'), 1.]] * 2))
    rows = LogitRows(torch.randn(2, 3), torch.full((2, 3), float('inf')))
    with pytest.raises(FloatingPointError, match=r'^loss_kd: KDLoss: the teacher logits'):
        compute_distill_losses(torch.nn.ModuleDict(dict(loss_kd=MODELS.build(dict(type='KDLoss')))), rows)


def test_ignored_rows_are_masked_not_dropped():
    """Ignored rows are computed with weight 0 (no data-dependent shape): the same losses as dropping them."""
    torch.manual_seed(0)
    s, t = torch.randn(7, 6), torch.randn(7, 6)
    labels = torch.tensor([0, -1, 2, 6, -1, 5, 1])
    keep = labels != -1
    for cfg in CLASSIFICATION_LOSSES.values():
        loss = MODELS.build(cfg)
        for kwargs in ({}, dict(weight=torch.rand(7)), dict(avg_factor=3.0), dict(reduction_override='sum')):
            if cfg['type'] == 'DISTLoss' and 'weight' in kwargs:
                continue
            got = loss(s, t, labels, **kwargs)
            dropped = {k: (v[keep] if k == 'weight' else v) for k, v in kwargs.items()}
            torch.testing.assert_close(got, loss(s[keep], t[keep], labels[keep], **dropped), rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_distillation_losses_run_without_synchronisation_on_cuda():
    torch.manual_seed(0)
    rows = LogitRows(torch.randn(4096, 80, device='cuda', requires_grad=True), torch.randn(4096, 80, device='cuda'),
                     torch.randint(-1, 81, (4096, ), device='cuda'), torch.rand(4096, device='cuda'))
    losses = torch.nn.ModuleDict({k: MODELS.build(v) for k, v in CLASSIFICATION_LOSSES.items() if k != 'loss_dist'})
    with deferred_checks() as checks:
        torch.cuda.set_sync_debug_mode('error')
        try:
            out = compute_distill_losses(losses, rows)
            sum(out.values()).backward()
        finally:
            torch.cuda.set_sync_debug_mode('default')
    assert checks.first_failure() is None


def test_wrapper_driven_steps_read_their_checks_at_the_next_step_or_when_training_ends():
    """A distributed wrapper's train_step calls the forward itself: the checks of that step are read when the next
    step starts, or when the model leaves training mode, and name the step they came from."""
    model = classification_distiller().train()
    data = model.data_preprocessor(classification_batch(), True)
    hub = MessageHub.get_instance('test_no_host_sync_wrapper')
    hub.update_info('iter', 4)
    hub.update_info('epoch', 0)
    try:
        with count_conversions() as calls:
            model.loss(**data)  # a healthy step: its checks are pending, nothing read
        assert dict(calls) == {}
        _nan_student(model)
        model.loss(**data)  # reads the healthy step's checks, records the bad one
        hub.update_info('iter', 5)
        with pytest.raises(FloatingPointError, match=r'^loss_kd at iteration 5 \(epoch 1\): KDLoss: the student'):
            model.loss(**data)
        model.loss(**data)
        with pytest.raises(FloatingPointError, match='iteration 6'):
            model.eval()
        model.eval()  # read once
    finally:
        MessageHub.get_instance('test_no_host_sync_clean2')
