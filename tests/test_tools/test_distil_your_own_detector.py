"""docs/distil_your_own_detector.md as written: its two configs and its commands, on a tiny generated COCO-format
set (4 classes, small images, one epoch), with random-weight checkpoints in place of the downloads."""
import os
import os.path as osp
import re
import shlex

import pytest
import torch

from mmkd.datasets.synthetic_coco import CATEGORIES, generate_synthetic_coco
from .utils import ENV, ROOT, random_teacher, run_tool

DOC = osp.join(ROOT, 'docs', 'distil_your_own_detector.md')
CLASSES = tuple(c[1] for c in CATEGORIES[:4])


def blocks(text, lang):
    return re.findall(rf'```{lang}\n(.*?)```', text, flags=re.S)


def tiny_options(root, prefix):
    """Data, classes and image size of the tiny set for a student config (prefix '') or a distiller."""
    out = []
    for loader, resize, split in (('train_dataloader', 2, 'train'), ('val_dataloader', 1, 'val'),
                                  ('test_dataloader', 1, 'val')):
        out += [f'{loader}.dataset.data_root={root}', f'{loader}.dataset.metainfo.classes={CLASSES}',
                f'{loader}.dataset.ann_file=annotations/instances_{split}.json',
                f'{loader}.dataset.data_prefix.img={split}/',
                f'{loader}.dataset.pipeline.{resize}.scale=(128,128)', f'{loader}.num_workers=0',
                f'{loader}.persistent_workers=False', f'{loader}.batch_size=2']
    out += [f'{key}.ann_file={root}annotations/instances_val.json' for key in ('val_evaluator', 'test_evaluator')]
    out += ['train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1', 'randomness.seed=0']
    models = ['model.student', 'model.teacher'] if prefix else ['model']
    # one epoch scores below mmdet's threshold: keep every box so that AP is computed
    return out + [f'{m}.bbox_head.num_classes=4' for m in models] + [f'{m}.test_cfg.score_thr=0.0' for m in models]


@pytest.fixture(scope='module')
def doc():
    with open(DOC) as f:
        return f.read()


def test_the_doc_runs_as_written(doc, tmp_path):
    tmp = str(tmp_path)
    paths = {'my_configs/': f'{tmp}/my_configs/', 'checkpoints/': f'{tmp}/checkpoints/',
             'data/pretrained/': f'{tmp}/pretrained/', 'work_dirs/': f'{tmp}/work_dirs/'}

    def local(text):
        for a, b in paths.items():
            text = text.replace(a, b)
        return text

    # the two configs, written where their first line says
    configs = blocks(doc, 'python')
    assert len(configs) == 2
    for code in configs:
        name = re.match(r'# (my_configs/\S+\.py)\n', code).group(1)
        os.makedirs(osp.dirname(local(name)), exist_ok=True)
        with open(local(name), 'w') as f:
            f.write(local(code))
    # the downloads: random weights in the same layouts
    root = f'{tmp}/coco/'
    generate_synthetic_coco(root, num_train=4, num_val=2, size_range=(96, 128), seed=5)
    os.makedirs(f'{tmp}/checkpoints'), os.makedirs(f'{tmp}/pretrained')
    from mmdet.models.backbones import MobileNetV2
    torch.save(dict(state_dict=MobileNetV2(out_indices=(2, 4, 7)).state_dict()),
               f'{tmp}/pretrained/mobilenet_v2_mmdet.pth')
    four = dict(bbox_head=dict(num_classes=4))
    random_teacher('mmdet::atss/atss_r50_fpn_1x_coco.py',
                   f'{tmp}/checkpoints/atss_r50_fpn_1x_coco_20200209-985f7bd0.pth', **four)
    random_teacher('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
                   f'{tmp}/checkpoints/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth', **four)

    commands = [line for block in blocks(doc, 'bash') for line in block.splitlines() if line.startswith('python ')]
    assert [c.split()[1] for c in commands] == [
        'tools/model_converters/mobilenetv2_torchvision_to_mmdet.py', 'tools/analysis_tools/check_distill.py',
        'tools/train.py', 'tools/test.py', 'tools/analysis_tools/check_distill.py']
    outputs = {}
    for i, command in enumerate(commands[1:], 1):
        args = shlex.split(local(command))[1:]
        distiller = 'kd-rkkd' in osp.basename(args[1])
        if args[0] == 'tools/test.py':
            args[2] = args[2].replace('epoch_12.pth', 'epoch_1.pth')  # the tiny run trains one epoch
        if '--cfg-options' not in args:
            args.append('--cfg-options')
        args += tiny_options(root, 'model.' if distiller else '')
        if args[0] == 'tools/train.py':
            args += ['--work-dir', f'{tmp}/work_dirs/kd-rkkd_atss-r50_atss-mv2_fpn_1x_coco']
        if args[0].endswith('check_distill.py'):
            args[2:2] = ['--val-batches', '1']
        outputs[i] = run_tool(*args, check=i != 4, env=ENV)

    # the pre-flight output the doc shows is the one the tool prints (numbers aside)
    shown = [line for line in blocks(doc, 'text')[0].splitlines() if line.startswith('[check_distill] ')]
    printed = [line.replace(tmp + '/', '') for line in outputs[1].stdout.splitlines()
               if line.startswith('[check_distill] ')]
    print('\n'.join(printed))
    print('\n'.join(line for line in outputs[1].stdout.splitlines() if line.startswith('    |')))
    assert len(shown) == len(printed) == 7
    for a, b in zip(shown, printed):
        assert re.sub(r'[-\d.]+', '#', a.split(':')[0].split(' (')[0]) == \
            re.sub(r'[-\d.]+', '#', b.split(':')[0].split(' (')[0])
    for a, b in zip(shown[1:6], printed[1:6]):  # the five checks: the same name and outcome
        assert b.split(': ')[:2] == a.split(': ')[:2]
    assert "['loss_cls', 'loss_bbox', 'loss_centerness'] equal the student alone exactly" in printed[4]
    # training wrote the student-only checkpoint and the rank diagnostics; testing read it with the student config
    assert 'teacher_student/kendall_tau' in outputs[2].stdout + outputs[2].stderr
    assert 'coco/bbox_mAP' in outputs[3].stdout + outputs[3].stderr
    # the mismatched pair: the message the doc shows
    mismatch = outputs[4]
    assert mismatch.returncode == 1
    failed = [line for line in mismatch.stdout.splitlines() if 'FAILED' in line][0]
    print(failed)
    shown_failed = blocks(doc, 'text')[1].strip()
    assert failed.split('do not align')[0] == shown_failed.split('do not align')[0]
    assert '1 anchors per location, 4 classes; teacher has 5 levels' in failed and '9 anchors per location' in failed
