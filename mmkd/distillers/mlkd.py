# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Tuple

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmkd.registry import MODELS
from .classification import ClassificationDistiller
from .distill_losses import LogitRows


@MODELS.register_module()
class MLKDDistiller(ClassificationDistiller):
    """MLKD's two-view training step (Jin et al., CVPR 2023): the classification step once per view.

    The batch holds two views of every image, [B, 2, C, H, W] (weak, strong: the ``StackViews`` pipeline and
    ``MultiViewDataPreprocessor``). The student runs its own ``loss()`` on each view in its own forward (as the
    official code, so BatchNorm sees one view at a time) and its terms are summed (CE on both views), the teacher
    runs on each view, and the distillation losses get the rows of both views, weak first: [2B, C]
    (``MLKDInstanceLoss`` / ``MLKDBatchLoss`` / ``MLKDClassLoss`` read that layout; a plain loss such as RKKD then
    covers both views). Validation and test use one view, as with any classifier.

    Args:
        **kwargs: Those of :class:`ClassificationDistiller`; ``data_preprocessor`` should be a
            ``MultiViewDataPreprocessor``.
    """

    def student_loss_and_rows(self, inputs: Tensor,
                              data_samples: List[BaseDataElement]) -> Tuple[Dict[str, Tensor], LogitRows]:
        if inputs.dim() != 5 or inputs.size(1) != 2:
            raise ValueError(f'MLKDDistiller trains on two views of each image, [B, 2, C, H, W] (a StackViews train '
                             f'pipeline and a MultiViewDataPreprocessor); got inputs of shape {tuple(inputs.shape)}.')
        weak, strong = (super(MLKDDistiller, self).student_loss_and_rows(inputs[:, v], data_samples) for v in (0, 1))
        losses = {name: weak[0][name] + strong[0][name] for name in weak[0]}
        rows = LogitRows(*(torch.cat([a, b]) for a, b in zip(weak[1][:3], strong[1][:3])),
                         sources=weak[1].sources + strong[1].sources)
        return losses, rows

    def student_loss(self, inputs: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """The student's own terms once distillation is stopped: its ``loss()`` on each view, summed (as while
        distilling)."""
        weak, strong = (self.student.loss(inputs[:, v], data_samples) for v in (0, 1))
        return {name: weak[name] + strong[name] for name in weak}
