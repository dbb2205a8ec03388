"""The supported stack (one source of truth, checked at import) and the scoped torch.load fix."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version
from packaging.requirements import Requirement

import mmkd
from mmkd.utils import load_from_trusted_local, trusted_local_checkpoints
from mmkd.version import SUPPORTED_STACK, requirement

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def fake_versions(**versions):
    real = {'torch': '2.13.0', 'mmengine': '0.10.7', 'mmcv': '2.1.0', 'mmdet': '3.3.0'}
    real.update(versions)
    return lambda dist: real[dist]


def test_stack_check_accepts_the_tested_stack():
    mmkd.check_stack(fake_versions())
    mmkd.check_stack(fake_versions(torch='2.4.1+cu121', mmcv='2.0.1'))


def test_wrong_mmcv_names_installed_required_and_fix():
    with pytest.raises(ImportError) as info:
        mmkd.check_stack(fake_versions(mmcv='2.2.0'))
    msg = str(info.value)
    assert 'mmcv: installed 2.2.0, required mmcv>=2.0.0,<2.2.0' in msg
    assert 'Fix it with: make test' in msg and 'torch' not in msg.split('\n')[1]
    with pytest.raises(ImportError, match=r'mmcv: installed 2.0.0rc4, required'):  # a pre-release is below 2.0.0
        mmkd.check_stack(fake_versions(mmcv='2.0.0rc4'))


def test_import_fails_clearly_in_a_process_with_a_wrong_mmcv():
    code = ('import importlib.metadata as m; real = m.version; '
            "m.version = lambda d: '1.7.2' if d == 'mmcv' else real(d); import mmkd")
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'mmcv: installed 1.7.2, required mmcv>=2.0.0,<2.2.0' in proc.stderr


# ---------------------------------------------------------------- one source of truth for versions
def test_setup_py_install_requires_are_the_supported_ranges(tmp_path):
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base', str(tmp_path)], cwd=ROOT,
                   check=True, capture_output=True)
    requires = (tmp_path / 'mmkd.egg-info' / 'requires.txt').read_text().split('\n\n')[0].split()
    declared = {req.name: req.specifier for req in map(Requirement, requires)}
    for dist in SUPPORTED_STACK:
        assert declared[dist] == Requirement(requirement(dist)).specifier, (dist, requires)
    assert not any('==' in line for line in requires), f'install_requires must not pin: {requires}'


def test_readme_stack_table_shows_the_supported_ranges():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        table = f.read().split('## Supported stack', 1)[1].split('\n\n', 2)[1]
    rows = {cells[0]: cells for cells in ([c.strip() for c in line.split('|')[1:-1]] for line in table.splitlines())}
    for dist in SUPPORTED_STACK:
        assert f'`{requirement(dist)}`' in rows[dist][2], (dist, rows[dist])


def test_constraints_pin_each_stack_package_inside_its_range():
    with open(osp.join(ROOT, 'requirements', 'constraints.txt')) as f:
        pins = dict(re.match(r'([\w.-]+)==(\S+)', line).groups() for line in f if '==' in line)
    for dist, (low, high) in SUPPORTED_STACK.items():
        assert dist in pins, f'requirements/constraints.txt does not pin {dist}'
        assert digit_version(low) <= digit_version(pins[dist]) < digit_version(high), (dist, pins[dist])
    # exact versions live only there: the other requirement files and setup.py give ranges
    for name in ('build.txt', 'runtime.txt', 'tests.txt'):
        with open(osp.join(ROOT, 'requirements', name)) as f:
            assert not [line for line in f if '==' in line.split('#')[0] and 'setuptools' not in line], name


# ---------------------------------------------------------------- the scoped checkpoint fix
def full_checkpoint(path):
    buffer = HistoryBuffer()
    buffer.update(1.0)
    torch.save(dict(state_dict=dict(w=torch.ones(2)), message_hub=dict(log_scalars=dict(loss=buffer)),
                    meta=dict(epoch=1, seed=torch.tensor(0).numpy())), path)
    return path


def test_full_runner_checkpoints_load_inside_the_context(tmp_path):
    path = full_checkpoint(str(tmp_path / 'ckpt.pth'))
    if digit_version(torch.__version__) >= digit_version('2.6.0'):
        with pytest.raises(Exception):
            torch.load(path)  # the default safe loader rejects it: the reason for the fix
        with pytest.raises(Exception):
            CheckpointLoader.load_checkpoint(path, map_location='cpu')  # mmengine outside the context
    with trusted_local_checkpoints():
        loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))
    assert torch.equal(load_from_trusted_local(path)['state_dict']['w'], torch.ones(2))


def test_context_is_scoped_to_local_files_and_restores():
    before = CheckpointLoader._get_checkpoint_loader('/some/file.pth')
    assert before is not load_from_trusted_local
    with trusted_local_checkpoints():
        assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is load_from_trusted_local
        remote = CheckpointLoader._get_checkpoint_loader('https://example.org/x.pth')
        assert remote is not load_from_trusted_local and remote.__module__ == 'mmengine.runner.checkpoint'
        with trusted_local_checkpoints():  # nesting
            pass
        assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is load_from_trusted_local
    assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is before
    with pytest.raises(RuntimeError):
        with trusted_local_checkpoints():
            raise RuntimeError('boom')
    assert CheckpointLoader._get_checkpoint_loader('/some/file.pth') is before


def test_import_mmkd_has_no_side_effect_on_checkpoint_loading(tmp_path):
    """In a fresh process, importing all of mmkd leaves torch.load and mmengine's loaders as they were."""
    path = full_checkpoint(str(tmp_path / 'ckpt.pth'))
    code = f'''
import torch
from mmengine.runner.checkpoint import CheckpointLoader
before = dict(CheckpointLoader._schemes)
import mmkd, mmkd.utils, mmkd.distillers, mmkd.losses, mmkd.models, mmkd.datasets, mmkd.engine, mmkd.evaluation
from mmkd.utils import register_all_modules
register_all_modules()
assert dict(CheckpointLoader._schemes) == before, 'mmengine checkpoint loaders changed by import'
try:
    torch.load({path!r})
except Exception as exc:
    print('SAFE', type(exc).__name__)
else:
    print('UNSAFE')
'''
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    if digit_version(torch.__version__) >= digit_version('2.6.0'):
        assert 'SAFE' in proc.stdout, proc.stdout


def test_missing_local_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_trusted_local(str(tmp_path / 'nope.pth'))
