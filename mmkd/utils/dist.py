# Copyright (c) mmkd contributors. All rights reserved.
import os
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.hooks import LoggerHook


def setup_cpu_distributed(cfg: Config) -> None:
    """Make ``--launcher pytorch`` (torchrun, tools/dist_*.sh) work on machines without a GPU.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its runner passes ``device_ids=[LOCAL_RANK]``
    to DDP; both fail without CUDA. Here the gloo process group is created first (the runner then skips its
    own ``init_dist``) and DDP gets ``device_ids=None``, as CPU modules need. Does nothing with a GPU or
    without a launcher.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.setdefault('device_ids', None)
    cfg.model_wrapper_cfg = wrapper
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                                world_size=int(os.environ['WORLD_SIZE']))


def finish_cpu_distributed(cfg: Config) -> None:
    """End a CPU multi-process run (the gloo group of :func:`setup_cpu_distributed`) without the interpreter's
    teardown of it.

    With torch 2.13, gloo sometimes aborts a rank at interpreter exit ("terminate called without an active
    exception", SIGABRT) or hangs there, after every epoch, checkpoint and log line was written: torchrun then
    reports the whole run as failed. The ranks leave together (a barrier), destroy the group, flush their output
    and exit at once. Does nothing with a GPU or without a launcher.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available() or not dist.is_initialized():
        return
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main_process_writes_test_log(runner) -> None:
    """Let only the main process write ``<timestamp>/<timestamp>.json`` after ``runner.test()``.

    MMEngine 0.10.7's ``LoggerHook.after_test_epoch`` dumps the (already gathered) test metrics from every rank
    into that one file. The ranks truncate and write it at the same time, so a multi-process test can leave a
    file mixing two ranks' lines (e.g. ``{...}}``) that no JSON reader accepts. The other ranks' logger hooks
    skip that step; their logger prints nothing anyway. Instance-scoped: only this runner's hooks change.
    Does nothing in the main process.
    """
    if is_main_process():
        return
    for hook in runner.hooks:
        if isinstance(hook, LoggerHook):
            hook.after_test_epoch = lambda *args, **kwargs: None
