"""Multi-process training on CPU (gloo): the distiller under DDP, and tools/dist_train.sh end to end."""
import os
import os.path as osp
import random
import shutil
import subprocess
import sys

import pytest
import torch

from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from tests.data_utils import write_cifar100
from tests.test_tools.utils import ROOT, last_metrics, run_tool, train_log
from .ddp_harness import make_batch, make_model, step

TORCHRUN = shutil.which('torchrun', path=osp.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
pytestmark = pytest.mark.skipif(TORCHRUN is None, reason='torchrun not found')
TIMEOUT = 600  # a hung process group fails the test instead of the CI run


def env():
    bin_dir = osp.dirname(sys.executable)
    return {'PATH': bin_dir + os.pathsep + os.environ.get('PATH', ''), 'PORT': str(random.randint(20000, 40000)),
            'OMP_NUM_THREADS': '1'}


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    from mmkd.registry import MODELS
    from .ddp_harness import CFG
    torch.manual_seed(123)
    teacher = MODELS.build(CFG['teacher'])
    path = str(tmp_path_factory.mktemp('ddp') / 'teacher.pth')
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return path


def test_two_process_step_equals_one_process_step(teacher_ckpt, tmp_path):
    out = str(tmp_path / 'ddp.pth')
    proc = subprocess.run([TORCHRUN, '--nproc_per_node=2', f'--master_port={env()["PORT"]}',
                           osp.join(osp.dirname(__file__), 'ddp_harness.py'), teacher_ckpt, out],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env()},
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    ddp = torch.load(out, weights_only=False)

    model = make_model(teacher_ckpt)
    single = step(model, make_batch())
    for name, value in single.items():
        assert torch.allclose(ddp['losses'][name], value, rtol=1e-5, atol=1e-6), name
    for key, value in model.student.state_dict().items():
        assert torch.allclose(ddp['student'][key].float(), value.float(), rtol=1e-4, atol=1e-6), key


def cifar_opts(root, teacher):
    return [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0', 'val_dataloader.batch_size=16',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
            'model.teacher.backbone.arch=resnet8', 'model.student.backbone.arch=resnet8',
            f'model.teacher_ckpt={teacher}']


def test_dist_train_sh_classification(tmp_path):
    root = write_cifar100(str(tmp_path / 'cifar'), num_train=64, num_test=40)
    teacher = str(tmp_path / 'teacher.pth')
    from mmkd.registry import MODELS
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=100)
    torch.save(dict(state_dict=MODELS.build(net).state_dict()), teacher)
    work = str(tmp_path / 'work')
    proc = subprocess.run(['bash', 'tools/dist_train.sh', 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py', '2',
                           '--work-dir', work, '--cfg-options', *cifar_opts(root, teacher)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env()},
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    log = [line for line in train_log(work) if 'loss_rkkd' in line]
    assert len(log) == 64 // (8 * 2)  # the 2 processes split the epoch
    assert all(line['loss_kd'] == line['loss_kd'] for line in log)  # finite (not NaN)
    metrics = [line for line in train_log(work) if 'accuracy/top1' in line][-1]
    # validation gathered both processes' halves: 40 test images -> accuracy is a multiple of 100/40
    assert abs(metrics['accuracy/top1'] * 40 / 100 - round(metrics['accuracy/top1'] * 40 / 100)) < 1e-4
    state = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher', 'student.', 'module.')) for k in state)

    # tools/dist_test.sh with the student's own config gathers both halves of the test set: same number
    test_opts = [f'test_dataloader.dataset.data_root={root}', 'test_dataloader.num_workers=0',
                 'test_dataloader.persistent_workers=False', 'test_dataloader.batch_size=16']
    proc = subprocess.run(['bash', 'tools/dist_test.sh', 'configs/vanilla/r8_1xb64-240e_cifar100.py',
                           osp.join(work, 'epoch_1.pth'), '2', '--work-dir', str(tmp_path / 'test'),
                           '--cfg-options', *test_opts], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env()}, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    assert last_metrics(str(tmp_path / 'test'))['accuracy/top1'] == pytest.approx(metrics['accuracy/top1'])


def test_dist_train_sh_detection(tmp_path):
    root = str(tmp_path / 'coco') + '/'
    generate_synthetic_coco(root, num_train=8, num_val=4, size_range=(96, 128), seed=2)
    teacher_cfg = 'configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py'
    work_t = str(tmp_path / 'teacher')
    data = [f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
            f'val_evaluator.ann_file={root}annotations/instances_val.json', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2']
    run_tool('tools/train.py', teacher_cfg, '--work-dir', work_t, '--cfg-options', *data)
    work = str(tmp_path / 'distill')
    config = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
    proc = subprocess.run(['bash', 'tools/dist_train.sh', config, '2',
                           '--work-dir', work, '--cfg-options', *data,
                           f'model.teacher_ckpt={work_t}/epoch_1.pth'],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env()},
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    log = [line for line in train_log(work) if 'loss_rkkd' in line]
    assert len(log) == 8 // (2 * 2) and all('loss_kd' in line and 'loss_bbox' in line for line in log)
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
