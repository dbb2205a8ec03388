"""An mmkd loss inside a stock mmdet head: mmdet's LD (LDHead) with ``loss_ld=dict(type='KDLoss')``.

LDHead calls its ``loss_ld`` as mmdet calls every loss, ``loss_ld(pred, target, weight=..., avg_factor=4.0)``;
the run goes through tools/train.py on generated COCO-format data.
"""
import math

import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config

from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from mmkd.distillers.recorder import record_calls
from mmkd.losses import KDLoss
from mmkd.registry import MODELS
from .utils import run_tool, train_log

SMALL = '''
model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=32),
    bbox_head=dict(num_classes=4, in_channels=32, feat_channels=32, stacked_convs=1))
'''
# The GFL teacher LD distils from (random weights: this is a pipeline test), small.
TEACHER = "_base_ = 'mmdet::gfl/gfl_r50_fpn_1x_coco.py'\n" + SMALL
# mmdet's own LD config, with mmkd's KDLoss as loss_ld and the generated shapes as data. mmdet's
# KnowledgeDistillationKLDivLoss averages the KL over the reg_max + 1 = 17 bins, KDLoss sums it: the weight is
# scaled by 1/17 to keep LD's 0.25.
STUDENT = '''
_base_ = 'mmdet::ld/ld_r18-gflv1-r101_fpn_1x_coco.py'
default_scope = 'mmkd'
data_root = '{root}'
metainfo = dict(classes=('red_box', 'green_disc', 'blue_triangle', 'yellow_diamond'))
model = dict(
    _scope_='mmkd',  # an mmdet:: base builds its model in mmdet's scope; KDLoss is mmkd's
    teacher_config='{teacher}',
    teacher_ckpt=None,
    backbone=dict(init_cfg=None),
    neck=dict(out_channels=32),
    bbox_head=dict(num_classes=4, in_channels=32, feat_channels=32, stacked_convs=1,
                   loss_ld=dict(_delete_=True, type='KDLoss', tau=10, loss_weight=0.25 / 17)))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, metainfo=metainfo, data_prefix=dict(img='train/'),
                                     ann_file='annotations/instances_train.json',
                                     filter_cfg=dict(filter_empty_gt=False)))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, metainfo=metainfo, ann_file='annotations/instances_val.json',
                                   data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
'''


@pytest.fixture(scope='module')
def ld_config(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ld')
    root = str(tmp / 'coco') + '/'
    generate_synthetic_coco(root, num_train=6, num_val=2, size_range=(96, 128), seed=4)
    (tmp / 'teacher.py').write_text(TEACHER)
    (tmp / 'ld_kd.py').write_text(STUDENT.format(root=root, teacher=tmp / 'teacher.py'))
    return str(tmp / 'ld_kd.py')


def test_ld_head_calls_kd_loss_with_weight_and_avg_factor(ld_config):
    cfg = Config.fromfile(ld_config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    loss_ld = model.bbox_head.loss_ld
    assert isinstance(loss_ld, KDLoss)
    packed = demo_mm_inputs(batch_size=2, image_shapes=[(3, 128, 128)] * 2, num_items=[3, 2], num_classes=4)
    data = model.data_preprocessor(packed, True)
    with record_calls(loss_ld, 'forward') as calls:
        losses = model.loss(data['inputs'], data['data_samples'])
    assert calls.calls and all(c.arguments['avg_factor'] == 4.0 for c in calls.calls)
    for call, value in zip(calls.calls, losses['loss_ld']):
        weight, pred = call.arguments['weight'], call.arguments['preds_S']
        assert weight is not None and weight.shape == pred.shape[:1] and pred.size(1) == 17
        # mmdet's normalisation: the weighted sum of the per-row losses divided by avg_factor
        rows = loss_ld(pred, call.arguments['preds_T'], reduction_override='none')
        torch.testing.assert_close(value, (rows * weight).sum() / 4.0, rtol=1e-5, atol=1e-7)


def test_ld_with_kd_loss_trains_through_tools(ld_config, tmp_path):
    run_tool('tools/train.py', ld_config, '--work-dir', str(tmp_path / 'work'))
    log = [line for line in train_log(str(tmp_path / 'work')) if 'loss_ld' in line]
    assert len(log) == 3  # 6 images, batch 2, logged every iteration
    assert all(math.isfinite(line['loss_ld']) and line['loss_ld'] >= 0 for line in log)
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
