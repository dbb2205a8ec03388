# Copyright (c) mmkd contributors. All rights reserved.
"""Loading full MMEngine checkpoints under torch >= 2.6.

torch 2.6 changed ``torch.load``'s default to ``weights_only=True``. mmengine 0.10.7 (its newest release)
calls ``torch.load(filename, map_location=...)`` without the argument, so every runner checkpoint - which
pickles the message hub (``HistoryBuffer``), numpy scalars and the config - fails to load:
``--resume``, ``load_from``, ``tools/test.py CONFIG CKPT`` and teacher checkpoints all break. Allow-listing
globals is not enough (numpy reconstruction and ``builtins.getattr`` are needed too).

The fix is deliberately narrow: only mmengine's loader for *local files* is replaced, by one that passes
``weights_only=False``, exactly as torch < 2.6 did, and only where mmkd loads checkpoints: inside
:func:`trusted_local_checkpoints` (mmkd's tools run training and testing in it; the distillers load their
teacher in it). ``import mmkd`` changes nothing: elsewhere in the process ``torch.load`` and mmengine keep
torch's safe default, and remote (http, s3, ...) checkpoints always do. As before torch 2.6, only load local
checkpoints you trust: unpickling can run code.
"""
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, Optional

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


@contextmanager
def trusted_local_checkpoints() -> Iterator[None]:
    """Inside the block, mmengine loads local checkpoint files with :func:`load_from_trusted_local`.

    Wrap what loads MMEngine checkpoints (``runner.train()`` with ``--resume`` or ``load_from``,
    ``runner.test()``) when driving a Runner from your own code; mmkd's tools and distillers already do. The
    loaders registered before are restored on exit, also on error; nesting is allowed.
    """
    saved = CheckpointLoader._schemes.copy()
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_trusted_local)
    try:
        yield
    finally:
        CheckpointLoader._schemes = saved
