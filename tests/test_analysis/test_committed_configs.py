"""The committed benchmark tables still reproduce from today's configs.

Every run behind ``docs/results/`` saved the config it trained with (``logs/<run>/config.py``). The configs have
been renamed since (``docs/results/config_renames.json`` maps each old path to its file today) and some modules
were renamed; this test rebuilds each run's config from today's files, with the options the benchmark runner
passed, and checks that everything that decides the result is unchanged: the model (student, teacher and losses,
after resolving ``cfg_path``), the data pipelines and batches, the optimiser and schedule, hooks and seed.
"""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmkd.analysis import BENCHMARKS, config_of
from mmkd.models.backbones import CIFAR_ARCHS
from mmkd.utils import resolve_cfg_path

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RESULTS = osp.join(ROOT, 'docs', 'results')
with open(osp.join(RESULTS, 'config_renames.json')) as f:
    RENAMES = json.load(f)
#: modules renamed since the runs (the same classes)
RENAMED_TYPES = {'ImageClassifier': 'LinearHeadClassifier', 'RankKendallLoss': 'RKKDLoss', 'Accuracy': 'TopKAccuracy',
                 'FashionMNIST': 'FashionMNISTDataset', 'CIFAR100': 'CIFAR100Dataset', 'ImageNet': 'ImageNetDataset',
                 'RandomResizedCrop': 'InceptionCrop'}
#: where a run's environment, not its recipe, shows (data folders, checkpoint files)
ENVIRONMENT_KEYS = ('data_root', 'ann_file', 'teacher_ckpt', '_scope_')
COMPARED = ('model', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator', 'optim_wrapper',
            'param_scheduler', 'train_cfg', 'default_hooks', 'custom_hooks', 'randomness')
CE = dict(type='CrossEntropyLoss', loss_weight=1.0)  # the classifier's default loss_cls


def canonical(obj):
    """A config value in today's terms: cfg_path resolved (old paths renamed), renamed types, the CIFAR variant
    builders of old as ``type`` + ``arch``, the old ``student_losses`` as the student's own ``loss_cls``."""
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    obj = dict(obj)
    if 'cfg_path' in obj:
        path = RENAMES.get(obj['cfg_path'], obj['cfg_path'])
        obj['cfg_path'] = 'mmkd::' + path[len('configs/'):] if path.startswith('configs/') else path
        obj = resolve_cfg_path(obj).to_dict()
    if obj.get('type') in RENAMED_TYPES:
        obj['type'] = RENAMED_TYPES[obj['type']]
    if obj.get('type') in CIFAR_ARCHS:
        obj['type'], obj['arch'] = CIFAR_ARCHS[obj['type']], obj['type']
    obj = {k: canonical(v) for k, v in obj.items() if k not in ENVIRONMENT_KEYS}
    if obj.get('type') == 'LinearHeadClassifier':
        obj.setdefault('loss_cls', CE)
    if 'student' in obj and 'teacher' in obj:  # a distiller
        student_losses = obj.pop('student_losses', None)
        if student_losses == {}:  # PLD replaced the CE
            obj['drop_student_losses'] = ['loss_cls']
        elif student_losses:
            obj['student']['loss_cls'] = student_losses['loss_cls']
        if not obj.get('drop_student_losses'):
            obj.pop('drop_student_losses', None)
        obj['teacher'].pop('data_preprocessor', None)  # the distiller preprocesses for both
    return obj


def committed_runs():
    """(logged config.py, today's config, options the runner passed) of every committed run."""
    runs = []
    for bench, spec in BENCHMARKS.items():
        with open(osp.join(RESULTS, bench, 'results.json')) as f:
            collected = json.load(f)['runs']
        for method, seeds in collected.items():
            for seed in seeds:
                log = osp.join(RESULTS, bench, 'logs', method if method == 'teacher' else f'{method}/seed{seed}')
                runs.append((osp.join(log, 'config.py'), config_of(bench, method), {'randomness.seed': int(seed)}))
    # make demo (tools/demo.py): the student alone is the KD distiller at weight 0
    demo = osp.join(RESULTS, 'demo')
    kd = 'configs/kd/kd_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py'
    for run, config, options in (
            ('teacher', 'configs/retinanet/retinanet_mv2-in1k_fpn_12e_synthetic-coco.py', {}),
            ('student_alone', kd, {'model.distill_losses.loss_kd.loss_weight': 0}), ('kd', kd, {}),
            ('kd_rkkd', 'configs/rkkd/kd-rkkd_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py', {}),
            ('pld', 'configs/pld/pld_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py', {})):
        runs.append((osp.join(demo, run, 'config.py'), config, options))
    return runs


RUNS = committed_runs()


def test_every_committed_run_is_checked():
    assert len(RUNS) == 1 + 10 * 3 + 1 + 4 * 3 + 5


@pytest.mark.parametrize('logged,config,options', RUNS, ids=[osp.relpath(r[0], RESULTS) for r in RUNS])
def test_todays_config_is_the_one_the_run_trained_with(logged, config, options):
    then = Config.fromfile(logged).to_dict()
    now = Config.fromfile(osp.join(ROOT, config))
    now.merge_from_dict(options)
    now = now.to_dict()
    for key in COMPARED:
        assert canonical(now.get(key)) == canonical(then.get(key)), f'{config}: {key} differs from {logged}'


def test_renames_point_at_existing_configs():
    for old, new in RENAMES.items():
        assert new.startswith('mmdet::') or osp.isfile(osp.join(ROOT, new)), (old, new)
        assert not osp.exists(osp.join(ROOT, old)), old
