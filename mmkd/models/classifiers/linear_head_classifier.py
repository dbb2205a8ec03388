# Copyright (c) mmkd contributors. All rights reserved.
from collections import OrderedDict
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from mmkd.registry import MODELS


@MODELS.register_module()
class LinearHeadClassifier(BaseModel):
    """backbone -> global average pool -> linear ``fc``: the classifier wrapper of every mmkd image model.

    A backbone may return a feature map [B, C, H, W] (average-pooled here) or pooled features [B, C] (a
    transformer's class token, or a network whose own head pools before its last layers, as MobileNetV4), which
    go to ``fc`` as they are.

    (mmpretrain's ``ImageClassifier`` is a different model: backbone, neck and head configs; this one has a
    single linear head, so public RepDistiller / mdistiller / torchvision checkpoints map onto it one to one.)

    Args:
        backbone (dict): Config of a backbone returning a feature map [B, C, H, W] or features [B, C] (or a
            tuple whose last item is one, as mmdet backbones do).
        num_classes (int): Number of classes.
        in_channels (int, optional): Channels of the last feature map; read from ``backbone.out_channels``
            (or ``feat_dim`` of mmdet's ResNet) when omitted.
        loss_cls (dict): Config of the classification loss. Defaults to cross-entropy.
        data_preprocessor (dict, optional): Normalisation etc., e.g. ``ImgDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 num_classes: int,
                 in_channels: Optional[int] = None,
                 loss_cls: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if in_channels is None:
            # mmkd backbones declare out_channels; mmdet's ResNet has feat_dim
            in_channels = getattr(self.backbone, 'out_channels', getattr(self.backbone, 'feat_dim', None))
            if not isinstance(in_channels, int):
                raise ValueError(f'LinearHeadClassifier: set in_channels, {type(self.backbone).__name__} does not '
                                 'declare out_channels.')
        self.num_classes = num_classes
        self.fc = nn.Linear(in_channels, num_classes)
        self.loss_cls = MODELS.build(loss_cls)

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Pooled features [B, C]."""
        feat = self.backbone(inputs)
        if isinstance(feat, (tuple, list)):
            feat = feat[-1]
        if feat.dim() == 2:  # already pooled
            return feat
        return F.adaptive_avg_pool2d(feat, 1).flatten(1)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Tensor, Dict[str, Tensor], List[BaseDataElement]]:
        """``mode``: 'tensor' -> logits [B, num_classes]; 'loss' -> dict; 'predict' -> data samples with
        ``pred_score`` and ``pred_label``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        logits = self.fc(self.extract_feat(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'predict':
            return self.predict_by_logits(logits, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def loss(self, inputs: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """The classifier's own losses: ``{'loss_cls': loss_cls(logits, labels)}``."""
        return self.loss_by_logits(self(inputs), data_samples)

    def loss_by_logits(self, logits: Tensor, data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """``loss_cls`` of the logits [B, num_classes] against the samples' ``gt_label``."""
        labels = stack_labels(data_samples, logits.device)
        return dict(loss_cls=self.loss_cls(logits, labels))

    @staticmethod
    def predict_by_logits(logits: Tensor, data_samples: Optional[List[BaseDataElement]]) -> List[BaseDataElement]:
        scores = logits.float().softmax(1).detach()
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(scores))]
        for sample, score in zip(data_samples, scores):
            sample.set_field(score, 'pred_score')
            sample.set_field(score.argmax(0, keepdim=True), 'pred_label')
        return data_samples

    @staticmethod
    def convert_state_dict(state_dict: Dict[str, Tensor], head_key: str = 'fc') -> 'OrderedDict[str, Tensor]':
        """Map a plain network's keys (RepDistiller, mdistiller, torchvision ResNet) to this wrapper.

        ``{head_key}.weight/bias`` become ``fc.weight/bias``; every other key gets the ``backbone.`` prefix.
        Keys already in the wrapper's layout are kept.
        """
        converted = OrderedDict()
        for key, value in state_dict.items():
            if key.startswith(head_key + '.'):
                key = 'fc.' + key[len(head_key) + 1:]
            elif not key.startswith(('backbone.', 'fc.')):
                key = 'backbone.' + key
            converted[key] = value
        return converted


def stack_labels(data_samples: List[BaseDataElement], device: Union[str, torch.device]) -> Tensor:
    """The ``gt_label`` of each data sample as one int64 tensor [B]."""
    return torch.cat([torch.as_tensor(s.gt_label).reshape(-1) for s in data_samples]).long().to(device)
