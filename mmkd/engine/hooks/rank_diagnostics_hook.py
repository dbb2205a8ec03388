# Copyright (c) mmkd contributors. All rights reserved.
"""How far the student follows the teacher's ranking of the classes, measured on the validation set.

Rows are what the distiller distils: every image of a classification distiller; the anchors or RoIs that a
detection distiller's :meth:`~mmkd.distillers.BaseDistiller.student_loss_and_rows` selects, recomputed on each
validation batch. Per row, the student's and the teacher's C logits are compared by their top-1 class and by
Kendall's tau-b; the means over the rows of a validation epoch are added to its metrics.
"""
import math
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.logging import print_log
from torch import Tensor

from mmkd.distillers import BaseDistiller, ClassificationDistiller, DenseHeadDistiller, LogitRows
from mmkd.distillers.distill_losses import IGNORE_LABEL
from mmkd.registry import HOOKS
from .distiller_of import distiller_of

#: the names the diagnostics are logged under (next to the task metric, e.g. ``accuracy/top1``)
AGREEMENT_KEY = 'teacher_student/top1_agreement'
TAU_KEY = 'teacher_student/kendall_tau'
ROWS_KEY = 'teacher_student/rows'
#: elements of one [rows, C, C] pair tensor of :func:`kendall_tau_b` (bool): 4 MB each
PAIRS_PER_CHUNK = 2**22


