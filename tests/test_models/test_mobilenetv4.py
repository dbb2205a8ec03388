"""MobileNetV4 against timm's own definitions (``timm_reference.json``, written by
``tests/fixtures/make_timm_fixtures.py`` from timm 1.0.31): the state dict key for key and shape for shape, the
parameter count, and the eval-mode logits of deterministic weights loaded in timm's layout."""
import json
import os.path as osp
from collections import OrderedDict

import pytest
import torch
from mmengine.structures import BaseDataElement

import mmkd.models.backbones.mobilenetv4  # noqa: F401
from mmkd.models.backbones.mobilenetv4 import MQA, UIB, Conv, FusedIB, MobileNetV4
from mmkd.models.classifiers import LinearHeadClassifier
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules
from tests.fixtures.deterministic_weights import deterministic_state_dict, fixed_input

register_all_modules()

with open(osp.join(osp.dirname(__file__), 'timm_reference.json')) as f:
    REFERENCE = json.load(f)

TIMM_NAMES = {
    'conv-small': 'mobilenetv4_conv_small',
    'conv-medium': 'mobilenetv4_conv_medium',
    'hybrid-medium': 'mobilenetv4_hybrid_medium',
    'conv-large': 'mobilenetv4_conv_large',
    'hybrid-large': 'mobilenetv4_hybrid_large',
}
ARCHS = list(TIMM_NAMES)
WITH_LOGITS = ['conv-small', 'conv-medium', 'hybrid-medium']


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """These networks are small at these sizes: one intra-op thread is faster than two on a shared 2-core machine,
    where OpenMP threads that wait for each other can slow a forward down tenfold."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def reference(arch: str) -> dict:
    return REFERENCE['networks'][TIMM_NAMES[arch]]


def classifier_cfg(arch: str, **kwargs) -> dict:
    return dict(type='LinearHeadClassifier', backbone=dict(type='MobileNetV4', arch=arch, **kwargs),
                num_classes=1000)


def timm_state_dict(arch: str) -> 'OrderedDict[str, torch.Tensor]':
    """Deterministic weights in timm's layout (``classifier.*`` and all)."""
    return deterministic_state_dict(reference(arch)['keys'])


def assert_logits_match(logits: torch.Tensor, arch: str) -> None:
    expected = torch.tensor(reference(arch)['logits'], dtype=torch.float64)
    scale = expected.abs().max().item()
    # the fixture holds 9 significant digits
    torch.testing.assert_close(logits, expected, rtol=1e-6, atol=1e-6 * scale)


def test_fixture_names_the_archs():
    for arch in ARCHS:
        assert reference(arch)['backbone'] == 'MobileNetV4' and reference(arch)['arch'] == arch
    assert sorted(MobileNetV4.arch_settings) == sorted(ARCHS)
    assert MobileNetV4.head_key == 'classifier'


@pytest.mark.parametrize('arch', ARCHS)
def test_keys_shapes_and_parameters_match_timm(arch):
    with torch.device('meta'):
        model = MODELS.build(classifier_cfg(arch))
    assert model.backbone.out_channels == 1280
    timm_keys = OrderedDict((k, torch.empty(shape, device='meta')) for k, shape in reference(arch)['keys'])
    converted = LinearHeadClassifier.convert_state_dict(timm_keys, 'classifier')
    assert len(converted) == len(timm_keys)
    want = {k: list(v.shape) for k, v in converted.items()}
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [], 'timm keys missing in mmkd'
    assert sorted(set(got) - set(want)) == [], 'mmkd keys absent from timm'
    assert got == want
    assert sum(p.numel() for p in model.parameters()) == reference(arch)['params']


@pytest.mark.parametrize('arch', WITH_LOGITS)
def test_logits_match_timm(arch):
    model = MODELS.build(classifier_cfg(arch))
    state = LinearHeadClassifier.convert_state_dict(timm_state_dict(arch), 'classifier')
    model.load_state_dict(state, strict=True)
    model.double().eval()
    with torch.no_grad():
        logits = model(fixed_input(**REFERENCE['input']).double())
    assert_logits_match(logits, arch)


def _distiller(arch: str, ckpt: str):
    return MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'),
                         num_classes=1000),
            teacher=classifier_cfg(arch),
            teacher_ckpt=ckpt,
            distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0))))


def test_timm_checkpoint_loads_as_a_teacher(tmp_path):
    arch = 'conv-small'
    path = str(tmp_path / 'mobilenetv4_conv_small.pth')
    torch.save(timm_state_dict(arch), path)
    model = _distiller(arch, path)
    model.load_teacher()
    assert model.teacher_loaded
    teacher = model.teacher.double()
    assert not teacher.training
    with torch.no_grad():
        logits = teacher(fixed_input(**REFERENCE['input']).double())
    assert_logits_match(logits, arch)


