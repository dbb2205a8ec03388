"""Every config under configs/ builds its model (no data, no checkpoints) and uses mmkd's default scope."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmkd.registry import MODELS

CONFIGS = sorted(
    path for path in glob.glob('configs/**/*.py', recursive=True)
    if '_base_' not in path.split(osp.sep)[:-1])  # files inside any _base_ folder are fragments


def test_configs_found():
    assert len(CONFIGS) > 100
    assert 'configs/imagenet/kd_rkkd/r50_mv1.py' in CONFIGS
    assert not any('/_base_/' in path for path in CONFIGS)


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIGS)
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == 'mmkd', f'{path}: default_scope is {cfg.get("default_scope")!r}'
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
