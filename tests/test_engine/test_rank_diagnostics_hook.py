"""RankDiagnosticsHook: the exact Kendall's tau-b (against scipy), the top-1 agreement, the hook on tiny distillers
(the teacher = the student, a reversed teacher, ignored and capped rows, a wrapped model, detection rows from
validation batches), and tools/train.py runs whose every validation logs the diagnostics."""
import copy
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.structures import BaseDataElement
from scipy import stats

from mmkd.distillers import LogitRows
from mmkd.engine.hooks import RankDiagnosticsHook
from mmkd.engine.hooks.rank_diagnostics_hook import (AGREEMENT_KEY, ROWS_KEY, TAU_KEY, boxes_in_original_frame,
                                                     kendall_tau_b, top1_agreement)
from mmkd.registry import MODELS
from tests.data_utils import write_cifar100

KEYS = (AGREEMENT_KEY, TAU_KEY, ROWS_KEY)
DENSE_DISTILL = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
ROI_DISTILL = 'configs/rkkd/kd-rkkd_faster-rcnn-r50_faster-rcnn-mv2_fpn_1x_coco.py'


# ---------------------------------------------------------------- the measures
def scipy_tau(x, y):
    return np.array([stats.kendalltau(a, b).statistic for a, b in zip(x.double().numpy(), y.double().numpy())])


@pytest.mark.parametrize('num_classes,pairs_per_chunk', [(7, 10), (30, 2000), (100, 2**22), (1000, 2**21)])
def test_kendall_tau_b_equals_scipy(num_classes, pairs_per_chunk):
    """Random rows, rows with ties (rounded, bfloat16) on one side or both, every chunking (one row per chunk ...
    all rows in one)."""
    g = torch.Generator().manual_seed(num_classes)
    n = 4 if num_classes == 1000 else 24
    x = torch.randn(n, num_classes, generator=g)
    y = 0.5 * x + torch.randn(n, num_classes, generator=g)
    y[0] = y[0].round()
    x[1], y[1] = x[1].round(), y[1].round()
    y[2] = y[2].bfloat16().float()
    tau = kendall_tau_b(x, y, pairs_per_chunk=pairs_per_chunk)
    assert tau.dtype == torch.float64 and tau.shape == (n, )
    np.testing.assert_allclose(tau.numpy(), scipy_tau(x, y), rtol=0, atol=1e-12)


def test_kendall_tau_b_extremes_and_degenerate_rows():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 2.0, 4.0], [3.0, 3.0, 3.0, 3.0]])
    y = torch.tensor([[10.0, 20.0, 30.0, 40.0], [4.0, 3.0, 2.0, 1.0], [1.0, 5.0, 5.0, 9.0], [1.0, 2.0, 3.0, 4.0]])
    # same order, reversed, the same ties on both sides (tau-b 1, where tau-a would be 5/6), a constant row: 0
    assert kendall_tau_b(x, y).tolist() == [1.0, -1.0, 1.0, 0.0]
    assert kendall_tau_b(x[:0], y[:0]).shape == (0, )
    with pytest.raises(ValueError, match='same shape'):
        kendall_tau_b(x, y[:, :3])


def test_top1_agreement_by_hand():
    x = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0], [5.0, 6.0, 7.0]])
    y = torch.tensor([[0.0, 3.0, 1.0], [0.0, 1.0, 2.0], [-1.0, -2.0, 0.0], [7.0, 6.0, 5.0]])
    assert top1_agreement(x, y).tolist() == [True, False, True, False]


def test_row_sums_leave_out_ignored_rows_and_weights_and_cap_by_teacher_confidence():
    teacher = torch.randn(6, 5, generator=torch.Generator().manual_seed(0))
    student = torch.cat([teacher[:3], -teacher[3:]])  # rows 0-2 agree, 3-5 reversed
    labels = torch.tensor([0, -1, 2, 5, 1, 3])  # row 1 is ignored; 5 = "no class" (background) counts
    hook = RankDiagnosticsHook(max_rows_per_batch=None)
    for weight in (None, torch.rand(6)):  # weights do not count: each row once
        sums = hook.row_sums(LogitRows(student, teacher, labels, weight))
        assert sums.dtype == torch.float64 and sums.tolist() == pytest.approx([2.0, 2.0 - 3.0, 5.0])
    assert hook.row_sums(LogitRows(student, teacher)).tolist() == pytest.approx([3.0, 0.0, 6.0])

    # Capped: the teacher's most confident rows, max logit for sigmoid scores, max softmax probability otherwise.
    a = torch.tensor([5.0, 4.0, 3.0, 2.0, 1.0])  # max logit 5, softmax 0.64
    b = torch.tensor([0.0, -10.0, -10.0, -10.0, -11.0])  # max logit 0, softmax ~1
    c = torch.tensor([9.0, 0.0, 0.0, 0.0, 0.0])  # the most confident either way, but ignored
    rows = LogitRows(torch.stack([a, -b, -c]), torch.stack([a, b, c]), torch.tensor([0, 1, -1]))
    one = RankDiagnosticsHook(max_rows_per_batch=1)
    assert one.row_sums(rows, sigmoid=True).tolist() == [1.0, 1.0, 1.0]  # a: same order
    assert one.row_sums(rows, sigmoid=False).tolist() == [0.0, -1.0, 1.0]  # b: reversed (with ties)


