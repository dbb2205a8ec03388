# Copyright (c) mmkd contributors. All rights reserved.
"""The pre-flight check of a distillation config (``tools/analysis_tools/check_distill.py``): what can make a
distilled student no better than the student alone, checked on a few batches before any training.

1. the teacher checkpoint loads strictly (every key, every shape);
2. the teacher's metric on a few validation batches (a weak or wrong teacher shows here);
3. one training batch through teacher and student: the logits align row by row and are finite;
4. with every distillation weight at 0 the distiller's losses equal the student's own losses exactly (the
   distiller changes nothing but the terms it adds);
5. each loss term's value and the gradient norm it puts on the student's logits and parameters at
   initialisation (to balance the weights).

Each step returns a :class:`Check`; :func:`run_checks` runs them in order and stops at the first failure.
"""
import copy
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence

import torch
from torch import Tensor, nn

from mmkd.distillers.base import BaseDistiller
from mmkd.engine.hooks.eval_teacher_hook import evaluate_teacher
from mmkd.engine.hooks.rank_diagnostics_hook import top1_agreement


class Check(NamedTuple):
    """One step's outcome: passed or not, a one-line summary and optional detail lines (a table)."""
    name: str
    ok: bool
    summary: str
    details: Sequence[str] = ()


class TermGradient(NamedTuple):
    """A loss term at initialisation: its value, the norm of its gradient on the student's logits (the tensors
    the student's head returned) and on the student's parameters."""
    name: str
    source: str  # 'student' or 'distill'
    weight: Optional[float]
    value: float
    grad_logits: float
    grad_params: float


def distill_weights(model: BaseDistiller) -> Dict[str, Optional[float]]:
    """Each distillation loss's ``loss_weight`` (None for a loss without one)."""
    return {name: getattr(loss, 'loss_weight', None) for name, loss in model.distill_losses.items()}


@contextmanager
def zero_distill_weights(model: BaseDistiller) -> Iterator[List[str]]:
    """Every distillation loss's ``loss_weight`` set to 0 inside the block (restored after); yields the names of
    the losses that have no ``loss_weight`` (they cannot be turned off this way)."""
    saved = distill_weights(model)
    without = [name for name, weight in saved.items() if weight is None]
    try:
        for name, loss in model.distill_losses.items():
            if saved[name] is not None:
                loss.loss_weight = 0.0
        yield without
    finally:
        for name, loss in model.distill_losses.items():
            if saved[name] is not None:
                loss.loss_weight = saved[name]


@contextmanager
def same_random_state(module: nn.Module) -> Iterator[Callable[[], None]]:
    """Yield ``rewind()``: puts the global RNG and the module's buffers (BatchNorm running statistics) back to
    what they were at the start, so that two forwards see the same random numbers and the same state. Both are
    restored on exit."""
    buffers = copy.deepcopy(dict(module.named_buffers()))
    with torch.random.fork_rng(devices=[]):
        rng = torch.get_rng_state()

        def rewind() -> None:
            torch.set_rng_state(rng)
            with torch.no_grad():
                for name, buf in module.named_buffers():
                    buf.copy_(buffers[name])

        try:
            yield rewind
        finally:
            rewind()


def check_teacher_loaded(model: BaseDistiller) -> Check:
    """Initialise the student as training does (its ``init_cfg``, e.g. a pretrained backbone), then load
    ``teacher_ckpt`` with ``teacher_strict=True`` (every key and shape must match)."""
    super(BaseDistiller, model).init_weights()
    strict = model.teacher_strict
    model.teacher_strict = True
    try:
        model.load_teacher()
    except (FileNotFoundError, RuntimeError, ValueError, ImportError) as exc:
        return Check('teacher checkpoint', False, str(exc))
    finally:
        model.teacher_strict = strict
    num = len(model.teacher.state_dict())
    return Check('teacher checkpoint', True, f'{model.teacher_ckpt}: all {num} tensors loaded, strictly')


