# Copyright (c) mmkd contributors. All rights reserved.
__version__ = '0.1.0'

#: The stack mmkd supports: distribution -> (lowest allowed, first disallowed). This is the one source of the
#: ranges: setup.py's ``install_requires`` and the import-time check (``mmkd.check_stack``) read it, the README's
#: stack table shows it (a test keeps them equal). The exact versions of the tested environment are pinned in
#: requirements/constraints.txt and nowhere else. mmdet 3.3.0 itself asserts 2.0.0rc4 <= mmcv < 2.2.0 and
#: 0.7.1 <= mmengine < 1.0.0.
SUPPORTED_STACK = {
    'torch': ('2.1.0', '3.0.0'),
    'mmengine': ('0.10.0', '1.0.0'),
    'mmcv': ('2.0.0', '2.2.0'),
    'mmdet': ('3.3.0', '3.4.0'),
}
PYTHON_REQUIRES = '>=3.8'


def requirement(dist: str) -> str:
    """The pip requirement of a stack package, e.g. ``'mmcv>=2.0.0,<2.2.0'``."""
    low, high = SUPPORTED_STACK[dist]
    return f'{dist}>={low},<{high}'
