# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd: Plackett-Luce (PLD) and Kendall-tau (RKKD) ranking distillation for OpenMMLab."""
import re
from importlib import metadata
from typing import Callable, Dict, Optional, Tuple

from .version import __version__

#: distribution -> (lowest allowed, first disallowed, the tested pin). mmdet 3.3.0 itself asserts
#: 2.0.0rc4 <= mmcv < 2.2.0 and 0.7.1 <= mmengine < 1.0.0.
REQUIRED_STACK: Dict[str, Tuple[str, str, str]] = {
    'torch': ('2.1.0', '3.0.0', '2.13.0'),
    'mmengine': ('0.10.0', '1.0.0', '0.10.7'),
    'mmcv': ('2.0.0', '2.2.0', '2.1.0'),
    'mmdet': ('3.3.0', '3.4.0', '3.3.0'),
}
FIX_COMMAND = 'make test  (or: rm -rf .venv && tools/setup_env.sh), see README "Install"'


def _release(version: str) -> Tuple[int, ...]:
    """(major, minor, patch) of a version string such as '2.13.0+cpu' or '2.0.0rc4'."""
    match = re.match(r'(\d+)(?:\.(\d+))?(?:\.(\d+))?', version)
    if match is None:
        return (0, 0, 0)
    return tuple(int(part or 0) for part in match.groups())


def check_stack(get_version: Optional[Callable[[str], str]] = None) -> None:
    """Raise ImportError naming every installed vs. required version that does not fit.

    Args:
        get_version (Callable, optional): Returns the installed version of a distribution; defaults to
            :func:`importlib.metadata.version`.
    """
    get_version = get_version or metadata.version
    problems = []
    for dist, (low, high, pin) in REQUIRED_STACK.items():
        try:
            installed = get_version(dist)
        except metadata.PackageNotFoundError:
            problems.append(f'  {dist}: not installed, required {dist}=={pin} (>={low},<{high})')
            continue
        if not _release(low) <= _release(installed) < _release(high):
            problems.append(f'  {dist}: installed {installed}, required {dist}=={pin} (>={low},<{high})')
    if problems:
        raise ImportError('mmkd cannot run on this OpenMMLab stack:\n' + '\n'.join(problems) +
                          f'\nFix it with: {FIX_COMMAND}')


check_stack()

from .utils.checkpoint import register_trusted_local_loader  # noqa: E402

register_trusted_local_loader()

__all__ = ['__version__', 'check_stack', 'REQUIRED_STACK']
