"""tools/analysis_tools/check_distill.py as a user runs it: tiny CIFAR and generated COCO data."""
import pytest
import torch

from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from .test_e2e_detection import opts as coco_opts
from .utils import ENV, distill_opts, random_teacher, run_tool

TOOL = 'tools/analysis_tools/check_distill.py'
CLS_CONFIG = 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'
DET_CONFIG = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'


def lines(proc, prefix='[check_distill]'):
    return [line for line in proc.stdout.splitlines() if line.startswith(prefix)]


def test_classification_config_passes(data, teacher_ckpt, tmp_path):
    proc = run_tool(TOOL, CLS_CONFIG, '--val-batches', '1', '--work-dir', str(tmp_path),
                    '--cfg-options', *distill_opts(data, teacher_ckpt), env=ENV)
    out = lines(proc)
    assert [line.split(':')[0] for line in out[1:6]] == [
        '[check_distill] 1/5 teacher checkpoint', '[check_distill] 2/5 teacher metric', '[check_distill] 3/5 alignment',
        '[check_distill] 4/5 weights at 0', '[check_distill] 5/5 loss terms']
    assert all(': OK: ' in line for line in out[1:6]) and out[-1].startswith('[check_distill] all 5 checks passed')
    assert 'accuracy/top1' in out[2] and '32 rows x 100 classes' in out[3]
    table = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith('| loss_')]
    assert [row.split('|')[1].strip() for row in table] == ['loss_cls', 'loss_kd', 'loss_rkkd']


@pytest.mark.parametrize('fault,message', [
    ('missing_key', 'teacher checkpoint: FAILED: Teacher checkpoint .* missing keys'),
    ('weak_teacher', r'teacher metric: FAILED: the teacher scores below --min-metric'),
])
def test_faults_exit_non_zero_with_the_reason(data, teacher_ckpt, tmp_path, fault, message):
    import re
    extra = []
    ckpt = teacher_ckpt
    if fault == 'missing_key':
        state = torch.load(teacher_ckpt, weights_only=False)['state_dict']
        state.pop(next(iter(state)))
        ckpt = str(tmp_path / 'partial.pth')
        torch.save(dict(state_dict=state), ckpt)
    else:
        extra = ['--min-metric', 'accuracy/top1=101']
    proc = run_tool(TOOL, CLS_CONFIG, '--val-batches', '1', *extra, '--cfg-options', *distill_opts(data, ckpt),
                    check=False, env=ENV)
    assert proc.returncode == 1
    assert re.search(message, lines(proc)[-1]), lines(proc)


def test_dense_head_config_passes(tmp_path):
    root = str(tmp_path / 'coco') + '/'
    generate_synthetic_coco(root, num_train=4, num_val=4, size_range=(96, 128), seed=3)
    ckpt = random_teacher('configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py', str(tmp_path / 'teacher.pth'))
    options = [o for o in coco_opts(root) if not o.startswith('model.')] + [f'model.teacher_ckpt={ckpt}']
    proc = run_tool(TOOL, DET_CONFIG, '--val-batches', '1', '--cfg-options', *options, env=ENV)
    out = lines(proc)
    assert all(': OK: ' in line for line in out[1:6]) and 'coco/bbox_mAP' in out[2]
    assert "['loss_cls', 'loss_bbox'] equal the student alone exactly" in out[4]