@pytest.mark.parametrize('value', [0, -1, 2.5])
def test_bad_options(value):
    with pytest.raises(ValueError, match='positive int'):
        RankDiagnosticsHook(max_rows_per_batch=value)
    with pytest.raises(ValueError, match='positive int'):
        RankDiagnosticsHook(max_batches=value)


# ---------------------------------------------------------------- the hook in a (minimal) runner
class FakeRunner:
    """What the hook reads from MMEngine's Runner."""

    def __init__(self, model, batches, dataset=None):
        self.model = model
        self.message_hub = MessageHub.get_instance('rank_diagnostics_test')
        loader = type('Loader', (list, ), {})(batches)
        loader.dataset = dataset if dataset is not None else list(range(len(batches)))
        self.val_loop = type('Loop', (), {'dataloader': loader})()


def validate(hook, runner, metrics=None):
    """One validation as ValLoop drives the hook; returns the metrics after after_val_epoch."""
    metrics = {'accuracy/top1': 50.0} if metrics is None else metrics
    hook.before_val_epoch(runner)
    for i, batch in enumerate(runner.val_loop.dataloader):
        hook.after_val_iter(runner, i, batch, outputs=None)
    hook.after_val_epoch(runner, metrics=metrics)
    return metrics


def classification_distiller(tmp_path, num_classes=10):
    student = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'),
                   num_classes=num_classes)
    model = MODELS.build(
        dict(type='ClassificationDistiller', student=student, teacher=student,
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3),
             distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0))))
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=model.student.state_dict()), path)  # the teacher is the student
    model.teacher_ckpt = path
    model.load_teacher()
    return model.eval()


def image_batches(num_batches=2, batch=5, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [dict(inputs=[torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g) for _ in range(batch)],
                 data_samples=[BaseDataElement(gt_label=torch.tensor([i])) for i in range(batch)])
            for _ in range(num_batches)]


def test_hook_teacher_equal_to_student_then_reversed(tmp_path):
    model = classification_distiller(tmp_path)
    runner = FakeRunner(model, image_batches())
    hook = RankDiagnosticsHook()
    hook.before_run(runner)
    metrics = validate(hook, runner)
    assert metrics == {'accuracy/top1': 50.0, AGREEMENT_KEY: 100.0, TAU_KEY: pytest.approx(1.0, abs=1e-12),
                       ROWS_KEY: 10}  # every validation image, appended after the task metric
    assert list(metrics)[0] == 'accuracy/top1'

    with torch.no_grad():  # the teacher's logits reversed: its fc negated
        model.teacher.fc.weight.neg_()
        model.teacher.fc.bias.neg_()
    metrics = validate(hook, runner)
    assert metrics[AGREEMENT_KEY] == 0.0 and metrics[TAU_KEY] == pytest.approx(-1.0, abs=1e-12)

    # max_batches: only the first batch; without a metrics dict the values go to the message hub directly
    hook = RankDiagnosticsHook(max_batches=1)
    hook.before_val_epoch(runner)
    for i, batch in enumerate(runner.val_loop.dataloader):
        hook.after_val_iter(runner, i, batch)
    hook.after_val_epoch(runner, metrics=None)
    assert runner.message_hub.get_scalar(f'val/{ROWS_KEY}').current() == 5
    assert runner.message_hub.get_scalar(f'val/{TAU_KEY}').current() == pytest.approx(-1.0, abs=1e-12)


def test_hook_partial_agreement_matches_the_rows(tmp_path):
    """A teacher with other weights: the logged values are the means of the per-row measures (scipy's tau)."""
    model = classification_distiller(tmp_path)
    with torch.no_grad():
        weight = model.teacher.fc.weight
        weight.add_(0.5 * weight.std() * torch.randn(weight.shape, generator=torch.Generator().manual_seed(1)))
    batches = image_batches(num_batches=3, batch=4, seed=2)
    metrics = validate(RankDiagnosticsHook(), FakeRunner(model, batches))
    with torch.no_grad():
        data = [model.data_preprocessor(b, False)['inputs'] for b in batches]
        logits_S = torch.cat([model.student(x) for x in data])
        logits_T = torch.cat([model.teacher(x) for x in data])
    assert metrics[ROWS_KEY] == 12
    assert metrics[AGREEMENT_KEY] == pytest.approx(100.0 * top1_agreement(logits_S, logits_T).float().mean().item())
    assert metrics[TAU_KEY] == pytest.approx(scipy_tau(logits_S, logits_T).mean(), abs=1e-9)
    assert 0.0 < metrics[TAU_KEY] < 1.0


