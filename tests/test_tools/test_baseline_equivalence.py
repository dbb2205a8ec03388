"""A distiller whose distillation weights are all 0 trains the student exactly as the student alone: same weights
after training and same logged losses, bit for bit on CPU, through tools/train.py (teacher evaluation before
training included). Anything a distiller changed besides adding its terms (the random stream, the student's loss
terms, its data or optimiser) would show here."""
import os.path as osp

import torch

from mmkd.datasets.synthetic_coco import generate_synthetic_coco
from .test_e2e_detection import opts as coco_opts
from .utils import ENV, opts, random_teacher, run_tool, train_log

STEP_KEYS = ('loss', 'grad_norm', 'lr')


def assert_same_run(alone, distilled, terms):
    """Same student weights and optimiser state in the last checkpoint, same logged student terms, total loss,
    gradient norm and validation metrics; the distillation terms logged as exactly 0."""
    ckpt_a = torch.load(osp.join(alone, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    ckpt_d = torch.load(osp.join(distilled, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert ckpt_a['state_dict'].keys() == ckpt_d['state_dict'].keys()
    different = [k for k, v in ckpt_a['state_dict'].items() if not torch.equal(v, ckpt_d['state_dict'][k])]
    assert not different, different[:5]
    moments = lambda ckpt: [v for s in ckpt['optimizer']['state'].values() for v in s.values()]  # noqa: E731
    assert all(torch.equal(a, b) for a, b in zip(moments(ckpt_a), moments(ckpt_d)))
    log_a, log_d = train_log(alone), train_log(distilled)
    assert len(log_a) == len(log_d) and len(log_a) >= 4
    for line_a, line_d in zip(log_a, log_d):
        for key, value in line_a.items():
            if key not in ('time', 'data_time', 'eta', 'memory'):
                assert line_d[key] == value, (key, line_a, line_d)
        assert all(line_d[t] == 0 for t in terms if 'loss' in line_a)


def test_classification_distiller_at_weight_0_is_the_student_alone(data, teacher_ckpt, tmp_path):
    common = opts(data, epochs=2) + ['train_dataloader.batch_size=16', 'randomness.seed=0']
    alone, distilled = str(tmp_path / 'alone'), str(tmp_path / 'distilled')
    run_tool('tools/train.py', 'configs/vanilla/r8x4_1xb64-240e_cifar100.py', '--work-dir', alone, '--cfg-options',
             *common, 'model.loss_cls.loss_weight=0.1', env=ENV)
    run_tool('tools/train.py', 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py', '--work-dir', distilled,
             '--cfg-options', *common, 'model.teacher.backbone.arch=resnet8', f'model.teacher_ckpt={teacher_ckpt}',
             'model.distill_losses.loss_kd.loss_weight=0', 'model.distill_losses.loss_rkkd.loss_weight=0', env=ENV)
    assert_same_run(alone, distilled, ('loss_kd', 'loss_rkkd'))


def test_dense_head_distiller_at_weight_0_is_the_student_alone(tmp_path):
    root = str(tmp_path / 'coco') + '/'
    generate_synthetic_coco(root, num_train=8, num_val=4, size_range=(96, 128), seed=4)
    ckpt = random_teacher('configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py', str(tmp_path / 'teacher.pth'))
    common = [o for o in coco_opts(root, epochs=2) if not o.startswith('model.')]
    alone, distilled = str(tmp_path / 'alone'), str(tmp_path / 'distilled')
    run_tool('tools/train.py', 'configs/retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py', '--work-dir', alone,
             '--cfg-options', *common, env=ENV)
    run_tool('tools/train.py', 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py',
             '--work-dir', distilled, '--cfg-options', *common, f'model.teacher_ckpt={ckpt}',
             'model.distill_losses.loss_kd.loss_weight=0', 'model.distill_losses.loss_rkkd.loss_weight=0',
             env=ENV)
    assert_same_run(alone, distilled, ('loss_kd', 'loss_rkkd'))
