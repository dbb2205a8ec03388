# Copyright (c) mmkd contributors. All rights reserved.
"""Packaging for mmkd: ranking-based logit distillation (PLD, RKKD) on OpenMMLab."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    with open(osp.join(HERE, 'mmkd', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(name: str) -> list:
    """Read ``requirements/<name>.txt`` without comments and blank lines."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt'), encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='mmkd',
    version=get_version(),
    description='Plackett-Luce and Kendall-tau ranking distillation for '
    'MMDetection and image classification on MMEngine',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read()
    if osp.exists(osp.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    python_requires='>=3.8',
    # torch: any >= 2.1 (2.13.0 is the tested CPU build, see requirements/build.txt).
    install_requires=['torch>=2.1'] + parse_requirements('runtime'),
    extras_require={'tests': parse_requirements('tests')},
    zip_safe=False,
)
