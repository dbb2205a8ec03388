"""Fixtures shared by the end-to-end tests of tools/."""
import os.path as osp

import pytest

from tests.data_utils import write_cifar100
from .utils import CIFAR_TEACHER, ENV, opts, run_tool, train_log


@pytest.fixture(scope='session')
def data(tmp_path_factory):
    """Tiny CIFAR-100 pickles, shared by the end-to-end classification tests."""
    return write_cifar100(str(tmp_path_factory.mktemp('cifar')), num_train=64, num_test=32)


@pytest.fixture(scope='session')
def teacher_ckpt(data, tmp_path_factory):
    """A ResNet-8 teacher trained one epoch on ``data`` by tools/train.py (shared too)."""
    work = str(tmp_path_factory.mktemp('teacher'))
    run_tool('tools/train.py', CIFAR_TEACHER, '--work-dir', work, '--cfg-options', *opts(data), env=ENV)
    assert 'loss_cls' in train_log(work)[0]
    return osp.join(work, 'epoch_1.pth')
