# Copyright (c) mmkd contributors. All rights reserved.
"""The `make demo` job: per-anchor RKKD distillation of a RetinaNet, end to end, on data it generates.

1. writes a small seeded COCO-format dataset (if missing),
2. trains a RetinaNet ResNet-18 teacher with ``tools/train.py``,
3. distils a RetinaNet MobileNetV2 student with KD + RKKD on the per-anchor classification logits,
4. evaluates teacher and student with ``tools/test.py`` and COCO AP (the student from its own config and its
   student-only checkpoint), and prints an AP table and where everything went.

About 10 minutes on 2 CPU cores. ``--quick`` runs one epoch of each (a smoke test).
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER_CFG = 'configs/retinanet/retinanet_r18_fpn_12e_synthetic-coco.py'
STUDENT_CFG = 'configs/retinanet/retinanet_mv2_fpn_12e_synthetic-coco.py'
DISTILL_CFG = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
METRICS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l')


def run(args, log_path):
    """Run a tools/ script, showing MMEngine's log lines on the console and keeping the full output."""
    print(f'\n[demo] $ {" ".join(args)}', flush=True)
    with open(log_path, 'w') as log:
        proc = subprocess.Popen([sys.executable] + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        for line in proc.stdout:
            log.write(line)
            if ' - mmengine - INFO - ' in line and ('Epoch(' in line or 'Teacher' in line or 'Loaded' in line):
                print('  ' + line.split(' - mmengine - INFO - ')[-1].rstrip(), flush=True)
            elif 'Error' in line or 'Traceback' in line:
                print('  ' + line.rstrip(), flush=True)
        if proc.wait():
            sys.exit(f'[demo] failed: {" ".join(args)} (full log: {log_path})')


def coco_metrics(work_dir):
    """The COCO metrics that tools/test.py wrote into WORK_DIR/<timestamp>/<timestamp>.json."""
    from mmkd.analysis import latest_metrics
    return {k.split('/')[-1]: v for k, v in latest_metrics(work_dir).items() if k.startswith('coco/')}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--epochs', type=int, default=12, help='epochs of teacher and student training')
    parser.add_argument('--quick', action='store_true', help='1 epoch each, fewer images (smoke test)')
    args = parser.parse_args()

    sys.path.insert(0, ROOT)
    from mmkd.datasets.synthetic_coco import count_annotations, generate_synthetic_coco
    start = time.time()
    num_train, num_val, epochs = (40, 16, 1) if args.quick else (200, 50, args.epochs)
    data_root = osp.join(args.data_root + ('_quick' if args.quick else ''), '')
    print(f'[demo] dataset: {data_root} ({num_train} train / {num_val} val images, generated if missing)')
    generate_synthetic_coco(data_root, num_train=num_train, num_val=num_val, num_classes=4)
    print(f'[demo]   {sum(count_annotations(data_root, "train"))} train objects, '
          f'{sum(count_annotations(data_root, "val"))} val objects')

    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    data_opts = [
        f'train_dataloader.dataset.data_root={data_root}', f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'val_evaluator.ann_file={data_root}annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}annotations/instances_val.json'
    ]
    sched = [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
             f'default_hooks.checkpoint.interval={epochs}',
             f'param_scheduler.1.milestones=[{max(1, epochs * 3 // 4)},{max(1, epochs * 11 // 12)}]']
    teacher_dir, student_dir = osp.join(work, 'teacher'), osp.join(work, 'student_kd_rkkd')
    teacher_ckpt = osp.join(teacher_dir, f'epoch_{epochs}.pth')
    student_ckpt = osp.join(student_dir, f'epoch_{epochs}.pth')

    print('\n[demo] 1/3 training the teacher (RetinaNet ResNet-18-FPN)')
    run(['tools/train.py', TEACHER_CFG, '--work-dir', teacher_dir, '--cfg-options', *data_opts, *sched],
        osp.join(work, 'teacher_train.log'))
    print('\n[demo] 2/3 distilling the student (RetinaNet MobileNetV2-FPN, KD + RKKD on every anchor)')
    run(['tools/train.py', DISTILL_CFG, '--work-dir', student_dir, '--cfg-options', *data_opts, *sched,
         f'model.teacher_ckpt={teacher_ckpt}'], osp.join(work, 'student_train.log'))
    print('\n[demo] 3/3 COCO evaluation with tools/test.py')
    run(['tools/test.py', TEACHER_CFG, teacher_ckpt, '--work-dir', osp.join(work, 'eval_teacher'), '--cfg-options',
         *data_opts], osp.join(work, 'teacher_test.log'))
    run(['tools/test.py', STUDENT_CFG, student_ckpt, '--work-dir', osp.join(work, 'eval_student'), '--cfg-options',
         *data_opts], osp.join(work, 'student_test.log'))

    rows = [('teacher  RetinaNet R18-FPN', coco_metrics(osp.join(work, 'eval_teacher'))),
            ('student  RetinaNet MV2-FPN, KD+RKKD', coco_metrics(osp.join(work, 'eval_student')))]
    print(f'\n[demo] COCO bbox AP on the generated val split ({num_val} images), {epochs} epoch(s) each:')
    print('| model | ' + ' | '.join(m.replace('bbox_', '') for m in METRICS) + ' |')
    print('|---|' + '---:|' * len(METRICS))
    for name, metrics in rows:
        print(f'| {name} | ' + ' | '.join(f'{metrics.get(m, float("nan")):.3f}' for m in METRICS) + ' |')
    print(f'\n[demo] done in {(time.time() - start) / 60:.1f} min.')
    print(f'[demo] teacher checkpoint: {teacher_ckpt}')
    print(f'[demo] student checkpoint: {student_ckpt} (student weights only; evaluate it with '
          f'tools/test.py {STUDENT_CFG} {student_ckpt})')
    print(f'[demo] logs: {work}/*.log and each work dir\'s <timestamp>/ folder')


if __name__ == '__main__':
    main()
