"""The vision-transformer students of the RKKD paper's Table 4 (CIFAR-100, images resized to 224) against the
official code its numbers come from.

``tiny_transformers_reference.json`` was made from ``tiny-transformers`` as bundled in
sunshangquan/logit-standardization-KD (commit in its ``provenance``): each of the configs
``tiny-transformers/configs/{deit/deit-ti,t2t/t2t-7,pit/pit-ti,pvt/pvt-ti}_c100_base.yaml`` built with the
code's own ``build_model()`` (``pycls/models/transformers/{common,deit,t2t_vit,pit,pvt}.py``, defaults of
``pycls/core/config.py``: 224 inputs, LayerNorm eps 1e-6, no distillation token), its state dict's sorted
``[key, shape]`` list recorded, ``deterministic_state_dict`` of that list loaded strictly, and the eval-mode
logits for ``fixed_input(2, 224)`` recorded: in float64, except T2T-ViT-7 (float32: its Performer casts to
float32 and the official model does not run in float64). The script that did it ran beside that code, outside
this repository. The official checkpoints are ``{'model_state': state_dict, 'ema_state': ..., 'test_err': ...,
...}`` (``pycls/core/checkpoint.py``) with the classifier ``head``.
"""
import json
import os.path as osp
from collections import OrderedDict

import pytest
import torch
from mmengine.structures import BaseDataElement

import mmkd.models.backbones.deit  # noqa: F401
import mmkd.models.backbones.pit  # noqa: F401
import mmkd.models.backbones.pvt  # noqa: F401
import mmkd.models.backbones.t2t_vit  # noqa: F401
from mmkd.models.classifiers import LinearHeadClassifier
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules
from tests.fixtures.deterministic_weights import deterministic_state_dict, fixed_input, keys_and_shapes

register_all_modules()

with open(osp.join(osp.dirname(__file__), 'tiny_transformers_reference.json')) as f:
    REFERENCE = json.load(f)

#: the fixture's name -> (mmkd backbone, arch)
NETWORKS = {
    'deit_tiny': ('DeiT', 'tiny'),
    't2t_vit_7': ('T2TViT', 't2t-vit-7'),
    'pit_tiny': ('PiT', 'tiny'),
    'pvt_tiny': ('PVT', 'tiny'),
}
NAMES = list(NETWORKS)


def build(name: str, **kwargs) -> LinearHeadClassifier:
    backbone, arch = NETWORKS[name]
    return MODELS.build(
        dict(type='LinearHeadClassifier', backbone=dict(type=backbone, arch=arch, **kwargs), num_classes=100))


def official_state_dict(name: str) -> 'OrderedDict[str, torch.Tensor]':
    """The deterministic weights in the official model's keys."""
    return deterministic_state_dict(REFERENCE['models'][name]['keys_and_shapes'])


def to_official(state_dict: dict) -> 'OrderedDict[str, torch.Tensor]':
    """mmkd's classifier keys -> the official network's (``fc`` -> ``head``, ``backbone.`` dropped)."""
    return OrderedDict(('head' + k[2:] if k.startswith('fc.') else k[len('backbone.'):], v)
                       for k, v in state_dict.items())


@pytest.fixture(scope='module')
def loaded():
    """Each network in eval mode, the official deterministic weights loaded through the checkpoint conversion."""
    torch.manual_seed(0)
    models = {}
    for name in NAMES:
        model = build(name).eval()
        assert model.backbone.head_key == 'head'
        converted = LinearHeadClassifier.convert_state_dict(official_state_dict(name), 'head')
        model.load_state_dict(converted, strict=True)
        models[name] = model
    return models


def test_reference_provenance():
    prov = REFERENCE['provenance']
    assert prov['repo'].endswith('sunshangquan/logit-standardization-KD') and len(prov['commit']) == 40
    assert sorted(REFERENCE['models']) == sorted(NAMES)
    for name, (backbone, _) in NETWORKS.items():
        assert REFERENCE['models'][name]['model_type'] == backbone  # the official class name is the same


@pytest.mark.parametrize('name', NAMES)
def test_keys_and_shapes_match_official(name):
    model = build(name)
    official = OrderedDict(
        (k, torch.empty(shape, device='meta')) for k, shape in REFERENCE['models'][name]['keys_and_shapes'])
    converted = LinearHeadClassifier.convert_state_dict(official, 'head')
    want = {k: list(v.shape) for k, v in converted.items()}
    got = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(want) - set(got)) == [], 'official keys missing in mmkd'
    assert sorted(set(got) - set(want)) == [], 'mmkd keys absent from the official model'
    assert want == got
    assert keys_and_shapes(to_official(model.state_dict())) == REFERENCE['models'][name]['keys_and_shapes']
    # parameter counts (with the head), and what is trained: T2T's sinusoid table and Performer projections not
    ref = REFERENCE['models'][name]
    assert sum(p.numel() for p in model.parameters()) == ref['num_params']
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == ref['num_trainable_params']


