# Copyright (c) mmkd contributors. All rights reserved.
"""Per-anchor logit distillation for single-stage detectors (RetinaNet, ATSS, GFL, FCOS, RTMDet, YOLOX, ...)."""
from contextlib import ExitStack
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.structures import SampleList
from torch import Tensor

from mmkd.registry import MODELS
from .base import BaseDistiller
from .distill_losses import IGNORE_LABEL, LogitRows, check_losses_take_weight
from .recorder import record_calls

ANCHOR_SELECTIONS = ('all', 'positive', 'topk')
BACKGROUND_MODES = ('no_target', 'ignore')


def flatten_level_logits(cls_scores: Sequence[Tensor], num_classes: int) -> Tensor:
    """[B, A*C, H, W] per level -> [B, sum_l H_l*W_l*A, C], in mmdet's anchor order (level, y, x, anchor)."""
    return torch.cat([s.permute(0, 2, 3, 1).reshape(s.size(0), -1, num_classes) for s in cls_scores], dim=1)


def labels_from_targets(targets: tuple, num_imgs: int) -> Optional[Tensor]:
    """The per-anchor labels [B, N] inside a head's ``get_targets`` result.

    AnchorHead (RetinaNet): ``(labels_list, ...)``; ATSS / GFL: ``(anchors_list, labels_list, ...)``; FCOS:
    ``(labels per level concatenated over images, ...)``. The first per-level list of integer tensors is it.
    """
    for item in targets:
        if isinstance(item, (list, tuple)) and item and all(
                isinstance(t, Tensor) and not t.is_floating_point() for t in item):
            return torch.cat([t.reshape(num_imgs, -1) for t in item], dim=1)
    return None


def labels_from_samplings(single_calls: Sequence, sample_calls: Sequence, num_priors: int, num_classes: int,
                          device: torch.device) -> Tensor:
    """The per-prior labels [B, N] of a head that assigns image by image without a ``get_targets`` (YOLOX): one
    ``_get_targets_single`` call per image, in order; each image with gt boxes samples once (its positive priors
    and their gt labels), the others are all background (label ``num_classes``)."""
    labels = torch.full((len(single_calls), num_priors), num_classes, dtype=torch.long, device=device)
    samples = iter(sample_calls)
    for i, call in enumerate(single_calls):
        if len(call.arguments['gt_instances']) == 0:
            continue
        sampling = next(samples).result
        labels[i, sampling.pos_inds] = sampling.pos_gt_labels.to(labels)
    return labels


