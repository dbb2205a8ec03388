"""tools/analysis_tools/get_flops.py: MMEngine's counter with fused attention counted, checked against the
multiply-adds of ViT-S/16 written out; input sizes read from the configs; the command line."""
import os.path as osp
import runpy

import pytest
from mmengine.config import Config

from .utils import ROOT, run_tool

TOOL = runpy.run_path(osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py'))
VIT_S = 'configs/vanilla/vit-s-p16_lamb_8xb256-100e_in1k.py'


def vit_multiply_adds(dim=384, depth=12, patch=16, size=224, classes=1000):
    """Patch projection, per block qkv + projection + MLP (12 N D^2) and the two attention products (2 N^2 D),
    the classifier on the class token, and MMEngine's 5 FLOPs per element of each of the 2 depth + 1 LayerNorms."""
    patches = (size // patch)**2
    tokens = patches + 1
    layer_norms = (2 * depth + 1) * tokens * dim * 5
    return (patches * dim * 3 * patch * patch + depth * (12 * tokens * dim**2 + 2 * tokens**2 * dim) + dim * classes +
            layer_norms)


def test_vit_flops_count_the_fused_attention():
    result = TOOL['complexity'](Config.fromfile(VIT_S))
    assert result['shape'] == (3, 224, 224)
    assert result['flops'] == vit_multiply_adds()
    assert result['params'] == 22050664  # timm's vit_small_patch16_224 (tests/test_models/timm_reference.json)


def test_input_size_comes_from_the_config():
    assert TOOL['evaluation_size'](Config.fromfile('configs/vanilla/r56_1xb64-240e_cifar100.py')) == (32, 32)
    assert TOOL['evaluation_size'](Config.fromfile('configs/vanilla/deit-t-p16_adamw_1xb128-300e_cifar100.py')) \
        == (224, 224)
    assert TOOL['evaluation_size'](Config.fromfile('configs/vanilla/r50_lamb_8xb256-100e_in1k.py')) == (224, 224)


def test_command_line_measures_student_or_teacher():
    proc = run_tool('tools/analysis_tools/get_flops.py', 'configs/kd/kd_vit-l-p16_vit-s-p16_lamb_8xb256-100e_in1k.py',
                    '--markdown', '--shape', '112', '112')
    rows = [line for line in proc.stdout.splitlines() if line.startswith('| `configs')]
    assert len(rows) == 1 and '| 3x112x112 | 22.05 |' in rows[0]
    assert 'Unsupported operator' not in proc.stdout + proc.stderr  # MMEngine's warnings only with --verbose
    proc = run_tool('tools/analysis_tools/get_flops.py', 'configs/vanilla/pit-t_adamw_1xb128-300e_cifar100.py',
                    '--teacher')
    assert '4.62 M parameters' in proc.stdout  # not a distiller: the model itself


def test_unknown_input_size_asks_for_shape():
    cfg = Config.fromfile(VIT_S)
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'), dict(type='PackClsInputs')]
    with pytest.raises(ValueError, match='pass --shape H W'):
        TOOL['evaluation_size'](cfg)
