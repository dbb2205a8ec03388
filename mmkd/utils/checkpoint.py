# Copyright (c) mmkd contributors. All rights reserved.
"""Loading full MMEngine checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load``'s default to ``weights_only=True``. mmengine 0.10.7 (its newest release)
calls ``torch.load(filename, map_location=...)`` without the argument, so every runner checkpoint - which
pickles the message hub (``HistoryBuffer``), numpy scalars and the config - fails to load:
``--resume``, ``load_from``, ``tools/test.py CONFIG CKPT`` and teacher checkpoints all break. Allow-listing
globals is not enough (numpy reconstruction and ``builtins.getattr`` are needed too).

The fix is deliberately narrow: only mmengine's loader for *local files* is replaced, by one that passes
``weights_only=False``, exactly as torch < 2.6 did. Remote (http, s3, ...) checkpoints keep torch's safe
default. As before torch 2.6, only load local checkpoints you trust: unpickling can run code.
"""
import os.path as osp
from typing import Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_from_trusted_local(filename: str, map_location: Optional[str] = None) -> dict:
    """Load a local checkpoint file written by MMEngine / PyTorch.

    Args:
        filename (str): Path of the file (``~`` is expanded).
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_trusted_local_loader() -> None:
    """Make :func:`load_from_trusted_local` (logged as the "trusted_local" backend) mmengine's loader for local paths (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_trusted_local)
