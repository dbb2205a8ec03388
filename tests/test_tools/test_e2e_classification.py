"""tools/train.py and tools/test.py on a tiny CIFAR-100 set: a teacher, then KD+RKKD and PLD students (train,
resume, evaluate with the student's and the distillation config), and the teacher-checkpoint errors.

The two distillation runs and the two failure runs are independent: they run two at a time (2 CPU cores).
"""
import os.path as osp
import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from .utils import CIFAR_TEACHER as TEACHER
from .utils import ENV, distill_opts, last_metrics, opts, run_tool, train_log

METHODS = {  # config, loss terms that must be logged, loss terms that must not
    'kd_rkkd': ('configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py', ('loss_kd', 'loss_rkkd', 'loss_cls'), ()),
    'pld': ('configs/pld/pld_r32x4_r8x4_1xb64-240e_cifar100.py', ('loss_pld', ), ('loss_cls', 'loss_kd')),
    # PLD's own recipe (AdamW, cosine, batch 128 by default)
    'pld_adamw': ('configs/pld/pld_r32x4_r8x4_adamw_1xb128-250e_cifar100.py', ('loss_pld', ), ('loss_cls', )),
}
REMOVED_KEY = 'backbone.layer1.0.conv1.weight'


def state_dict(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def distill_pipeline(method, data, teacher_ckpt, tmp):
    """Train 1 epoch, resume to 2, test epoch_2.pth with both configs; returns what the checks need."""
    config = METHODS[method][0]
    work = osp.join(tmp, 'work')
    out = {}
    run_tool('tools/train.py', config, '--work-dir', work, '--cfg-options', *distill_opts(data, teacher_ckpt), env=ENV)
    out['log_1'] = train_log(work)
    resumed = run_tool('tools/train.py', config, '--work-dir', work, '--resume', '--cfg-options',
                       *distill_opts(data, teacher_ckpt, epochs=2), env=ENV)
    out['resume_output'] = resumed.stdout + resumed.stderr
    out['log_2'] = train_log(work)
    out['ckpts'] = [osp.join(work, f'epoch_{i}.pth') for i in (1, 2)]
    for name, cfg, extra in (('student', TEACHER, opts(data)), ('distill', config, distill_opts(data, teacher_ckpt))):
        test_dir = osp.join(tmp, f'test_{name}')
        run_tool('tools/test.py', cfg, out['ckpts'][1], '--work-dir', test_dir, '--out',
                 osp.join(tmp, f'{name}.pkl'), '--cfg-options', *extra, env=ENV)
        out[f'metrics_{name}'] = last_metrics(test_dir)
        with open(osp.join(tmp, f'{name}.pkl'), 'rb') as f:
            out[f'preds_{name}'] = pickle.load(f)
    return out


def bad_teacher_run(kind, data, teacher_ckpt, tmp):
    """tools/train.py with a teacher checkpoint missing a key, or missing altogether."""
    path = osp.join(tmp, 'teacher.pth' if kind == 'missing_key' else 'no_such_teacher.pth')
    if kind == 'missing_key':
        checkpoint = torch.load(teacher_ckpt, map_location='cpu', weights_only=False)
        del checkpoint['state_dict'][REMOVED_KEY]
        torch.save(checkpoint, path)
    proc = run_tool('tools/train.py', METHODS['kd_rkkd'][0], '--work-dir', osp.join(tmp, 'work'), '--cfg-options',
                    *distill_opts(data, path), check=False, env=ENV)
    return dict(path=path, returncode=proc.returncode, stderr=proc.stderr)


@pytest.fixture(scope='module')
def runs(data, teacher_ckpt, tmp_path_factory):
    """Every subprocess after the teacher, two at a time; a failure is re-raised by the test that needs it."""
    jobs = {method: (distill_pipeline, method) for method in METHODS}
    jobs.update({kind: (bad_teacher_run, kind) for kind in ('missing_key', 'missing_file')})

    def call(name):
        fn, arg = jobs[name]
        try:
            return fn(arg, data, teacher_ckpt, str(tmp_path_factory.mktemp(name)))
        except Exception as exc:  # noqa: BLE001 - reported by the test of this job
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(jobs, pool.map(call, jobs)))
    return results


def result(runs, name):
    if isinstance(runs[name], Exception):
        raise runs[name]
    return runs[name]


@pytest.mark.parametrize('method', list(METHODS))
def test_distill_logs_its_loss_terms(runs, method):
    _, present, absent = METHODS[method]
    log = [line for line in result(runs, method)['log_1'] if 'loss' in line]
    assert [line['iter'] for line in log] == [1, 2] and all(line['epoch'] == 1 for line in log)
    for line in log:
        assert all(term in line for term in present), (method, line)
        assert not any(term in line for term in absent), (method, line)
        assert line['loss'] == pytest.approx(sum(line[term] for term in present), rel=1e-4)


@pytest.mark.parametrize('method', list(METHODS))
def test_resume_continues_from_epoch_1(runs, method):
    run = result(runs, method)
    assert 'resumed epoch: 1, iter: 2' in run['resume_output']
    assert run['resume_output'].count('Loaded the teacher from') >= 1  # the teacher is rebuilt on resume
    log = [line for line in run['log_2'] if 'loss' in line]
    assert [(line['epoch'], line['iter']) for line in log] == [(2, 3), (2, 4)]
    meta = torch.load(run['ckpts'][1], map_location='cpu', weights_only=False)['meta']
    assert (meta['epoch'], meta['iter']) == (2, 4)


@pytest.mark.parametrize('method', list(METHODS))
def test_checkpoint_holds_the_student_only(runs, method, teacher_ckpt):
    expected = set(state_dict(teacher_ckpt))  # the student is a resnet8 classifier, like the teacher
    for ckpt in result(runs, method)['ckpts']:
        keys = set(state_dict(ckpt))
        assert not any(k.startswith(('teacher', 'student.', '_teacher')) for k in keys), ckpt
        assert keys == expected


@pytest.mark.parametrize('method', list(METHODS))
def test_student_config_and_distill_config_agree(runs, method):
    run = result(runs, method)
    student, distill = run['metrics_student'], run['metrics_distill']
    assert {'accuracy/top1', 'accuracy/top5'} <= set(student)
    assert student['accuracy/top1'] == distill['accuracy/top1']
    assert student['accuracy/top5'] == distill['accuracy/top5']
    preds_s, preds_d = run['preds_student'], run['preds_distill']
    assert len(preds_s) == len(preds_d) == 32
    for a, b in zip(preds_s, preds_d):
        assert torch.equal(a['pred_score'], b['pred_score'])


def test_teacher_checkpoint_missing_a_key_fails(runs):
    run = result(runs, 'missing_key')
    assert run['returncode'] != 0
    assert 'missing keys' in run['stderr'] and REMOVED_KEY in run['stderr'], run['stderr'][-2000:]


def test_missing_teacher_checkpoint_fails(runs):
    run = result(runs, 'missing_file')
    assert run['returncode'] != 0
    assert 'FileNotFoundError' in run['stderr'] and run['path'] in run['stderr'], run['stderr'][-2000:]
