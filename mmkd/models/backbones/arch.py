# Copyright (c) mmkd contributors. All rights reserved.
"""The ``arch=`` idiom of mmpretrain's backbones: a named setting of ``arch_settings`` or a dict of its own."""
from typing import Sequence, Union

from torch import nn


def resolve_arch(backbone: nn.Module, arch: Union[str, dict], keys: Sequence[str]) -> dict:
    """The settings an ``arch`` argument stands for.

    Args:
        backbone (nn.Module): The backbone being built; its class has an ``arch_settings`` dict.
        arch (str | dict): A key of ``arch_settings``, or a dict with every one of ``keys``.
        keys (Sequence[str]): The settings the backbone needs.

    Returns:
        dict: The settings (a copy).
    """
    name = type(backbone).__name__
    if isinstance(arch, str):
        if arch not in backbone.arch_settings:
            raise ValueError(f'{name}: unknown arch {arch!r}; choose one of {sorted(backbone.arch_settings)} or give '
                             f'a dict with {list(keys)}.')
        return dict(backbone.arch_settings[arch])
    if not isinstance(arch, dict) or not set(keys) <= set(arch):
        raise ValueError(f'{name}: arch must be one of {sorted(backbone.arch_settings)} or a dict with {list(keys)}, '
                         f'got {arch!r}.')
    return dict(arch)
