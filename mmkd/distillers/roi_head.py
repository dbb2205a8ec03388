# Copyright (c) mmkd contributors. All rights reserved.
"""RoI logit distillation for two-stage detectors (Faster R-CNN), as in the DKD / mdistiller COCO setting."""
import copy
from typing import Dict, Optional, Union

import torch
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from torch import Tensor

from mmkd.registry import MODELS
from .base import BaseDistiller

ROI_SELECTIONS = ('all', 'positive')
BACKGROUND_COLUMNS = ('keep', 'drop')


@MODELS.register_module()
class RoIHeadDistiller(BaseDistiller):
    """Distil the RoI classification logits of a two-stage detector.

    The student runs its RPN and samples RoIs exactly as ``TwoStageDetector.loss`` does; the teacher's RoI
    head then runs on the **student's sampled RoIs** (over the teacher's own features), so both heads'
    ``cls_score`` rows describe the same boxes. Labels come from the student's RoI assignment (background =
    num_classes, which is also mmdet's background column, the last one).

    Args:
        student (dict): Student two-stage detector config.
        teacher (dict): Teacher two-stage detector config (same classes).
        teacher_ckpt (str, optional): Teacher weights.
        distill_losses (dict): Named distillation losses on the RoI logits.
        roi_selection (str): 'all' sampled RoIs (DKD's COCO setting, ~3/4 background) or only the 'positive'
            ones. Defaults to 'all'.
        background_column (str): 'keep' the C+1 softmax columns (background RoIs are labelled with the
            background column) or 'drop' it (C columns; background RoIs then have no target class: PLD ranks
            by the teacher alone, DKD uses the teacher's top class). Defaults to 'keep'.
        **kwargs: See :class:`BaseDistiller`.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 roi_selection: str = 'all',
                 background_column: str = 'keep',
                 **kwargs) -> None:
        super().__init__(student, teacher, teacher_ckpt, distill_losses=distill_losses, **kwargs)
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

    def forward(self, inputs: Tensor, data_samples: Optional[SampleList] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], SampleList, tuple]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> Dict[str, Tensor]:
        student = self.student
        x = student.extract_feat(inputs)
        losses = {}

        # RPN, exactly as TwoStageDetector.loss
        proposal_cfg = student.train_cfg.get('rpn_proposal', student.test_cfg.rpn)
        rpn_data_samples = copy.deepcopy(data_samples)
        for sample in rpn_data_samples:
            sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
        rpn_losses, rpn_results_list = student.rpn_head.loss_and_predict(
            x, rpn_data_samples, proposal_cfg=proposal_cfg)
        for key in list(rpn_losses):
            if 'loss' in key and 'rpn' not in key:
                rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
        losses.update(rpn_losses)

        # RoI assignment and sampling, exactly as StandardRoIHead.loss
        roi_head = student.roi_head
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = roi_head.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                          batch_gt_instances_ignore[i])
            sampling_results.append(
                roi_head.bbox_sampler.sample(
                    assign_result, rpn_results, batch_gt_instances[i], feats=[lvl[i][None] for lvl in x]))
        rois = bbox2roi([res.priors for res in sampling_results])
        bbox_results = roi_head._bbox_forward(x, rois)
        loss_and_target = roi_head.bbox_head.loss_and_target(
            cls_score=bbox_results['cls_score'],
            bbox_pred=bbox_results['bbox_pred'],
            rois=rois,
            sampling_results=sampling_results,
            rcnn_train_cfg=roi_head.train_cfg)
        losses.update(loss_and_target['loss_bbox'])
        if roi_head.with_mask:
            mask_results = roi_head.mask_loss(x, sampling_results, bbox_results['bbox_feats'], batch_gt_instances)
            losses.update(mask_results['loss_mask'])

        # the teacher's RoI head on the student's RoIs
        cls_T = self.teacher_forward(
            lambda: self.teacher.roi_head._bbox_forward(self.teacher.extract_feat(inputs), rois)['cls_score'])
        cls_S = bbox_results['cls_score']
        if cls_S.shape != cls_T.shape:
            raise ValueError(f'Teacher RoI logits {tuple(cls_T.shape)} do not align with the student\'s '
                             f'{tuple(cls_S.shape)}: use the same num_classes and a softmax RoI head for both.')
        labels = loss_and_target['bbox_targets'][0]
        num_classes = roi_head.bbox_head.num_classes
        if self.roi_selection == 'positive':
            keep = labels < num_classes
            cls_S, cls_T, labels = cls_S[keep], cls_T[keep], labels[keep]
        if self.background_column == 'drop':
            cls_S, cls_T = cls_S[:, :num_classes], cls_T[:, :num_classes]
        losses = self.without_dropped(losses)
        losses.update(self.compute_distill_losses(cls_S, cls_T, labels))
        return losses
