# Copyright (c) mmkd contributors. All rights reserved.
"""Packaging for mmkd: ranking-based logit distillation (PLD, RKKD) on OpenMMLab.

As mmdet does, the wheel carries the configs, the tools and the model index under ``mmkd/.mim/``, so that
``mmkd::<folder>/<config>.py`` names a shipped config after any ``pip install``. In a source checkout
``mmkd/.mim`` holds links to the repository's own folders instead.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
#: What ``mmkd/.mim`` holds (the layout mmengine's ``package::`` config lookup reads).
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')


def read_version_module() -> dict:
    """``mmkd/version.py`` run on its own (importing mmkd would need its dependencies)."""
    namespace = {}
    with open(osp.join(HERE, 'mmkd', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'mmkd/version.py', 'exec'), namespace)
    return namespace


def parse_requirements(name: str) -> list:
    """Read ``requirements/<name>.txt`` without comments and blank lines."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt'), encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


class BuildPyWithMim(build_py):
    """build_py that also copies configs/, tools/ and model-index.yml into the built package's ``.mim``."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # an editable install uses the checkout's own mmkd/.mim links
        mim = osp.join(self.build_lib, 'mmkd', '.mim')
        if osp.lexists(mim):
            shutil.rmtree(mim) if osp.isdir(mim) and not osp.islink(mim) else os.remove(mim)
        os.makedirs(mim)
        ignore = shutil.ignore_patterns('__pycache__', '*.pyc')
        for item in MIM_ITEMS:
            src = osp.join(HERE, item)
            if osp.isdir(src):
                shutil.copytree(src, osp.join(mim, item), ignore=ignore)
            else:
                shutil.copy(src, osp.join(mim, item))


version = read_version_module()
setup(
    name='mmkd',
    version=version['__version__'],
    description='Plackett-Luce and Kendall-tau ranking distillation for '
    'MMDetection and image classification on MMEngine',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'configs.*', 'tools', 'tools.*')),
    package_data={'mmkd.ops': ['csrc/*.cpp']},  # the C++ kernels, compiled on first use
    python_requires=version['PYTHON_REQUIRES'],
    # The supported ranges of the stack (mmkd/version.py), then the other runtime dependencies; the exact
    # versions of the tested environment are in requirements/constraints.txt.
    install_requires=[version['requirement'](dist) for dist in version['SUPPORTED_STACK']] +
    parse_requirements('runtime'),
    extras_require={'tests': parse_requirements('tests'), 'tensorboard': parse_requirements('tensorboard')},
    cmdclass={'build_py': BuildPyWithMim},
    zip_safe=False,
)
