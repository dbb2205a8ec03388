# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple

from mmengine.structures import BaseDataElement
from torch import Tensor

from mmkd.models.classifiers import LinearHeadClassifier, stack_labels
from mmkd.registry import MODELS
from .base import BaseDistiller
from .distill_losses import LogitRows
from .recorder import record_calls


@MODELS.register_module()
class ClassificationDistiller(BaseDistiller):
    """Logit distillation of an image classifier.

    The student's own ``loss()`` runs unchanged (its ``loss_cls``, with the weight set in the student config,
    e.g. ``student=dict(loss_cls=dict(loss_weight=0.1))`` for KD; ``drop_student_losses=['loss_cls']`` when PLD
    replaces it) and its logits are recorded on the way; the teacher runs one frozen forward on the same batch.
    Every ``distill_losses`` term gets (student logits, teacher logits, labels) and is logged under its own name.
    ``predict`` and ``tensor`` modes run the student.

    Args:
        teacher_ckpt (str, optional): Teacher weights: an mmkd/MMEngine checkpoint or a public RepDistiller /
            mdistiller / torchvision-layout file (mapped with the backbone's ``head_key``).
        **kwargs: ``student`` and ``teacher`` (:class:`LinearHeadClassifier` configs) and the other arguments of
            :class:`BaseDistiller`.
    """

    def __init__(self, student_losses: Optional[dict] = None, **kwargs) -> None:
        if student_losses is not None:
            raise TypeError('ClassificationDistiller: student_losses is gone; the student\'s own loss() is used. Set '
                            'its weight in the student config, e.g. student=dict(loss_cls=dict(loss_weight=0.1)), and '
                            "leave it out with drop_student_losses=['loss_cls'] (PLD).")
        super().__init__(**kwargs)
        if not callable(getattr(self.student, 'loss_by_logits', None)):
            raise TypeError(f'ClassificationDistiller needs a classifier with loss() and loss_by_logits() such as '
                            f'LinearHeadClassifier; the student is a {type(self.student).__name__}.')
        num_S, num_T = getattr(self.student, 'num_classes', None), getattr(self.teacher, 'num_classes', None)
        if num_S is not None and num_T is not None and num_S != num_T:
            raise ValueError(f'The teacher predicts {num_T} classes and the student {num_S}: logit distillation '
                             'needs the same classes. Set num_classes of both models to the dataset\'s.')

    def convert_teacher_state_dict(self, state):
        if isinstance(self.teacher, LinearHeadClassifier):
            return LinearHeadClassifier.convert_state_dict(state, getattr(self.teacher.backbone, 'head_key', 'fc'))
        return state

    def student_loss_and_rows(self, inputs: Tensor,
                              data_samples: List[BaseDataElement]) -> Tuple[Dict[str, Tensor], LogitRows]:
        with record_calls(self.student, 'loss_by_logits') as calls:
            losses = self.student.loss(inputs, data_samples)
        logits_S = calls.only().arguments['logits']
        logits_T = self.teacher_forward(self.teacher, inputs, mode='tensor')
        return losses, LogitRows(logits_S, logits_T, stack_labels(data_samples, logits_S.device))
