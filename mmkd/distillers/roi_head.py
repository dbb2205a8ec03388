# Copyright (c) mmkd contributors. All rights reserved.
"""RoI logit distillation for two-stage detectors (Faster R-CNN), as in the DKD / mdistiller COCO setting."""
from typing import Dict, Tuple

from mmdet.structures import SampleList
from torch import Tensor

from mmkd.registry import MODELS
from .base import BaseDistiller
from .distill_losses import LogitRows
from .recorder import record_calls

ROI_SELECTIONS = ('all', 'positive')
BACKGROUND_COLUMNS = ('keep', 'drop')


@MODELS.register_module()
class RoIHeadDistiller(BaseDistiller):
    """Distil the RoI classification logits of a two-stage detector.

    The student runs its own ``loss()`` (RPN, RoI sampling, box and mask losses, exactly as alone); the RoIs it
    sampled, their ``cls_score`` and their labels are recorded from its box head's ``loss_and_target`` call.
    The teacher's RoI head then runs on the **student's sampled RoIs** (over the teacher's own features), so
    both heads' ``cls_score`` rows describe the same boxes. Labels come from the student's RoI assignment
    (background = num_classes, which is also mmdet's background column, the last one).

    Args:
        roi_selection (str): 'all' sampled RoIs (DKD's COCO setting, ~3/4 background) or only the 'positive'
            ones. Defaults to 'all'.
        background_column (str): 'keep' the C+1 softmax columns (background RoIs are labelled with the
            background column) or 'drop' it (C columns; background RoIs then have no target class: PLD ranks
            by the teacher alone, DKD uses the teacher's top class). Defaults to 'keep'.
        **kwargs: ``student`` and ``teacher`` (two-stage detector configs with the same classes),
            ``teacher_ckpt``, ``distill_losses`` (on the RoI logits) and the rest of :class:`BaseDistiller`.
    """

    def __init__(self, roi_selection: str = 'all', background_column: str = 'keep', **kwargs) -> None:
        super().__init__(**kwargs)
        if roi_selection not in ROI_SELECTIONS:
            raise ValueError(f'roi_selection must be one of {ROI_SELECTIONS}, got {roi_selection!r}.')
        if background_column not in BACKGROUND_COLUMNS:
            raise ValueError(f'background_column must be one of {BACKGROUND_COLUMNS}, got {background_column!r}.')
        for who, model in (('student', self.student), ('teacher', self.teacher)):
            if not (getattr(model, 'with_rpn', False) and getattr(model, 'with_roi_head', False)):
                raise TypeError(f'RoIHeadDistiller needs two-stage detectors with an RPN and a RoI head; the {who} '
                                f'is a {type(model).__name__}. Use DenseHeadDistiller for single-stage detectors.')
        if self.student.roi_head.bbox_head.num_classes != self.teacher.roi_head.bbox_head.num_classes:
            raise ValueError(f'Teacher ({self.teacher.roi_head.bbox_head.num_classes}) and student '
                             f'({self.student.roi_head.bbox_head.num_classes}) RoI heads have different num_classes.')
        self.roi_selection = roi_selection
        self.background_column = background_column

    def student_loss_and_rows(self, inputs: Tensor, data_samples: SampleList) -> Tuple[Dict[str, Tensor], LogitRows]:
        with record_calls(self.student.roi_head.bbox_head, 'loss_and_target') as loss_and_target:
            losses = self.student.loss(inputs, data_samples)
        call = loss_and_target.only()
        cls_S, rois = call.arguments['cls_score'], call.arguments['rois']
        labels = call.result['bbox_targets'][0]
        # the teacher's RoI head on the student's RoIs
        cls_T = self.teacher_forward(
            lambda: self.teacher.roi_head._bbox_forward(self.teacher.extract_feat(inputs), rois)['cls_score'])
        if cls_S.shape != cls_T.shape:
            raise ValueError(f'Teacher RoI logits {tuple(cls_T.shape)} do not align with the student\'s '
                             f'{tuple(cls_S.shape)}: use the same num_classes and a softmax RoI head for both.')
        num_classes = self.student.roi_head.bbox_head.num_classes
        sources = (cls_S, )
        if self.roi_selection == 'positive':
            keep = labels < num_classes
            cls_S, cls_T, labels = cls_S[keep], cls_T[keep], labels[keep]
        if self.background_column == 'drop':
            cls_S, cls_T = cls_S[:, :num_classes], cls_T[:, :num_classes]
        return losses, LogitRows(cls_S, cls_T, labels, sources=sources)