def check_teacher_metric(model: BaseDistiller, dataloader, evaluator, max_batches: int,
                         min_metrics: Optional[Dict[str, float]] = None) -> Check:
    """The teacher's metrics on the first ``max_batches`` validation batches; fails below ``min_metrics``."""
    metrics = evaluate_teacher(model, dataloader, evaluator, max_batches=max_batches)
    shown = ', '.join(f'{k}: {v:.4g}' if isinstance(v, float) else f'{k}: {v}' for k, v in metrics.items())
    low = {k: (metrics.get(k), v) for k, v in (min_metrics or {}).items() if k not in metrics or metrics[k] < v}
    if low:
        return Check('teacher metric', False, f'the teacher scores below --min-metric ({{metric: (score, minimum)}}: '
                     f'{low}). Check model.teacher_ckpt and the teacher config (classes, preprocessing).')
    return Check('teacher metric', True, f'{max_batches} validation batch(es): {shown}')


def student_rows(model: BaseDistiller, data: dict) -> tuple:
    """The student's own losses and the distilled rows of one preprocessed training batch (training mode)."""
    model.train()
    return model.student_loss_and_rows(data['inputs'], data['data_samples'])


def check_alignment(model: BaseDistiller, data: dict) -> Check:
    """One batch through student and teacher: the distiller's own alignment checks run, the rows must match in
    shape and be finite."""
    try:
        with torch.no_grad():
            _, rows = student_rows(model, data)
    except (ValueError, RuntimeError, TypeError, KeyError) as exc:
        return Check('alignment', False, f'{type(exc).__name__}: {exc}')
    if rows.preds_S.shape != rows.preds_T.shape:
        return Check('alignment', False, f'student rows {tuple(rows.preds_S.shape)} vs teacher rows '
                     f'{tuple(rows.preds_T.shape)}')
    bad = [who for who, t in (('student', rows.preds_S), ('teacher', rows.preds_T)) if not torch.isfinite(t).all()]
    if bad:
        return Check('alignment', False, f'non-finite {" and ".join(bad)} logits on the first training batch')
    num_rows, num_classes = rows.preds_S.shape
    ignored = int((rows.labels == -1).sum()) if rows.labels is not None else 0
    agree = top1_agreement(rows.preds_S, rows.preds_T).float().mean().item() * 100 if num_rows else 0.0
    return Check('alignment', True, f'{num_rows} rows x {num_classes} classes per model, finite'
                 + (f', {ignored} rows ignored' if ignored else '')
                 + f'; top-1 agreement at initialisation {agree:.1f}%')


def check_zero_weights(model: BaseDistiller, data: dict) -> Check:
    """With every distillation weight at 0, the distiller's loss terms are the student's own terms, bit for bit
    (same random numbers, same BatchNorm state), and every distillation term is exactly 0."""
    model.train()
    with zero_distill_weights(model) as without, same_random_state(model) as rewind:
        if without:
            return Check('weights at 0', False, f'{without} have no loss_weight: they cannot be turned off. Use '
                         'losses with a loss_weight argument.')
        with torch.no_grad():
            distilled = model._loss(data['inputs'], data['data_samples'])
            rewind()
            alone = model.student_loss(data['inputs'], data['data_samples'])  # the student's own step
    dropped = [k for k in model.drop_student_losses if k in alone]
    problems = []
    for name, value in alone.items():
        if name in dropped:
            continue
        if name not in distilled:
            problems.append(f'{name} missing')
        elif not _equal(distilled[name], value):
            problems.append(f'{name}: {_scalar(distilled[name])!r} vs alone {_scalar(value)!r}')
    for name in model.distill_losses:
        if not bool((_as_tensor(distilled[name]) == 0).all()):
            problems.append(f'{name} is {_scalar(distilled[name])} at weight 0')
    extra = sorted(set(distilled) - set(alone) - set(model.distill_losses))
    if extra:
        problems.append(f'unexpected terms {extra}')
    if problems:
        return Check('weights at 0', False, 'the distiller does not reproduce the student alone: '
                     + '; '.join(problems))
    kept = [k for k in alone if k not in dropped]
    replaced = f'; {dropped} replaced (drop_student_losses)' if dropped else ''
    return Check('weights at 0', True, f'student terms {kept} equal the student alone exactly, distillation terms '
                 f'{list(model.distill_losses)} are 0{replaced}')


