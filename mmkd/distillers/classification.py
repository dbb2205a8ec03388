# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
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

    A teacher that expects other inputs than the student gets them through ``teacher_input``: its own resolution
    (a CIFAR ResNet at 32 x 32 teaching a transformer that sees the images resized to 224, as in the official code
    of the RKKD paper's transformer table) and its own normalisation (timm's ViT checkpoints expect mean = std =
    0.5, the ImageNet students mean/std of ImageNet). The student's batch, normalised by the distiller's data
    preprocessor, is un-normalised with that preprocessor's ``mean``/``std``, normalised with the teacher's, then
    resized; both are per-channel affine maps, so the order does not change the result.

    Args:
        teacher_ckpt (str, optional): Teacher weights: an mmkd/MMEngine checkpoint or a public RepDistiller /
            mdistiller / torchvision / timm / pycls-layout file, ``.pth`` or ``.safetensors`` (mapped with the
            backbone's ``head_key``).
        teacher_input (dict, optional): How the teacher sees the batch: ``size`` (int or (h, w)) with ``mode``
            (``'bilinear'`` default, any of :func:`torch.nn.functional.interpolate`'s) to resize it, and/or
            ``mean`` and ``std`` (per channel, on the 0-255 scale of the data preprocessor) for the teacher's
            normalisation. Defaults to None: the teacher sees the student's inputs.
        **kwargs: ``student`` and ``teacher`` (:class:`LinearHeadClassifier` configs) and the other arguments of
            :class:`BaseDistiller`.
    """

    def __init__(self, student_losses: Optional[dict] = None, teacher_input: Optional[dict] = None,
                 **kwargs) -> None:
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
        self.teacher_input = self._check_teacher_input(teacher_input)

    def _check_teacher_input(self, cfg: Optional[dict]) -> Optional[dict]:
        """Validate ``teacher_input``; store the teacher's mean/std as buffers-to-be ([C, 1, 1] tensors)."""
        if not cfg:
            return None
        cfg = dict(cfg)
        unknown = sorted(set(cfg) - {'size', 'mode', 'mean', 'std'})
        if unknown:
            raise TypeError(f'teacher_input got unknown key(s) {unknown}; valid keys: size, mode, mean, std.')
        if ('mean' in cfg) != ('std' in cfg):
            raise ValueError('teacher_input: give the teacher\'s mean and std together.')
        if 'mean' in cfg:
            preprocessor = self.data_preprocessor
            if not getattr(preprocessor, '_enable_normalize', False):
                raise ValueError('teacher_input mean/std re-normalise the batch for the teacher, but the data '
                                 f'preprocessor ({type(preprocessor).__name__}) does not normalise it: set its mean '
                                 'and std, or leave mean/std out of teacher_input.')
            cfg['mean'] = torch.as_tensor(cfg['mean'], dtype=torch.float32).view(-1, 1, 1)
            cfg['std'] = torch.as_tensor(cfg['std'], dtype=torch.float32).view(-1, 1, 1)
        if 'size' in cfg:
            size = cfg['size']
            cfg['size'] = (size, size) if isinstance(size, int) else tuple(size)
            cfg.setdefault('mode', 'bilinear')
        return cfg

    def teacher_inputs(self, inputs: Tensor) -> Tensor:
        """The batch as the teacher sees it (``teacher_input``); the student's batch when that is not set."""
        cfg = self.teacher_input
        if cfg is None:
            return inputs
        if 'mean' in cfg:
            pre = self.data_preprocessor
            mean_T, std_T = cfg['mean'].to(inputs), cfg['std'].to(inputs)
            inputs = (inputs * pre.std.to(inputs) + pre.mean.to(inputs) - mean_T) / std_T
        if 'size' in cfg and tuple(inputs.shape[-2:]) != cfg['size']:
            align = False if cfg['mode'] in ('bilinear', 'bicubic', 'linear', 'trilinear') else None
            inputs = F.interpolate(inputs, size=cfg['size'], mode=cfg['mode'], align_corners=align)
        return inputs

    def convert_teacher_state_dict(self, state):
        if isinstance(self.teacher, LinearHeadClassifier):
            return LinearHeadClassifier.convert_state_dict(state, getattr(self.teacher.backbone, 'head_key', 'fc'))
        return state

    def student_loss_and_rows(self, inputs: Tensor,
                              data_samples: List[BaseDataElement]) -> Tuple[Dict[str, Tensor], LogitRows]:
        with record_calls(self.student, 'loss_by_logits') as calls:
            losses = self.student.loss(inputs, data_samples)
        logits_S = calls.only().arguments['logits']
        logits_T = self.teacher_forward(self.teacher, self.teacher_inputs(inputs), mode='tensor')
        labels = stack_labels(data_samples, logits_S.device)
        return losses, LogitRows(logits_S, logits_T, labels, sources=(logits_S, ))
