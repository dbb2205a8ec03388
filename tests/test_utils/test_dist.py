# Copyright (c) mmkd contributors. All rights reserved.
from types import SimpleNamespace

import pytest
from mmengine.hooks import CheckpointHook, LoggerHook

import mmkd.utils.dist as dist_utils
from mmkd.utils import main_process_writes_test_log


class NoRunner:
    """A runner that fails on any use: the test-log step must not touch it."""

    def __getattr__(self, name):
        raise AssertionError(f'runner.{name} used')


@pytest.mark.parametrize('main', [True, False])
def test_only_the_main_process_writes_the_test_metrics_file(monkeypatch, main):
    runner = SimpleNamespace(hooks=[CheckpointHook(), LoggerHook()])
    monkeypatch.setattr(dist_utils, 'is_main_process', lambda: main)
    main_process_writes_test_log(runner)
    hook = runner.hooks[1]
    if main:  # the main process keeps MMEngine's own method
        assert 'after_test_epoch' not in vars(hook)
        with pytest.raises(AssertionError, match='runner.log_processor used'):
            hook.after_test_epoch(NoRunner())
    else:  # the others neither log nor write <timestamp>.json
        hook.after_test_epoch(NoRunner(), metrics={'accuracy': 1.0})
    # other hooks and other LoggerHook instances are untouched
    assert 'after_test_epoch' not in vars(runner.hooks[0])
    assert 'after_test_epoch' not in vars(LoggerHook())