@pytest.mark.parametrize('key,change,message', [
    ('blocks.2.1.dw_mid.bn.running_var', 'remove', 'missing keys'),
    ('conv_head.weight', 'reshape', 'shape mismatches'),
])
def test_broken_timm_checkpoint_fails_naming_the_key(tmp_path, key, change, message):
    arch = 'conv-small'
    state = timm_state_dict(arch)
    if change == 'remove':
        del state[key]
    else:
        state[key] = state[key][:-1]
    path = str(tmp_path / 'broken.pth')
    torch.save(state, path)
    model = _distiller(arch, path)
    with pytest.raises(RuntimeError, match=message) as info:
        model.load_teacher()
    assert f'backbone.{key}' in str(info.value)
    assert not model.teacher_loaded


@pytest.mark.parametrize('arch', ARCHS)
def test_training_step(arch):
    torch.manual_seed(0)
    model = MODELS.build(classifier_cfg(arch)).train()
    x = torch.randn(2, 3, 64, 64)
    samples = [BaseDataElement(gt_label=torch.tensor([label])) for label in (3, 997)]
    loss = model(x, samples, mode='loss')['loss_cls']
    assert torch.isfinite(loss)
    loss.backward()
    params = dict(model.named_parameters())
    no_grad = [k for k, p in params.items() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert no_grad == []
    zero_grad = [k for k, p in params.items() if not p.grad.any()]
    assert zero_grad == []
    before = {k: p.detach().clone() for k, p in params.items()}
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    unchanged = [k for k, p in params.items() if torch.equal(p, before[k])]
    assert unchanged == []


def test_drop_path_and_dropout():
    rate = 0.2
    model = MobileNetV4('conv-medium', drop_path_rate=rate)
    blocks = [block for stage in model.blocks for block in stage]
    # timm: block i of n drops with rate * i / n (over all blocks, stem excluded); skip-less Conv blocks have none
    for i, block in enumerate(blocks):
        drop = getattr(block, 'drop_path', None)
        if i == 0 or drop is None:
            assert not hasattr(drop, 'drop_prob')
        else:
            assert drop.drop_prob == pytest.approx(rate * i / len(blocks)), i
    plain = MobileNetV4('conv-medium')
    dropout = MobileNetV4('conv-medium', drop_rate=0.5)
    plain.load_state_dict(model.state_dict())
    dropout.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 64, 64)
    outputs = {}
    with torch.no_grad():
        for mode in ('eval', 'train'):
            for name, net in (('drop_path', model), ('plain', plain), ('dropout', dropout)):
                net.train(mode == 'train')
                torch.manual_seed(0)
                outputs[mode, name] = net(x)
    for name in ('drop_path', 'dropout'):  # eval: nothing is dropped
        torch.testing.assert_close(outputs['eval', name], outputs['eval', 'plain'], rtol=0, atol=0)
    assert not torch.allclose(outputs['train', 'drop_path'], outputs['train', 'plain'])
    kept, dropped = outputs['train', 'plain'], outputs['train', 'dropout']
    assert ((dropped == 0) & (kept != 0)).any()
    torch.testing.assert_close(dropped[dropped != 0], 2 * kept[dropped != 0])  # scaled by 1 / (1 - p)


def test_unknown_arch_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown arch 'conv-tiny'.*'conv-large', 'conv-medium', 'conv-small', "
                       r"'hybrid-large', 'hybrid-medium'"):
        MODELS.build(dict(type='MobileNetV4', arch='conv-tiny'))


def test_custom_arch_dict():
    arch = dict(stem_channels=16, act='gelu', layer_scale=1e-5,
                stages=[[FusedIB(3, 2, 2, 24)], [UIB(3, 3, 2, 4, 32), MQA(2, 16, 2, 32, repeat=2)], [Conv(1, 1, 64)]])
    model = MODELS.build(dict(type='MobileNetV4', arch=arch))
    assert [len(stage) for stage in model.blocks] == [1, 3, 1]
    assert model.blocks[1][2].attn.key.down_conv.stride == (2, 2)
    model.init_weights()  # the Runner's call: keeps the construction-time init working
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 1280)
    with pytest.raises(ValueError, match='only the first block of a stage'):
        MobileNetV4(dict(arch, stages=[[Conv(3, 2, 16), Conv(3, 2, 16)]]))