@MODELS.register_module()
class DenseHeadDistiller(BaseDistiller):
    """Distil the per-anchor classification logits of a single-stage detector.

    Teacher and student must share the anchor generator (or point strides) and the FPN strides, so that
    their ``cls_scores`` align anchor by anchor; this is checked on every batch. The teacher runs
    backbone + neck + head forward only. The student runs its own ``loss()`` (focal, box, ... exactly as
    alone); its head's class logits (``forward``) and the per-anchor labels of its one target assignment
    (``get_targets``) are recorded on the way and reused for the losses that need labels (PLD, DKD).

    Background anchors of a sigmoid head (label = num_classes) have no class. With
    ``background='no_target'`` they keep the label num_classes, which the mmkd losses read as "no target
    class": PLD ranks their classes in the teacher's order alone, DKD takes the teacher's top class as
    target, KD / DIST / RKKD do not use labels. With ``background='ignore'`` they are dropped from every
    distillation loss. The C logits of an anchor form one row: softmax-based losses treat them as a
    distribution over the C classes; RKKD uses only their order.

    Args:
        anchor_selection (str): 'all' anchors, the 'positive' anchors of the student's assigner, or the
            'topk' anchors of each image by the teacher's highest class score. Defaults to 'all'.
        topk (int): Anchors per image for 'topk'. Defaults to 1000.
        weight_by_teacher_score (bool): Weight each selected anchor by the teacher's highest class
            probability (sigmoid). Defaults to False (uniform). Every distillation loss must take ``weight``.
        background (str): 'no_target' or 'ignore' (see above). Defaults to 'no_target'.
        **kwargs: ``student`` and ``teacher`` (single-stage detector configs), ``teacher_ckpt`` (an MMDetection
            checkpoint), ``distill_losses`` (on the selected anchors) and the rest of :class:`BaseDistiller`.
    """

    def __init__(self,
                 anchor_selection: str = 'all',
                 topk: int = 1000,
                 weight_by_teacher_score: bool = False,
                 background: str = 'no_target',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if anchor_selection not in ANCHOR_SELECTIONS:
            raise ValueError(f'anchor_selection must be one of {ANCHOR_SELECTIONS}, got {anchor_selection!r}.')
        if background not in BACKGROUND_MODES:
            raise ValueError(f'background must be one of {BACKGROUND_MODES}, got {background!r}.')
        for who, model in (('student', self.student), ('teacher', self.teacher)):
            if not hasattr(model, 'bbox_head') or not hasattr(model, 'extract_feat'):
                raise TypeError(f'DenseHeadDistiller needs single-stage detectors with a bbox_head; the {who} is '
                                f'a {type(model).__name__}. Use RoIHeadDistiller for two-stage detectors.')
        if weight_by_teacher_score:
            check_losses_take_weight(self.distill_losses, 'weight_by_teacher_score=True')
        self.anchor_selection = anchor_selection
        self.topk = int(topk)
        self.weight_by_teacher_score = bool(weight_by_teacher_score)
        self.background = background

    def check_alignment(self, cls_S: Sequence[Tensor], cls_T: Sequence[Tensor]) -> None:
        """Fail with the levels, anchors per location and classes when the two heads do not align."""
        head_S, head_T = self.student.bbox_head, self.teacher.bbox_head
        desc = (lambda head, scores: f'{len(scores)} levels {[tuple(s.shape[-2:]) for s in scores]}, '
                f'{getattr(head, "num_base_priors", 1)} anchors per location, {head.cls_out_channels} classes')
        aligned = head_S.cls_out_channels == head_T.cls_out_channels and len(cls_S) == len(cls_T) and all(
            s.shape == t.shape for s, t in zip(cls_S, cls_T))
        if not aligned:
            raise ValueError(
                'Teacher and student dense heads do not align anchor by anchor: student has '
                f'{desc(head_S, cls_S)}; teacher has {desc(head_T, cls_T)}. Use the same anchor_generator '
                '(or point strides), FPN strides (neck num_outs / start_level) and num_classes for both.')

    def student_loss_and_rows(self, inputs: Tensor, data_samples: SampleList) -> Tuple[Dict[str, Tensor], LogitRows]:
        head = self.student.bbox_head
        with ExitStack() as stack:
            forward = stack.enter_context(record_calls(head, 'forward'))
            recorded = {name: stack.enter_context(record_calls(owner, name))
                        for owner, name in ((head, 'get_targets'), (head, '_get_targets_single'),
                                            (getattr(head, 'sampler', None), 'sample'))
                        if callable(getattr(owner, name, None))}
            losses = self.student.loss(inputs, data_samples)
        cls_S = forward.only().result[0]
        cls_T = self.teacher_forward(lambda: self.teacher.bbox_head(self.teacher.extract_feat(inputs))[0])
        self.check_alignment(cls_S, cls_T)
        logits_S = flatten_level_logits(cls_S, head.cls_out_channels)
        logits_T = flatten_level_logits(cls_T, head.cls_out_channels)
        if 'get_targets' in recorded and recorded['get_targets'].calls:
            labels = labels_from_targets(recorded['get_targets'].only().result, inputs.size(0))
        elif recorded.get('_get_targets_single') and len(recorded['_get_targets_single'].calls) == inputs.size(0) \
                and 'sample' in recorded:  # YOLOX: assigned image by image
            labels = labels_from_samplings(recorded['_get_targets_single'].calls, recorded['sample'].calls,
                                           logits_S.size(1), head.num_classes, logits_S.device)
        else:
            labels = None
        if labels is None:
            raise RuntimeError(f'{type(head).__name__}: no per-anchor labels found in its loss (get_targets, or '
                               '_get_targets_single with a sampler); DenseHeadDistiller supports anchor heads '
                               '(RetinaNet, ATSS, GFL, RTMDet), FCOS-like heads and YOLOX.')
        if labels.shape != logits_S.shape[:2]:
            raise RuntimeError(f'{len(labels[0])} assigned labels per image for {logits_S.size(1)} anchors.')
        return losses, self.select_anchors(logits_S, logits_T, labels)._replace(sources=tuple(cls_S))

    def select_anchors(self, logits_S: Tensor, logits_T: Tensor, labels: Tensor) -> LogitRows:
        """Rows [M, C] of the selected anchors, their labels [M] and weights [M] (or None)."""
        num_classes = logits_S.size(-1)
        labels = labels.clone()
        if self.background == 'ignore':
            labels[labels >= num_classes] = IGNORE_LABEL
        if self.anchor_selection == 'positive':  # a data-dependent number of rows
            mask = (labels >= 0) & (labels < num_classes)
            rows_S, rows_T, rows_label = logits_S[mask], logits_T[mask], labels[mask]
        elif self.anchor_selection == 'topk':  # k per image: gathered, in anchor order, without a host sync
            score = logits_T.detach().max(-1).values
            k = min(self.topk, score.size(1))
            index = score.topk(k, dim=1).indices.sort(dim=1).values
            rows_S = logits_S.gather(1, index[..., None].expand(-1, -1, num_classes)).flatten(0, 1)
            rows_T = logits_T.gather(1, index[..., None].expand(-1, -1, num_classes)).flatten(0, 1)
            rows_label = labels.gather(1, index).flatten()
        else:
            rows_S, rows_T, rows_label = logits_S.flatten(0, 1), logits_T.flatten(0, 1), labels.flatten()
        weight = rows_T.detach().float().max(-1).values.sigmoid() if self.weight_by_teacher_score else None
        return LogitRows(rows_S, rows_T, rows_label, weight)