def kendall_tau_b(x: Tensor, y: Tensor, pairs_per_chunk: int = PAIRS_PER_CHUNK) -> Tensor:
    """Kendall's tau-b between ``x[n]`` and ``y[n]`` of every row, exactly.

        tau_b = (P - Q) / sqrt((n0 - n_x) (n0 - n_y)),

    P and Q the concordant and discordant pairs of classes, n0 = C (C - 1) / 2 and n_x, n_y the pairs tied in x and
    in y: :func:`scipy.stats.kendalltau`'s default variant; without ties it is tau-a, (P - Q) / n0. Over the ordered
    pairs (i, j), with gx = [x_i > x_j] and gy = [y_i > y_j]: P = #(gx and gy), Q = #(gx and gy transposed),
    n0 - n_x = #gx, n0 - n_y = #gy. Everything is a comparison (exact in any dtype) or an integer count, so the
    result is exact up to the final float64 division. The rows are processed in chunks of about ``pairs_per_chunk``
    pairs (two bool [rows, C, C] tensors at a time, e.g. 4 rows of C = 1000). A row where either side is constant
    has no tau (scipy: NaN); it counts as 0 here.

    Args:
        x (Tensor): [N, C].
        y (Tensor): [N, C], the same shape.
        pairs_per_chunk (int): Elements of one [rows, C, C] intermediate. Defaults to :data:`PAIRS_PER_CHUNK`.

    Returns:
        Tensor: tau-b per row [N], float64, on the inputs' device.
    """
    if x.dim() != 2 or x.shape != y.shape:
        raise ValueError(f'kendall_tau_b takes two [N, C] tensors of the same shape, got {tuple(x.shape)} and '
                         f'{tuple(y.shape)}.')
    n, c = x.shape
    step = max(1, pairs_per_chunk // max(c * c, 1))
    taus: List[Tensor] = [x.new_zeros(0, dtype=torch.float64)]
    for start in range(0, n, step):
        a, b = x[start:start + step], y[start:start + step]
        gx, gy = a[:, :, None] > a[:, None, :], b[:, :, None] > b[:, None, :]
        score = (gx & gy).sum((1, 2)).double() - (gx & gy.transpose(1, 2)).sum((1, 2)).double()
        norm = (gx.sum((1, 2)).double() * gy.sum((1, 2)).double()).sqrt()
        taus.append(torch.where(norm > 0, score / norm.clamp_min(1.0), torch.zeros_like(score)))
    return torch.cat(taus)


def top1_agreement(x: Tensor, y: Tensor) -> Tensor:
    """Whether the two rows' largest entries are the same class, per row [N] (bool)."""
    return x.argmax(-1) == y.argmax(-1)


def boxes_in_original_frame(dataset) -> bool:
    """Whether a dataset's pipeline loads the annotations after resizing the image, as mmdet's test pipelines do
    (``Resize``, then ``LoadAnnotations``): the gt boxes then stay in the original image's frame (for the
    evaluator), not in that of the network input."""
    while not hasattr(dataset, 'pipeline'):
        inner = getattr(dataset, 'dataset', None) or (getattr(dataset, 'datasets', None) or [None])[0]
        if inner is None:
            return False
        dataset = inner
    resized = False
    for transform in getattr(dataset.pipeline, 'transforms', []):
        name = type(transform).__name__
        if 'LoadAnnotations' in name:
            return resized
        resized = resized or 'Resize' in name
    return False


def boxes_to_input_frame(data_samples: Sequence) -> None:
    """Rescale each sample's gt (and ignored) boxes by its ``scale_factor`` into the network input's frame, on new
    instance objects (the originals, which the evaluator may read, are left alone)."""
    from mmdet.structures.bbox import scale_boxes
    for sample in data_samples:
        scale = sample.metainfo.get('scale_factor')
        if scale is None:
            continue
        for key in ('gt_instances', 'ignored_instances'):
            instances = getattr(sample, key, None)
            if instances is None or 'bboxes' not in instances:
                continue
            instances = instances.clone()
            instances.bboxes = scale_boxes(instances.bboxes.clone(), scale)
            setattr(sample, key, instances)


@HOOKS.register_module()
class RankDiagnosticsHook(Hook):
    """Report, at every validation, how well the student reproduces the teacher's ranking of the classes.

    After each validation iteration the batch is run once more through the distiller (eval mode, no gradients,
    the random state restored afterwards: a RoI sampler's draws do not move the training's): a classification
    distiller gives one row per image (the student's and the teacher's logits); a detection distiller gives the
    rows its own :meth:`student_loss_and_rows` selects from the batch (the anchors or RoIs the distillation
    losses see, with the validation gt boxes brought into the input's frame). Rows labelled -1 (ignored by every
    distillation loss) are left out; row weights (``weight_by_teacher_score``) are not used: each row counts once.
    The sums stay on the device; they are read (and summed over the processes) once, after the epoch, and added to
    the validation metrics, so they are logged next to the task metric (the log line and
    ``<work_dir>/<timestamp>/vis_data/scalars.json``) and can be ``save_best`` keys:

    - ``teacher_student/top1_agreement``: % of rows whose top-1 class is the teacher's,
    - ``teacher_student/kendall_tau``: mean over the rows of Kendall's tau-b between the two logit vectors
      (:func:`kendall_tau_b`, exact; 1: the teacher's order, 0: unrelated, -1: reversed),
    - ``teacher_student/rows``: how many rows were measured.

    Tau-b and not tau-a: both are equal when no two logits of a row are equal, the usual case with float32
    logits, but a teacher under ``teacher_amp`` has bfloat16 logits (8 significant bits), where ties among 1000
    classes are common; tau-b discounts tied pairs and stays in [-1, 1] with 1 for the same order.

    Cost: one student and one teacher forward per measured batch (for detection, with the student's losses,
    which give the anchor labels), and C^2 comparisons per row. ``max_rows_per_batch`` bounds the latter for
    distillers of every anchor: beyond it, the rows with the teacher's highest class probability (sigmoid for
    sigmoid dense heads, softmax otherwise) are kept; the first such batch is reported in the log.

    Args:
        max_rows_per_batch (int, optional): Most rows measured per batch. Defaults to 4096: every image of a
            classification batch and every sampled RoI of a Faster R-CNN batch (512 per image), the teacher's
            4096 most confident anchors of an 'all'-anchor dense head (about 10^5 anchors per COCO image). None:
            every row.
        max_batches (int, optional): Measure only the first batches of each validation (per process). Defaults
            to None (all).
    """
    # Before RuntimeInfoHook ('VERY_HIGH'), which turns the metrics of after_val_epoch into the scalars that
    # LoggerHook ('BELOW_NORMAL') writes.
    priority = 'HIGHEST'

    def __init__(self, max_rows_per_batch: Optional[int] = 4096, max_batches: Optional[int] = None) -> None:
        for name, value in (('max_rows_per_batch', max_rows_per_batch), ('max_batches', max_batches)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f'RankDiagnosticsHook: {name} must be a positive int or None, got {value!r}.')
        self.max_rows_per_batch = max_rows_per_batch
        self.max_batches = max_batches
        self._sums: Optional[Tensor] = None
        self._rescale_boxes = False
        self._measuring = False
        self._capped_reported = False

    @staticmethod
    def distiller(runner) -> BaseDistiller:
        """The runner's distiller (inside its model wrapper); a clear error for any other model."""
        return distiller_of(runner, 'RankDiagnosticsHook', 'compares the student with the teacher')

    def before_run(self, runner) -> None:
        self.distiller(runner)

    def before_val_epoch(self, runner) -> None:
        model = self.distiller(runner)
        self._sums = None
        self._measuring = model.teacher_loaded
        if not self._measuring:
            print_log('RankDiagnosticsHook: the teacher is not loaded (validation outside training); the '
                      'teacher-student diagnostics are skipped.', logger='current')
        self._rescale_boxes = not isinstance(model, ClassificationDistiller) and boxes_in_original_frame(
            runner.val_loop.dataloader.dataset)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self._measuring or data_batch is None or (self.max_batches is not None
                                                         and batch_idx >= self.max_batches):
            return
        model = self.distiller(runner)
        with torch.no_grad():
            data = model.data_preprocessor(data_batch, False)
            rows = self.rows(model, data['inputs'], data['data_samples'])
            sums = self.row_sums(rows, sigmoid=self.sigmoid_scores(model))
        self._sums = sums if self._sums is None else self._sums + sums

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self._sums is None:
            return
        sums, self._sums = self._sums, None
        all_reduce(sums)  # the processes' rows together (nothing to do in a single process)
        agree, tau, rows = sums.tolist()  # the one read of the epoch
        if rows == 0:
            print_log('RankDiagnosticsHook: no row to measure in this validation (every row ignored or none '
                      'selected).', logger='current')
            return
        values = {AGREEMENT_KEY: 100.0 * agree / rows, TAU_KEY: tau / rows, ROWS_KEY: int(rows)}
        if metrics is not None:  # RuntimeInfoHook, after this hook, logs them with the task metrics
            metrics.update(values)
        else:
            for key, value in values.items():
                runner.message_hub.update_scalar(f'val/{key}', value)

    # ---------------------------------------------------------------- the rows and their sums
    def rows(self, model: BaseDistiller, inputs: Tensor, data_samples: list) -> LogitRows:
        """The rows of one preprocessed validation batch (see the class docstring)."""
        if isinstance(model, ClassificationDistiller):  # every image; MLKD validates on one view as well
            logits_S = model.student(inputs, mode='tensor')
            logits_T = model.teacher_forward(model.teacher, model.teacher_inputs(inputs), mode='tensor')
            return LogitRows(logits_S, logits_T)
        if self._rescale_boxes:
            boxes_to_input_frame(data_samples)
        for sample in data_samples:
            if 'gt_instances' not in sample or 'bboxes' not in sample.gt_instances:
                raise RuntimeError('RankDiagnosticsHook needs the gt boxes of the validation set to select the '
                                   "distiller's rows: add dict(type='LoadAnnotations', with_bbox=True) to the "
                                   'validation pipeline.')
        devices = [inputs.device] if inputs.device.type == 'cuda' else []
        with torch.random.fork_rng(devices=devices):  # a RoI sampler draws: the training's random state is kept
            return model.student_loss_and_rows(inputs, data_samples)[1]

    @staticmethod
    def sigmoid_scores(model: BaseDistiller) -> bool:
        """Whether the distiller's class scores are sigmoids (a dense head with ``use_sigmoid_cls``)."""
        return isinstance(model, DenseHeadDistiller) and bool(getattr(model.student.bbox_head, 'use_sigmoid_cls',
                                                                      False))

    def row_sums(self, rows: LogitRows, sigmoid: bool = False) -> Tensor:
        """[agreeing rows, sum of tau-b, rows] of a batch (float64, on its device; no host synchronisation)."""
        preds_S, preds_T = rows.preds_S.detach(), rows.preds_T.detach()
        if preds_S.dim() != 2 or preds_S.shape != preds_T.shape:
            raise ValueError(f'RankDiagnosticsHook: the student rows {tuple(preds_S.shape)} and the teacher rows '
                             f'{tuple(preds_T.shape)} must be [N, C] tensors of the same shape.')
        keep = torch.ones(preds_S.size(0), dtype=torch.bool, device=preds_S.device) if rows.labels is None \
            else rows.labels.reshape(-1) != IGNORE_LABEL
        limit = self.max_rows_per_batch
        if limit is not None and preds_S.size(0) > limit:
            scores = preds_T.float()
            confidence = (scores if sigmoid else scores.softmax(-1)).max(-1).values  # sigmoid: monotonic
            index = confidence.masked_fill(~keep, -math.inf).topk(limit).indices
            preds_S, preds_T, keep = preds_S[index], preds_T[index], keep[index]
            self._report_cap(rows.preds_S.size(0), limit)
        agree = (top1_agreement(preds_S, preds_T) & keep).sum()
        tau = (kendall_tau_b(preds_S, preds_T) * keep).sum()
        return torch.stack([agree.double(), tau, keep.sum().double()])

    def _report_cap(self, num_rows: int, limit: int) -> None:
        if not self._capped_reported:
            self._capped_reported = True
            print_log(f'RankDiagnosticsHook: a validation batch has {num_rows} rows; the {limit} with the teacher\'s '
                      'highest class probability are measured (max_rows_per_batch).', logger='current')
