# Copyright (c) mmkd contributors. All rights reserved.
"""Configs shipped with mmkd (``mmkd::``) and ``cfg_path``: a model taken from another config file.

mmkd packages its configs as mmdet does (``mmkd/.mim/configs``), so ``mmkd::kd/kd_r32x4_r8x4_1xb64-240e_cifar100.py``
names a shipped config after any ``pip install``, from any working directory. In a source checkout,
``mmkd/.mim`` links to the repository's ``configs/``.
"""
import os.path as osp

from mmengine.config import Config, ConfigDict
from mmengine.hub import get_config

#: The mim folder of the installed package: configs/, tools/ and model-index.yml.
MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim')


def package_config_path(path: str) -> str:
    """The file of a shipped config: ``'mmkd::a/b.py'`` or ``'a/b.py'`` -> ``<mmkd>/.mim/configs/a/b.py``."""
    rel = path.split('::', 1)[1] if '::' in path else path
    found = osp.join(MIM_ROOT, 'configs', rel)
    if not osp.isfile(found):
        raise FileNotFoundError(f'{path}: mmkd ships no config {rel} (looked in {osp.join(MIM_ROOT, "configs")}).')
    return found


def load_config(path: str) -> Config:
    """A config file: ``mmkd::...`` (shipped with mmkd), ``mmdet::...`` (shipped with another OpenMMLab package)
    or a path, absolute or relative to the working directory."""
    if path.startswith('mmkd::'):
        return Config.fromfile(package_config_path(path))
    if '::' in path:
        return get_config(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'cfg_path {path} not found (relative paths start at the working directory '
                                f'{osp.abspath(".")}); name a shipped config as "mmkd::<folder>/<file>.py" or '
                                '"mmdet::<folder>/<file>.py".')
    return Config.fromfile(path)


def resolve_cfg_path(cfg: dict) -> ConfigDict:
    """``dict(cfg_path=PATH, **overrides)`` -> the ``model`` of the config PATH with ``overrides`` merged in (as
    MMRazor does); a config without ``cfg_path`` is returned as a ConfigDict."""
    cfg = cfg.to_dict() if isinstance(cfg, ConfigDict) else dict(cfg)
    path = cfg.pop('cfg_path', None)
    if path is None:
        return ConfigDict(cfg)  # mmdet reads train_cfg / test_cfg by attribute
    model = load_config(path).model
    model = model.to_dict() if isinstance(model, ConfigDict) else dict(model)
    return ConfigDict(Config._merge_a_into_b(cfg, model))