def test_hook_without_a_loaded_teacher_skips(tmp_path):
    model = classification_distiller(tmp_path)
    model.teacher_loaded = False  # validation outside training (runner.val()): the teacher was never loaded
    metrics = validate(RankDiagnosticsHook(), FakeRunner(model, image_batches(num_batches=1)))
    assert metrics == {'accuracy/top1': 50.0}


def test_hook_rejects_a_model_that_is_no_distiller():
    student = MODELS.build(dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'),
                                num_classes=10))
    with pytest.raises(TypeError, match='not an mmkd distiller'):
        RankDiagnosticsHook().before_run(FakeRunner(student, []))


def test_hook_unwraps_a_ddp_model_and_sums_over_processes(tmp_path):
    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel

    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store', rank=0, world_size=1)
    try:
        model = classification_distiller(tmp_path)
        metrics = validate(RankDiagnosticsHook(), FakeRunner(MMDistributedDataParallel(module=model),
                                                             image_batches(num_batches=1)))
    finally:
        dist.destroy_process_group()
    assert metrics[ROWS_KEY] == 5 and metrics[AGREEMENT_KEY] == 100.0


# ---------------------------------------------------------------- detection rows from validation batches
def synthetic_coco_loader(cfg, root, pipeline):
    from mmengine.runner import Runner

    loader = copy.deepcopy(cfg.val_dataloader)
    loader.update(num_workers=0, persistent_workers=False, batch_size=2)
    loader.dataset.update(data_root=root, pipeline=pipeline)
    return Runner.build_dataloader(loader)


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    from mmkd.datasets.synthetic_coco import generate_synthetic_coco

    root = str(tmp_path_factory.mktemp('coco')) + '/'
    generate_synthetic_coco(root, num_train=4, num_val=2, size_range=(96, 128), seed=1)
    return root


def test_dense_head_rows_of_validation_batches(coco, tmp_path):
    """mmdet's test pipeline loads the gt boxes after Resize (original frame): the hook brings them into the input's
    frame, so the rows' labels are those of the same images with the boxes loaded before resizing."""
    cfg = Config.fromfile(DENSE_DISTILL)
    model = MODELS.build(cfg.model)
    model.teacher_loaded = True  # a random teacher: only the rows matter here
    model.eval()
    val = synthetic_coco_loader(cfg, coco, cfg.test_pipeline)
    boxes_first = [cfg.test_pipeline[i] for i in (0, 2, 1, 3)]  # LoadAnnotations before Resize
    reference = synthetic_coco_loader(cfg, coco, boxes_first)
    assert boxes_in_original_frame(val.dataset) and not boxes_in_original_frame(reference.dataset)

    hook = RankDiagnosticsHook(max_rows_per_batch=None)
    runner = FakeRunner(model, list(val), dataset=val.dataset)
    hook.before_val_epoch(runner)
    batch, = runner.val_loop.dataloader
    original = batch['data_samples'][0].gt_instances.bboxes.tensor.clone()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        rows = hook.rows(model, data['inputs'], data['data_samples'])
        expected = hook.__class__(max_rows_per_batch=None).rows(
            model, **model.data_preprocessor(next(iter(reference)), False))
    assert torch.equal(batch['data_samples'][0].gt_instances.bboxes.tensor, original)  # the evaluator's are kept
    assert torch.equal(rows.labels, expected.labels) and torch.equal(rows.preds_S, expected.preds_S)
    num_classes = rows.preds_S.size(1)
    positives = int(((rows.labels >= 0) & (rows.labels < num_classes)).sum())
    assert 0 < positives < rows.labels.numel()

    metrics = validate(hook, runner, metrics={})
    assert metrics[ROWS_KEY] == rows.labels.numel()  # background='no_target': every anchor
    model.background = 'ignore'  # background anchors labelled -1: left out
    assert validate(hook, runner, metrics={})[ROWS_KEY] == positives
    hook.max_rows_per_batch = 50
    assert validate(hook, runner, metrics={})[ROWS_KEY] == min(50, positives)
    assert set(metrics) == set(KEYS) and -1.0 <= metrics[TAU_KEY] <= 1.0 and 0 <= metrics[AGREEMENT_KEY] <= 100