def term_gradients(model: BaseDistiller, data: dict) -> List[TermGradient]:
    """Every loss term of one training batch with the norms of its gradients on the student's logits and
    parameters (one backward per term; nothing is updated)."""
    model.train()
    params = [p for p in model.student.parameters() if p.requires_grad]
    weights = distill_weights(model)
    out = []
    with same_random_state(model):  # the BatchNorm statistics are put back after the backward passes
        losses, rows = model.losses_and_rows(data['inputs'], data['data_samples'])
        sources = tuple(rows.sources) or (rows.preds_S, )
        for name, value in losses.items():
            total = _total(value) if 'loss' in name else None  # what MMEngine sums into the loss
            if total is None:
                continue
            source = 'distill' if name in model.distill_losses else 'student'
            out.append(TermGradient(name, source, weights.get(name), total.item(), _grad_norm(total, sources),
                                    _grad_norm(total, params)))
    model.zero_grad(set_to_none=True)
    return out


def check_term_gradients(model: BaseDistiller, data: dict) -> Check:
    """:func:`term_gradients` as a table; fails when a term is not finite or a distillation term puts no gradient
    on the student's parameters (a term that cannot train anything)."""
    terms = term_gradients(model, data)
    lines = ['| term | from | loss_weight | value | grad norm, student logits | grad norm, student params |',
             '|---|---|---:|---:|---:|---:|']
    for t in terms:
        weight = '' if t.weight is None else f'{t.weight:g}'
        lines.append(f'| {t.name} | {t.source} | {weight} | {t.value:.4g} | {t.grad_logits:.4g} | '
                     f'{t.grad_params:.4g} |')
    bad = [t.name for t in terms if not all(map(_finite, (t.value, t.grad_logits, t.grad_params)))]
    dead = [t.name for t in terms if t.source == 'distill' and t.weight != 0 and t.grad_params == 0]
    if bad or dead:
        why = (f'non-finite {bad}' if bad else '') + ('; ' if bad and dead else '') + \
              (f'{dead} put no gradient on the student' if dead else '')
        return Check('loss terms', False, why, lines)
    distill = sum(t.grad_params for t in terms if t.source == 'distill')
    student = sum(t.grad_params for t in terms if t.source == 'student')
    ratio = f'; distillation / student gradient on the parameters: {distill / student:.3g}' if student else ''
    return Check('loss terms', True, f'{len(terms)} terms at initialisation{ratio}', lines)


def run_checks(steps: Sequence[Callable[[], Check]], report: Callable[[int, int, Check], None]) -> bool:
    """Run the steps in order, reporting each; stop at the first failure. Returns whether all passed."""
    for i, step in enumerate(steps, 1):
        check = step()
        report(i, len(steps), check)
        if not check.ok:
            return False
    return True


def _as_tensor(value) -> Tensor:
    return torch.stack([torch.as_tensor(v).sum() for v in value]) if isinstance(value, (list, tuple)) \
        else torch.as_tensor(value)


def _total(value) -> Optional[Tensor]:
    """A loss term as one scalar (mmdet returns some terms as a list over FPN levels)."""
    if isinstance(value, Tensor):
        return value.sum() if value.requires_grad or value.is_floating_point() else None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
        return sum(v.sum() for v in value)
    return None


def _grad_norm(total: Tensor, inputs: Sequence[Tensor]) -> float:
    if not total.requires_grad:
        return 0.0
    grads = torch.autograd.grad(total, list(inputs), retain_graph=True, allow_unused=True)
    norms = [g.detach().float().norm() for g in grads if g is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


def _equal(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return isinstance(a, Tensor) and isinstance(b, Tensor) and torch.equal(a, b)


def _scalar(value):
    total = _total(value)
    return total.item() if total is not None else value


def _finite(x: float) -> bool:
    return x == x and abs(x) != float('inf')
