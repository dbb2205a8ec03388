"""mmkd's ViT against timm's own definitions (``timm_reference.json``, written by
``tests/fixtures/make_timm_fixtures.py`` from timm 1.0.31): identical state-dict keys and shapes for ViT-S/B/L
with 16-pixel patches, timm's logits for deterministic weights loaded through mmkd's checkpoint conversion, timm
/ Hugging Face checkpoint files (``.pth`` and ``.safetensors``) loading strictly as a teacher, and a training
step on CPU."""
import json
import os.path as osp

import pytest
import torch
from safetensors.torch import save_file

from mmkd.models.classifiers import LinearHeadClassifier
from mmkd.registry import MODELS
from tests.fixtures.deterministic_weights import deterministic_state_dict, fixed_input

with open(osp.join(osp.dirname(__file__), 'timm_reference.json')) as f:
    REFERENCE = json.load(f)
VITS = {name: entry for name, entry in REFERENCE['networks'].items() if entry['backbone'] == 'ViT'}


def classifier(arch: str, **kwargs) -> LinearHeadClassifier:
    return MODELS.build(
        dict(type='LinearHeadClassifier', backbone=dict(type='ViT', arch=arch, patch_size=16, **kwargs),
             num_classes=1000))


def test_reference_covers_every_arch():
    assert sorted(entry['arch'] for entry in VITS.values()) == ['base', 'large', 'small']


@pytest.mark.parametrize('name', sorted(VITS))
def test_keys_and_shapes_equal_timm(name):
    entry = VITS[name]
    with torch.device('meta'):
        model = classifier(entry['arch'])
    want = LinearHeadClassifier.convert_state_dict(
        {k: torch.empty(shape, device='meta') for k, shape in entry['keys']}, 'head')
    got = model.state_dict()
    assert sorted(set(want) - set(got)) == [], 'timm keys missing in mmkd'
    assert sorted(set(got) - set(want)) == [], 'mmkd keys absent from timm'
    assert {k: list(v.shape) for k, v in got.items()} == {k: list(v.shape) for k, v in want.items()}
    assert sum(p.numel() for p in model.parameters()) == entry['params']


def _timm_layout(name: str):
    return deterministic_state_dict(VITS[name]['keys'])


def test_logits_equal_timm():
    name = 'vit_small_patch16_224'
    model = classifier('small').eval()
    model.load_state_dict(LinearHeadClassifier.convert_state_dict(_timm_layout(name), 'head'), strict=True)
    model.double()
    with torch.no_grad():
        logits = model(fixed_input(**REFERENCE['input']).double())
    expected = torch.tensor(VITS[name]['logits'], dtype=torch.float64)
    torch.testing.assert_close(logits, expected, rtol=1e-6, atol=1e-6 * expected.abs().max().item())


def _distiller(path: str, arch: str = 'small'):
    backbone = dict(type='ViT', arch=arch, patch_size=16)
    return MODELS.build(
        dict(type='ClassificationDistiller',
             student=dict(type='LinearHeadClassifier', backbone=dict(backbone, arch='small'), num_classes=1000),
             teacher=dict(type='LinearHeadClassifier', backbone=backbone, num_classes=1000),
             teacher_ckpt=path,
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                                    std=[58.395, 57.12, 57.375]),
             distill_losses=dict(loss_kd=dict(type='KDLoss', tau=1.0))))


@pytest.mark.parametrize('suffix', ['.safetensors', '.pth'])
def test_timm_checkpoint_loads_strictly_as_teacher(suffix, tmp_path):
    name = 'vit_small_patch16_224'
    state = _timm_layout(name)
    path = str(tmp_path / f'model{suffix}')
    if suffix == '.safetensors':  # the Hugging Face hub's model.safetensors: a bare state dict
        save_file(state, path)
    else:  # a timm training checkpoint
        torch.save(dict(state_dict=state, epoch=300, arch=name), path)
    model = _distiller(path)
    model.load_teacher()
    assert model.teacher_loaded
    with torch.no_grad():
        logits = model.teacher.double()(fixed_input(**REFERENCE['input']).double())
    expected = torch.tensor(VITS[name]['logits'], dtype=torch.float64)
    torch.testing.assert_close(logits, expected, rtol=1e-6, atol=1e-6 * expected.abs().max().item())


def test_timm_checkpoint_of_another_size_fails_naming_the_shapes(tmp_path):
    path = str(tmp_path / 'model.safetensors')
    save_file(_timm_layout('vit_small_patch16_224'), path)
    model = _distiller(path, arch='base')
    with pytest.raises(RuntimeError, match=r'shape mismatches.*cls_token: checkpoint \(1, 1, 384\) vs model '
                       r'\(1, 1, 768\)'):
        model.load_teacher()


def test_training_step_at_a_small_input():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='LinearHeadClassifier',
             backbone=dict(type='ViT', arch=dict(embed_dims=64, num_layers=2, num_heads=4, mlp_ratio=2.0),
                           img_size=32, patch_size=8, drop_path_rate=0.1, drop_rate=0.1),
             num_classes=10))
    model.train()
    inputs = torch.randn(2, 3, 32, 32)
    from mmengine.structures import BaseDataElement
    samples = [BaseDataElement(gt_label=torch.tensor([i])) for i in range(2)]
    losses = model(inputs, samples, mode='loss')
    assert torch.isfinite(losses['loss_cls'])
    losses['loss_cls'].backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert missing == []
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert all(not torch.equal(before[n], p) for n, p in model.named_parameters())


def test_other_input_sizes_resize_the_position_embedding():
    model = classifier('small').eval()
    grid = model.backbone.position_embedding((7, 7))
    assert grid.shape == (1, 1 + 49, 384)
    assert torch.equal(grid[:, :1], model.backbone.pos_embed[:, :1])  # the class token's is kept
    with torch.no_grad():
        assert model(torch.randn(1, 3, 112, 112)).shape == (1, 1000)
    assert model.backbone.position_embedding((14, 14)) is model.backbone.pos_embed


def test_bad_arch_and_sizes_are_refused():
    with pytest.raises(ValueError, match=r"unknown arch 'huge'.*'base', 'large', 'small', 'tiny'"):
        MODELS.build(dict(type='ViT', arch='huge'))
    with pytest.raises(ValueError, match='not a multiple of patch_size'):
        MODELS.build(dict(type='ViT', arch='small', img_size=100, patch_size=16))
