"""mmkd's registries: one ``mmkd`` scope that sees mmdet's modules, names that mean nothing else in mmdet or
mmpretrain, and ``cfg_path`` resolved by the model registry's build function."""
import json
import os.path as osp

import mmdet.registry as mmdet_registry
import pytest
from mmengine.config import ConfigDict

import mmkd.registry as mmkd_registry
from mmkd.losses import RankKendallLoss, RKKDLoss
from mmkd.registry import MODELS
from mmkd.utils import package_config_path, resolve_cfg_path

HERE = osp.dirname(osp.abspath(__file__))
with open(osp.join(HERE, 'fixtures', 'registered_names_mmpretrain.json')) as f:
    MMPRETRAIN = json.load(f)
KINDS = ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS', 'OPTIM_WRAPPERS', 'OPTIMIZERS', 'PARAM_SCHEDULERS')


def own_names(kind):
    """Names registered in mmkd's registry itself (not inherited from mmdet / mmengine)."""
    return set(getattr(mmkd_registry, kind).module_dict)


def test_mmkd_modules_are_registered():
    assert {'KDLoss', 'DKDLoss', 'DISTLoss', 'PLDLoss', 'RKKDLoss', 'LinearHeadClassifier', 'CifarResNet',
            'ClassificationDistiller', 'DenseHeadDistiller', 'RoIHeadDistiller'} <= own_names('MODELS')
    assert {'CIFAR100Dataset', 'FashionMNISTDataset', 'ImageNetDataset'} <= own_names('DATASETS')
    assert 'TopKAccuracy' in own_names('METRICS') and 'InceptionCrop' in own_names('TRANSFORMS')


@pytest.mark.parametrize('kind', KINDS)
def test_no_name_means_something_else_in_mmpretrain(kind):
    """A user of mmpretrain who writes ``type='ImageClassifier'`` (backbone / neck / head) must not get mmkd's
    different model: mmkd uses none of mmpretrain's names (read from mmpretrain 1.2.0's source, which cannot be
    imported beside the CPU torch here)."""
    theirs = set().union(*MMPRETRAIN['names'].values())
    assert not own_names(kind) & theirs, sorted(own_names(kind) & theirs)


@pytest.mark.parametrize('kind', KINDS)
def test_no_name_shadows_an_mmdet_module(kind):
    ours = own_names(kind)
    theirs = set(getattr(mmdet_registry, kind).module_dict)
    assert not ours & theirs, sorted(ours & theirs)


def test_models_are_classes_not_lowercase_factories():
    """CIFAR networks are classes with mmpretrain's ``arch=`` idiom, e.g. ``dict(type='CifarResNet',
    arch='resnet32x4')``, not one registered builder function per variant."""
    for name, obj in MODELS.module_dict.items():
        assert isinstance(obj, type), f'{name} is registered as {obj!r}, not a class'


def test_rkkd_loss_name_and_alias():
    assert MODELS.get('RKKDLoss') is RKKDLoss and MODELS.get('RankKendallLoss') is RKKDLoss
    assert RankKendallLoss is RKKDLoss
    assert type(MODELS.build(dict(type='RankKendallLoss', form='sign'))) is RKKDLoss


# ---------------------------------------------------------------- cfg_path in the registry's build function
def test_cfg_path_builds_the_model_of_another_config_with_overrides():
    model = MODELS.build(dict(cfg_path='mmkd::vanilla/r8_1xb64-240e_cifar100.py', num_classes=10,
                              backbone=dict(arch='resnet14')))
    assert type(model).__name__ == 'LinearHeadClassifier' and model.num_classes == 10
    assert len(model.backbone.layer1) == 2  # resnet14: (14 - 2) / 6 blocks per stage
    det = MODELS.build(dict(cfg_path='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', backbone=dict(init_cfg=None)))
    assert type(det).__name__ == 'RetinaNet'


def test_cfg_path_errors_name_the_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'cfg_path nope/x.py not found .*"mmkd::<folder>/<file>.py"'):
        MODELS.build(dict(cfg_path='nope/x.py'))
    with pytest.raises(FileNotFoundError, match=r'mmkd::kd/nope.py: mmkd ships no config kd/nope.py'):
        MODELS.build(dict(cfg_path='mmkd::kd/nope.py'))


def test_resolve_cfg_path_merges_with_delete():
    cfg = resolve_cfg_path(dict(cfg_path='mmkd::vanilla/r8_1xb64-240e_cifar100.py',
                                backbone=dict(_delete_=True, type='WideResNet', arch='wrn_16_1')))
    assert isinstance(cfg, ConfigDict) and cfg.backbone == dict(type='WideResNet', arch='wrn_16_1')
    assert osp.isfile(package_config_path('mmkd::kd/kd_r32x4_r8x4_1xb64-240e_cifar100.py'))