def test_roi_head_rows_in_eval_mode_keep_the_random_state(tmp_path):
    cfg = Config.fromfile(ROI_DISTILL).model
    cfg.student['backbone'] = dict(init_cfg=None)
    cfg.teacher.update(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]))
    model = MODELS.build(cfg)
    model.teacher_loaded = True
    model.eval()
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, 96, 128)], num_items=[3], num_classes=80)
    hook = RankDiagnosticsHook()
    state = torch.get_rng_state()
    with torch.no_grad():
        data = model.data_preprocessor(packed, False)
        first = hook.rows(model, data['inputs'], data['data_samples'])
        second = hook.rows(model, data['inputs'], data['data_samples'])
    assert torch.equal(torch.get_rng_state(), state)  # the RoI sampler's draws left no trace
    assert torch.equal(first.preds_S, second.preds_S) and torch.equal(first.labels, second.labels)
    assert first.preds_S.shape == first.preds_T.shape == (512, 81)  # the sampled RoIs, C + 1 columns
    sums = hook.row_sums(first)
    assert sums[2] == first.labels.numel()


# ---------------------------------------------------------------- tools/train.py
CIFAR_TEACHER = 'configs/vanilla/r8_1xb64-240e_cifar100.py'
CIFAR_DISTILL = 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'
COCO_TEACHER = 'configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py'
#: mmkd's distillation configs have one custom hook (EvalTeacherHook): --cfg-options can replace that entry but
#: not append one, and it parses no dict(...) values (see README)
WITH_HOOK = 'custom_hooks.0.type=RankDiagnosticsHook'
#: the synthetic-COCO configs have no custom hook: a config of two lines adds it
WITH_HOOK_CONFIG = "_base_ = '{base}'\ncustom_hooks = [dict(type='RankDiagnosticsHook')]\n"


def random_teacher(config, path):
    """A teacher checkpoint with the random weights of a config's model (the diagnostics need no trained one)."""
    torch.save(dict(state_dict=MODELS.build(Config.fromfile(config).model).state_dict()), path)
    return path


def classification_run(tmp):
    from tests.test_tools.utils import ENV, distill_opts, run_tool

    data = write_cifar100(osp.join(tmp, 'cifar'), num_train=64, num_test=32)
    teacher = random_teacher(CIFAR_TEACHER, osp.join(tmp, 'teacher.pth'))
    work = osp.join(tmp, 'work')
    proc = run_tool('tools/train.py', CIFAR_DISTILL, '--work-dir', work, '--cfg-options',
                    *distill_opts(data, teacher, epochs=2), WITH_HOOK, env=ENV)
    return work, proc.stdout + proc.stderr, 2


def detection_run(tmp, root):
    from tests.test_tools.utils import ENV, run_tool

    teacher = random_teacher(COCO_TEACHER, osp.join(tmp, 'teacher.pth'))
    work = osp.join(tmp, 'work')
    config = osp.join(tmp, 'with_hook.py')
    with open(config, 'w') as f:
        f.write(WITH_HOOK_CONFIG.format(base=osp.abspath(DENSE_DISTILL)))
    opts = [f'model.teacher_ckpt={teacher}', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
            f'val_evaluator.ann_file={root}annotations/instances_val.json',
            'model.student.test_cfg.score_thr=0.0']  # a random student scores low: keep every box for the mAP
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}', f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    proc = run_tool('tools/train.py', config, '--work-dir', work, '--cfg-options', *opts, env=ENV)
    return work, proc.stdout + proc.stderr, 1


@pytest.fixture(scope='module')
def train_runs(coco, tmp_path_factory):
    """Both runs at once (2 CPU cores); a failure is re-raised by the test that reads it."""
    jobs = {'classification': lambda: classification_run(str(tmp_path_factory.mktemp('cls'))),
            'detection': lambda: detection_run(str(tmp_path_factory.mktemp('det')), coco)}

    def call(name):
        try:
            return jobs[name]()
        except Exception as exc:  # noqa: BLE001 - reported by the test of this run
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(call, jobs)))


@pytest.mark.parametrize('name,metric', [('classification', 'accuracy/top1'), ('detection', 'coco/bbox_mAP')])
def test_train_logs_the_diagnostics_at_every_validation(train_runs, name, metric):
    from tests.test_tools.utils import train_log

    if isinstance(train_runs[name], Exception):
        raise train_runs[name]
    work, output, epochs = train_runs[name]
    evals = [line for line in train_log(work) if metric in line]
    assert [line['step'] for line in evals] == list(range(1, epochs + 1))
    for line in evals:
        assert set(KEYS) <= set(line), line
        assert 0.0 <= line[AGREEMENT_KEY] <= 100.0 and -1.0 <= line[TAU_KEY] <= 1.0, line
        if name == 'classification':
            assert line[ROWS_KEY] == 32  # every validation image
        else:
            assert 0 < line[ROWS_KEY] <= 4096  # the default max_rows_per_batch of the one validation batch
    val_lines = [text for text in output.splitlines() if 'Epoch(val) [' in text and metric in text]
    assert len(val_lines) == epochs and all(TAU_KEY in text and AGREEMENT_KEY in text for text in val_lines)
