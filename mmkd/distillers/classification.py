# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Union

from mmengine.structures import BaseDataElement
from torch import Tensor

from mmkd.models.classifiers import ImageClassifier, stack_labels
from mmkd.registry import MODELS
from .base import BaseDistiller, build_distill_losses


@MODELS.register_module()
class ClassificationDistiller(BaseDistiller):
    """Logit distillation of an image classifier.

    One forward of the student and one frozen forward of the teacher on the same batch, then
    ``student_losses`` (e.g. cross-entropy with its own weight; empty for PLD, which replaces it) on the student
    logits and the labels, and every ``distill_losses`` term on (student logits, teacher logits, labels). Each
    term is logged under its own name. ``predict`` and ``tensor`` modes run the student.

    Args:
        student (dict): Student config (an :class:`ImageClassifier`).
        teacher (dict): Teacher config.
        teacher_ckpt (str, optional): Teacher weights: an mmkd/MMEngine checkpoint or a public RepDistiller /
            mdistiller / torchvision-layout file (mapped with the backbone's ``head_key``).
        student_losses (dict): Named losses on (student logits, labels). Defaults to cross-entropy with weight 1.
        distill_losses (dict): Named distillation losses.
        **kwargs: See :class:`BaseDistiller`.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 student_losses: Optional[Dict[str, dict]] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 **kwargs) -> None:
        super().__init__(student, teacher, teacher_ckpt, distill_losses=distill_losses, **kwargs)
        if student_losses is None:
            student_losses = dict(loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0))
        self.student_losses = build_distill_losses(student_losses)
        num_S, num_T = getattr(self.student, 'num_classes', None), getattr(self.teacher, 'num_classes', None)
        if num_S is not None and num_T is not None and num_S != num_T:
            raise ValueError(f'The teacher predicts {num_T} classes and the student {num_S}: logit distillation '
                             'needs the same classes. Set num_classes of both models to the dataset\'s.')

    def convert_teacher_state_dict(self, state):
        if isinstance(self.teacher, ImageClassifier):
            return ImageClassifier.convert_state_dict(state, getattr(self.teacher.backbone, 'head_key', 'fc'))
        return state

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Tensor, Dict[str, Tensor], List[BaseDataElement]]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode)

    def loss(self, inputs: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        logits_T = self.teacher_forward(self.teacher, inputs, mode='tensor')
        logits_S = self.student(inputs, mode='tensor')
        labels = stack_labels(data_samples, logits_S.device)
        losses = self.without_dropped({name: loss(logits_S, labels) for name, loss in self.student_losses.items()})
        losses.update(self.compute_distill_losses(logits_S, logits_T, labels))
        return losses
