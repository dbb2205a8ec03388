# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd: Plackett-Luce (PLD) and Kendall-tau (RKKD) ranking distillation for OpenMMLab.

``import mmkd`` checks the installed stack against :data:`SUPPORTED_STACK` and registers the ``mmkd`` config
scope with MMEngine (``_base_ = 'mmkd::...'``); mmkd's modules register themselves in the ``mmkd`` registries
when a config or :func:`mmkd.utils.register_all_modules` needs them. Nothing else changes in the process.
"""
from importlib import metadata
from typing import Callable, Optional

from .version import SUPPORTED_STACK, __version__, requirement

FIX_COMMAND = 'make test  (or: rm -rf .venv && tools/setup_env.sh), see README "Supported stack"'


def check_stack(get_version: Optional[Callable[[str], str]] = None) -> None:
    """Raise ImportError naming every installed vs. required version that does not fit.

    Args:
        get_version (Callable, optional): Returns the installed version of a distribution; defaults to
            :func:`importlib.metadata.version`.
    """
    get_version = get_version or metadata.version
    problems, installed = [], {}
    for dist in SUPPORTED_STACK:
        try:
            installed[dist] = get_version(dist)
        except metadata.PackageNotFoundError:
            problems.append(f'  {dist}: not installed, required {requirement(dist)}')
    if 'mmengine' in installed:
        from mmengine.utils import digit_version
        for dist, version in installed.items():
            low, high = SUPPORTED_STACK[dist]
            if not digit_version(low) <= digit_version(version) < digit_version(high):
                problems.append(f'  {dist}: installed {version}, required {requirement(dist)}')
    if problems:
        raise ImportError('mmkd cannot run on this OpenMMLab stack:\n' + '\n'.join(problems) +
                          '\n(the tested versions are pinned in requirements/constraints.txt)'
                          f'\nFix it with: {FIX_COMMAND}')


def _register_config_scope() -> None:
    """Let MMEngine's config parser resolve ``mmkd::<folder>/<file>.py`` to the configs shipped with mmkd."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmkd', 'mmkd')


check_stack()
_register_config_scope()

__all__ = ['__version__', 'check_stack', 'SUPPORTED_STACK']