@pytest.mark.parametrize('name', NAMES)
def test_logits_match_official(name, loaded):
    ref = REFERENCE['models'][name]
    model = loaded[name]
    want = torch.tensor(ref['logits'], dtype=torch.float64)
    if ref['dtype'] == 'float64':
        # the same arithmetic in float64: only the order of sums (BLAS, threads, versions) may differ
        with torch.no_grad():
            got = model.double()(fixed_input(2, 224).double())
        model.float()
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
    else:
        # T2T-ViT's Performer is float32 by construction; float32 rounding of these logits is ~1e-6
        assert name == 't2t_vit_7' and ref['dtype'] == 'float32'
        with torch.no_grad():
            got = model(fixed_input(2, 224))
        assert got.dtype == torch.float32
        torch.testing.assert_close(got.double(), want, rtol=0, atol=1e-5)


def test_pvt_resizes_position_embeddings_as_official(loaded):
    """An input of another size than ``img_size``: every stage's position embedding resized bilinearly."""
    model = loaded['pvt_tiny']
    with torch.no_grad():
        got = model.double()(fixed_input(2, 160).double())
    model.float()
    want = torch.tensor(REFERENCE['models']['pvt_tiny']['logits_input_160'], dtype=torch.float64)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-10)


def test_t2t_fixed_parameters_as_official():
    ref = REFERENCE['models']['t2t_vit_7']['sinusoid_pos_embed']
    backbone = build('t2t_vit_7').backbone
    pos_embed = backbone.pos_embed
    assert list(pos_embed.shape) == ref['shape'] and pos_embed.dtype == torch.float32
    assert pos_embed.requires_grad is ref['requires_grad'] is False
    torch.testing.assert_close(pos_embed[0, ref['rows']].double(), torch.tensor(ref['values'], dtype=torch.float64),
                               rtol=0, atol=1e-7)
    assert pos_embed.double().sum().item() == pytest.approx(ref['sum'], abs=1e-4)
    assert pos_embed.double().abs().sum().item() == pytest.approx(ref['abs_sum'], abs=1e-4)
    for layer in backbone.t2t_module.attention:
        w = layer.attn.w
        assert w.requires_grad is ref['w_requires_grad'] is False
        # orthogonal rows scaled to norm sqrt(m)
        torch.testing.assert_close(w @ w.t(), layer.attn.m * torch.eye(layer.attn.m), rtol=0, atol=1e-4)


def _official_checkpoint(name: str):
    """A reference model with random weights and a checkpoint of it in the official layout."""
    torch.manual_seed(1)
    ref = build(name).eval()
    with torch.no_grad():
        for value in ref.state_dict().values():
            value.copy_(torch.randn_like(value) * 0.05)
    other = {k: torch.zeros_like(v) for k, v in to_official(ref.state_dict()).items()}
    checkpoint = {
        'epoch': 299, 'test_err': 30.63, 'ema_err': 99.0, 'model_state': to_official(ref.state_dict()),
        'ema_state': other, 'optimizer_state': {}, 'cfg': 'MODEL:\n  TYPE: T2TViT\n'
    }
    return ref, checkpoint


def test_official_checkpoint_loads_as_teacher(tmp_path):
    """``{'model_state': ...}`` of ``pycls/core/checkpoint.py``: T2T-ViT-7, whose frozen parameters (sinusoid
    ``pos_embed``, Performer ``w``) are in the state dict and must load too."""
    ref, checkpoint = _official_checkpoint('t2t_vit_7')
    path = str(tmp_path / 'model.pyth')
    torch.save(checkpoint, path)
    distiller = MODELS.build(
        dict(
            type='ClassificationDistiller',
            student=dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'),
                         num_classes=100),
            teacher=dict(type='LinearHeadClassifier', backbone=dict(type='T2TViT', arch='t2t-vit-7'),
                         num_classes=100),
            teacher_ckpt=path,
            distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0))))
    distiller.load_teacher()
    assert distiller.teacher_loaded
    loaded = distiller.teacher.state_dict()
    for key, value in ref.state_dict().items():
        assert torch.equal(loaded[key], value), key
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(distiller.teacher(x), ref(x), rtol=0, atol=0)


