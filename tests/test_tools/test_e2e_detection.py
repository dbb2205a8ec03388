"""tools/train.py and tools/test.py on a generated COCO-format set: teacher, KD+RKKD and PLD distillers."""
import os.path as osp
import pickle

import pytest
import torch

from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from .utils import last_metrics, run_tool, train_log

TEACHER = 'configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py'
STUDENT = 'configs/retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('coco')) + '/'
    generate_synthetic_coco(root, num_train=12, num_val=6, size_range=(96, 128), seed=1)
    return root


def opts(root, epochs=1):
    return [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}', f'val_evaluator.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.ann_file={root}annotations/instances_val.json', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
        'model.test_cfg.score_thr=0.0',  # a 1-epoch model scores low: keep every box so AP is computed
    ]


@pytest.fixture(scope='module')
def teacher_ckpt(coco, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('teacher'))
    run_tool('tools/train.py', TEACHER, '--work-dir', work, '--cfg-options', *opts(coco))
    return osp.join(work, 'epoch_1.pth')


@pytest.mark.parametrize('config,terms', [
    ('configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py', ('loss_kd', 'loss_rkkd')),
    ('configs/pld/pld_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py', ('loss_pld', )),
])
def test_distill_then_test_with_student_config(coco, teacher_ckpt, tmp_path, config, terms):
    work = str(tmp_path / 'distill')
    distill_opts = [o.replace('model.test_cfg', 'model.student.test_cfg') for o in opts(coco)]
    run_tool('tools/train.py', config, '--work-dir', work, '--cfg-options', *distill_opts,
             f'model.teacher_ckpt={teacher_ckpt}')
    log = [line for line in train_log(work) if 'loss' in line]
    assert log and all(term in log[0] and 'loss_cls' in log[0] and 'loss_bbox' in log[0] for term in terms)

    ckpt = osp.join(work, 'epoch_1.pth')
    state = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher', 'student.')) for k in state)  # the student's keys only

    out_pkl, show_dir = tmp_path / 'preds.pkl', tmp_path / 'show'
    run_tool('tools/test.py', STUDENT, ckpt, '--work-dir', str(tmp_path / 'test_student'), '--out', str(out_pkl),
             '--show-dir', str(show_dir), '--cfg-options', *opts(coco))
    with open(out_pkl, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 6 and 'pred_instances' in preds[0]
    assert len(list(show_dir.parent.glob('**/show/*.jpg'))) == 6  # mmdet puts them under work_dir/<timestamp>/
    metrics = last_metrics(str(tmp_path / 'test_student'))
    assert {'coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m',
            'coco/bbox_mAP_l'} <= set(metrics)
    run_tool('tools/test.py', config, ckpt, '--work-dir', str(tmp_path / 'test_distill'), '--cfg-options',
             *distill_opts)
    inside = last_metrics(str(tmp_path / 'test_distill'))
    assert all(inside[k] == metrics[k] for k in metrics if k.startswith('coco/'))
