"""The import-time stack check and the scoped torch.load fix."""
import subprocess
import sys

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

import mmkd
from mmkd.utils import load_from_trusted_local


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
    assert 'mmcv: installed 2.2.0, required mmcv==2.1.0 (>=2.0.0,<2.2.0)' in msg
    assert 'Fix it with: make test' in msg and 'torch' not in msg.split('\n')[1]


def test_import_fails_clearly_in_a_process_with_a_wrong_mmcv():
    code = ('import importlib.metadata as m; real = m.version; '
            "m.version = lambda d: '1.7.2' if d == 'mmcv' else real(d); import mmkd")
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert 'mmcv: installed 1.7.2, required mmcv==2.1.0' in proc.stderr


def test_full_runner_checkpoints_load_under_torch_2_6_plus(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    buffer = HistoryBuffer()
    buffer.update(1.0)
    torch.save(dict(state_dict=dict(w=torch.ones(2)), message_hub=dict(log_scalars=dict(loss=buffer)),
                    meta=dict(epoch=1, seed=torch.tensor(0).numpy())), path)
    if tuple(int(v) for v in torch.__version__.split('.')[:2]) >= (2, 6):
        with pytest.raises(Exception):
            torch.load(path)  # the default safe loader rejects it: the reason for the fix
    for loaded in (CheckpointLoader.load_checkpoint(path, map_location='cpu'), load_from_trusted_local(path)):
        assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_fix_is_scoped_to_local_files():
    local = CheckpointLoader._get_checkpoint_loader('/some/file.pth')
    assert local is load_from_trusted_local
    remote = CheckpointLoader._get_checkpoint_loader('https://example.org/x.pth')
    assert remote is not load_from_trusted_local and remote.__module__ == 'mmengine.runner.checkpoint'


def test_missing_local_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_from_trusted_local(str(tmp_path / 'nope.pth'))
