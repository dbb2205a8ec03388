"""Launched by test_distributed.py with torchrun: one DDP train step of a ClassificationDistiller on CPU/gloo.

Each of the WORLD_SIZE processes takes its shard of one fixed batch; BatchNorm runs on its running statistics
so that a row's loss does not depend on the other rows, and the step must equal one single-process step on the
whole batch. Rank 0 saves the losses (averaged over ranks) and the updated student weights.
"""
import datetime
import faulthandler
import os
import sys

import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from mmkd.registry import MODELS  # noqa: E402
from mmkd.utils import register_all_modules  # noqa: E402

CFG = dict(
    type='ClassificationDistiller',
    student=dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10,
                 loss_cls=dict(type='CrossEntropyLoss', loss_weight=0.1),
                 data_preprocessor=dict(type='ImgDataPreprocessor')),
    teacher=dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet14'), num_classes=10),
    distill_losses=dict(loss_kd=dict(type='KDLoss', loss_weight=0.9), loss_rkkd=dict(type='RKKDLoss'),
                        loss_pld=dict(type='PLDLoss')))


def make_model(teacher_ckpt):
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(CFG)
    model.teacher_ckpt = teacher_ckpt
    model.init_weights()
    model.train()
    for m in model.student.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()
    return model


def make_batch(n=8):
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (n, 3, 16, 16), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (n, ), generator=g)
    return dict(inputs=list(images), data_samples=[BaseDataElement(gt_label=label.reshape(1)) for label in labels])


def step(model, data):
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    losses = model.train_step(data, optim)
    return {k: v.detach() for k, v in losses.items()}


def main():
    faulthandler.dump_traceback_later(240, exit=True)  # a hang prints every thread's stack, then fails
    teacher_ckpt, out = sys.argv[1], sys.argv[2]
    dist.init_process_group('gloo', timeout=datetime.timedelta(seconds=180))  # fail, never hang
    rank, world = dist.get_rank(), dist.get_world_size()
    model = make_model(teacher_ckpt)
    ddp = MMDistributedDataParallel(module=model, find_unused_parameters=False)
    batch = make_batch()
    shard = {k: v[rank::world] for k, v in batch.items()}
    losses = step(ddp, shard)
    for value in losses.values():
        dist.all_reduce(value)
        value /= world
    if rank == 0:
        torch.save(dict(losses=losses, student=model.student.state_dict()), out)
    dist.barrier()  # leave together: no rank tears down the group while another still uses it
    dist.destroy_process_group()
    # Skip interpreter finalisation: with torch 2.13 + gloo on CPU it sometimes never returns (a native thread
    # is left waiting after the group is gone), which would turn a passing check into a timeout.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