@pytest.mark.parametrize('name', NAMES)
def test_training_step(name):
    """Batch 2 at 224 on CPU, drop path 0.1 as in the official configs: a finite loss, a gradient for every
    trainable parameter, and an SGD step that moves them (and not the frozen ones)."""
    torch.manual_seed(0)
    model = build(name).train()
    x = torch.randn(2, 3, 224, 224)
    samples = [BaseDataElement(gt_label=torch.tensor([label])) for label in (3, 97)]
    loss = model(x, samples, mode='loss')['loss_cls']
    assert torch.isfinite(loss)
    loss.backward()
    trainable = {k: p for k, p in model.named_parameters() if p.requires_grad}
    frozen = {k: p for k, p in model.named_parameters() if not p.requires_grad}
    no_grad = [k for k, p in trainable.items() if p.grad is None or not p.grad.abs().sum() > 0]
    assert no_grad == []
    assert all(torch.isfinite(p.grad).all() for p in trainable.values())
    assert all(p.grad is None for p in frozen.values())
    assert sorted(frozen) == ([
        'backbone.pos_embed', 'backbone.t2t_module.attention.0.attn.w', 'backbone.t2t_module.attention.1.attn.w'
    ] if name == 't2t_vit_7' else [])
    before = {k: p.detach().clone() for k, p in model.named_parameters()}
    torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1).step()
    unchanged = [k for k, p in trainable.items() if torch.equal(p, before[k])]
    assert unchanged == []
    assert all(torch.equal(p, before[k]) for k, p in frozen.items())


@pytest.mark.parametrize('name,size', [('deit_tiny', 32), ('t2t_vit_7', 32), ('pit_tiny', 32), ('pvt_tiny', 32),
                                       ('deit_tiny', 64), ('pit_tiny', 64)])
def test_other_img_size(name, size):
    model = build(name, img_size=size).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, size, size)).shape == (1, 100)
    if name in ('deit_tiny', 't2t_vit_7'):  # a fixed position embedding: the input must have img_size
        with pytest.raises(ValueError, match=f'img_size={size}'):
            model(torch.randn(1, 3, 2 * size, 2 * size))


@pytest.mark.parametrize('name', NAMES)
def test_unknown_arch_lists_the_valid_ones(name):
    backbone, arch = NETWORKS[name]
    with pytest.raises(ValueError, match=rf"{backbone}: unknown arch 'small'.*'{arch}'"):
        MODELS.build(dict(type=backbone, arch='small'))


def test_arch_as_a_dict():
    deit = MODELS.build(
        dict(type='DeiT', arch=dict(patch_size=8, embed_dims=48, depth=2, num_heads=2, mlp_ratio=2, qkv_bias=False),
             img_size=32))
    assert deit.out_channels == 48 and len(deit.layers) == 2 and deit.pos_embed.shape == (1, 17, 48)
    assert deit.layers[0].attn.qkv_transform.bias is None
    assert deit(torch.randn(2, 3, 32, 32)).shape == (2, 48)
    with pytest.raises(ValueError, match='a dict with'):
        MODELS.build(dict(type='PVT', arch=dict(embed_dims=(8, 16))))


@pytest.mark.parametrize('name', NAMES)
def test_head_init_cfg_initialises_fc_as_official(name):
    backbone, arch = NETWORKS[name]
    head_init_cfg = MODELS.get(backbone).head_init_cfg
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='LinearHeadClassifier', backbone=dict(type=backbone, arch=arch), num_classes=100,
             init_cfg=head_init_cfg))
    backbone_before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    model.init_weights()
    assert all(torch.equal(v, backbone_before[k]) for k, v in model.backbone.state_dict().items())
    weight, bias = model.fc.weight, model.fc.bias
    if name == 'deit_tiny':  # zeros
        assert not weight.any() and not bias.any()
    elif name == 't2t_vit_7':  # normal, std 0.02
        assert not bias.any() and 0.018 < weight.std() < 0.022
    elif name == 'pvt_tiny':  # truncated normal, std 0.02
        assert not bias.any() and 0.018 < weight.std() < 0.022 and weight.abs().max() <= 2.
    else:  # PyTorch's default (uniform, bound 1 / sqrt(fan_in))
        assert head_init_cfg is None and weight.abs().max() <= 256**-0.5


def test_names_are_not_mmpretrain_or_mmdet_names():
    import mmdet.registry as mmdet_registry
    with open(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'fixtures',
                       'registered_names_mmpretrain.json')) as f:
        theirs = set().union(*json.load(f)['names'].values())
    for backbone, _ in NETWORKS.values():
        assert backbone not in theirs and backbone not in mmdet_registry.MODELS.module_dict
        assert MODELS.get(backbone).__module__.startswith('mmkd.models.backbones.')
