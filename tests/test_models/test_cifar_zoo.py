"""mmkd's CIFAR zoo against the public RepDistiller / mdistiller models.

``repdistiller_keys.json`` holds, for every registered name, the sorted ``[key, shape]`` list of the original
network's state dict with ``num_classes=100`` (HobbitLong/RepDistiller ``models/`` - resnet.py, wrn.py,
vgg.py with ``*_bn``, mobilenetv2.py, ShuffleNetv1.py, ShuffleNetv2.py, resnetv2.py ``ResNet50``; the models
of megvii-research/mdistiller ``mdistiller/models/cifar/`` have the same state dicts). Their published
teachers (``cifar_teachers/<name>_vanilla/ckpt_epoch_240.pth`` = ``{'model': state_dict, ...}``) must load
as-is.
"""
import json
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from mmkd.models.backbones import CIFAR_ARCHS
from mmkd.models.classifiers import LinearHeadClassifier
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules

register_all_modules()

with open(osp.join(osp.dirname(__file__), 'repdistiller_keys.json')) as f:
    GOLDEN = json.load(f)

NAMES = [
    'resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'resnet8x4', 'resnet32x4',
    'wrn_16_1', 'wrn_16_2', 'wrn_40_1', 'wrn_40_2', 'vgg8', 'vgg11', 'vgg13', 'vgg16', 'vgg19', 'ShuffleV1',
    'ShuffleV2', 'mobile_half', 'ResNet50Cifar'
]


def backbone(name: str) -> dict:
    """RepDistiller's network ``name`` as an mmkd backbone config (mmpretrain's ``arch=`` idiom)."""
    return dict(type=CIFAR_ARCHS[name], arch=name)


def build(name: str) -> LinearHeadClassifier:
    return MODELS.build(dict(type='LinearHeadClassifier', backbone=backbone(name), num_classes=100))


def to_repdistiller(state_dict: dict, head_key: str) -> 'OrderedDict[str, torch.Tensor]':
    """Inverse of ``LinearHeadClassifier.convert_state_dict``: mmkd's keys -> the original network's keys."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('fc.'):
            key = head_key + key[2:]
        else:
            assert key.startswith('backbone.'), key
            key = key[len('backbone.'):]
        out[key] = value
    return out


def test_golden_covers_the_zoo():
    assert sorted(GOLDEN) == sorted(NAMES) == sorted(CIFAR_ARCHS)
    for name in NAMES:
        assert MODELS.get(CIFAR_ARCHS[name]) is not None, name
        assert MODELS.get(name) is None, f'{name} must be an arch of a backbone class, not a registered name'


def test_unknown_arch_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown arch 'resnet9'.*'resnet8'"):
        MODELS.build(dict(type='CifarResNet', arch='resnet9'))
    custom = MODELS.build(dict(type='CifarResNet', arch=dict(depth=14, num_filters=[8, 8, 16, 32])))
    assert custom.out_channels == 32 and len(custom.layer1) == 2


@pytest.mark.parametrize('name', NAMES)
def test_keys_and_shapes_match_repdistiller(name):
    model = build(name)
    head_key = model.backbone.head_key
    original = OrderedDict((k, torch.empty(shape, device='meta')) for k, shape in GOLDEN[name])
    assert f'{head_key}.weight' in original and f'{head_key}.bias' in original
    converted = LinearHeadClassifier.convert_state_dict(original, head_key)
    want = {k: list(v.shape) for k, v in converted.items()}
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [], 'keys of the RepDistiller model missing in mmkd'
    assert sorted(set(got) - set(want)) == [], 'mmkd keys absent from the RepDistiller model'
    assert want == got
    assert len(converted) == len(GOLDEN[name])  # the mapping is one-to-one


def _distiller(teacher: str, ckpt: str):
    return MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=dict(type='LinearHeadClassifier', backbone=backbone('resnet8'), num_classes=100),
            teacher=dict(type='LinearHeadClassifier', backbone=backbone(teacher), num_classes=100),
            teacher_ckpt=ckpt,
            distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0))))


def _repdistiller_checkpoint(name: str):
    """A reference mmkd model with random weights and BN statistics, and its state dict in RepDistiller
    names."""
    torch.manual_seed(0)
    ref = build(name).eval()
    with torch.no_grad():
        for key, value in ref.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.rand_like(value) + 0.5 if 'running_var' in key else torch.randn_like(value) * 0.1)
    state = to_repdistiller(ref.state_dict(), ref.backbone.head_key)
    assert sorted([k, list(v.shape)] for k, v in state.items()) == GOLDEN[name]
    return ref, state


# one teacher per head_key: fc, classifier, classifier.0, linear
@pytest.mark.parametrize('name', ['resnet32x4', 'vgg8', 'mobile_half', 'ShuffleV2'])
def test_repdistiller_checkpoint_loads_into_the_teacher(name, tmp_path):
    ref, state = _repdistiller_checkpoint(name)
    path = str(tmp_path / 'ckpt_epoch_240.pth')
    torch.save({'model': state, 'epoch': 240}, path)
    model = _distiller(name, path)
    model.load_teacher()
    assert model.teacher_loaded
    loaded = model.teacher.state_dict()
    for key, value in ref.state_dict().items():
        assert torch.equal(loaded[key], value), key
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.teacher(x), ref(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize('name,removed', [('resnet32x4', 'layer2.0.downsample.1.running_var'),
                                          ('wrn_40_2', 'block1.layer.0.convShortcut.weight')])
def test_checkpoint_missing_a_key_fails_naming_it(name, removed, tmp_path):
    _, state = _repdistiller_checkpoint(name)
    del state[removed]
    path = str(tmp_path / 'ckpt_epoch_240.pth')
    torch.save({'model': state, 'epoch': 240}, path)
    model = _distiller(name, path)
    with pytest.raises(RuntimeError, match='missing keys') as info:
        model.load_teacher()
    assert f"'backbone.{removed}'" in str(info.value)
    assert not model.teacher_loaded
