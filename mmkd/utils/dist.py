# Copyright (c) mmkd contributors. All rights reserved.
import os
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config


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
