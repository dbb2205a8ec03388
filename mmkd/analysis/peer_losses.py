# Copyright (c) mmkd contributors. All rights reserved.
"""The peers' own loss code, loaded from the user's copy for a side-by-side benchmark (nothing of it ships with mmkd).

- MMRazor 1.0.0 (``pip download mmrazor==1.0.0 --no-deps`` and unzip the wheel): ``mmrazor/models/losses/
  kl_divergence.py``, ``decoupled_kd.py`` and ``dist_loss.py`` are executed on their own with a stand-in for
  ``mmrazor.registry`` (the package itself does not import beside torch >= 2.x's mmcv).
- mdistiller (a clone of megvii-research/mdistiller): the functions ``kd_loss`` of ``mdistiller/distillers/KD.py``
  and ``dkd_loss`` (with its helpers) of ``DKD.py`` are compiled from their source on their own (the modules import
  the training framework).

:data:`PEER_PAIRS` lists what is compared: the peer's loss and the mmkd loss with the same convention (same value).
"""
import ast
import os.path as osp
import sys
import types
from typing import Callable, Dict, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

MMRAZOR_FILES = ('kl_divergence.py', 'decoupled_kd.py', 'dist_loss.py')
MDISTILLER_FUNCTIONS = {'KD.py': ('kd_loss', ), 'DKD.py': ('dkd_loss', '_get_gt_mask', '_get_other_mask', 'cat_mask')}


class PeerPair(NamedTuple):
    """A peer's loss and mmkd's equal loss: ``peer(root_objects) -> callable(s, t, y)`` and mmkd's config."""
    peer: str  # 'mmrazor' or 'mdistiller'
    name: str  # the peer's name of the loss
    make_peer: Callable[[dict], Callable]
    mmkd_cfg: dict


def _stub_registry() -> types.ModuleType:
    """A stand-in for ``mmrazor.registry`` whose ``MODELS.register_module()`` returns the class unchanged."""
    class Registry:

        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    module = types.ModuleType('mmrazor.registry')
    module.MODELS = Registry()
    return module


def load_mmrazor_losses(root: str) -> Dict[str, type]:
    """The loss classes of MMRazor's files under ``root`` (the unzipped wheel or a checkout)."""
    folder = osp.join(root, 'mmrazor', 'models', 'losses')
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder} not found: give the folder holding mmrazor/ (the unzipped mmrazor-1.0.0 '
                                'wheel or a checkout).')
    saved = {k: sys.modules.get(k) for k in ('mmrazor', 'mmrazor.registry')}
    sys.modules['mmrazor'] = types.ModuleType('mmrazor')
    sys.modules['mmrazor.registry'] = _stub_registry()
    classes = {}
    try:
        for name in MMRAZOR_FILES:
            path = osp.join(folder, name)
            namespace = {'__name__': f'mmrazor_peer_{name[:-3]}'}
            exec(compile(open(path, encoding='utf-8').read(), path, 'exec'), namespace)
            classes.update({k: v for k, v in namespace.items() if isinstance(v, type) and issubclass(v, nn.Module)})
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
    return classes


def load_mdistiller_losses(root: str) -> Dict[str, Callable]:
    """``kd_loss`` and ``dkd_loss`` of mdistiller's distillers under ``root`` (a clone)."""
    functions = {}
    for file, names in MDISTILLER_FUNCTIONS.items():
        path = osp.join(root, 'mdistiller', 'distillers', file)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found: give the root of a megvii-research/mdistiller clone.')
        tree = ast.parse(open(path, encoding='utf-8').read(), path)
        body = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
        namespace = {'torch': torch, 'nn': nn, 'F': F}
        exec(compile(ast.Module(body=body, type_ignores=[]), path, 'exec'), namespace)
        functions.update({name: namespace[name] for name in names if name in namespace})
    return functions


#: tau 4, DKD alpha 1 / beta 8 (the CIFAR settings), DIST beta = gamma = 1 with tau 4; the reductions the peers use
PEER_PAIRS = [
    PeerPair('mmrazor', 'KLDivergence', lambda c: (lambda s, t, y, m=c['KLDivergence'](tau=4.0): m(s, t)),
             dict(type='KDLoss', tau=4.0)),
    PeerPair('mmrazor', 'DKDLoss',
             lambda c: (lambda s, t, y, m=c['DKDLoss'](tau=4.0, alpha=1.0, beta=8.0): m(s, t, y)),
             dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=0)),
    PeerPair('mmrazor', 'DISTLoss',
             lambda c: (lambda s, t, y, m=c['DISTLoss'](inter_loss_weight=1.0, intra_loss_weight=1.0, tau=4.0):
                        m(s, t)), dict(type='DISTLoss', beta=1.0, gamma=1.0, tau=4.0)),
    PeerPair('mdistiller', 'kd_loss', lambda f: (lambda s, t, y: f['kd_loss'](s, t, 4.0)),
             dict(type='KDLoss', tau=4.0)),
    PeerPair('mdistiller', 'dkd_loss', lambda f: (lambda s, t, y: f['dkd_loss'](s, t, y, 1.0, 8.0, 4.0)),
             dict(type='DKDLoss', alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=0)),
]
LOADERS = {'mmrazor': load_mmrazor_losses, 'mdistiller': load_mdistiller_losses}
