# Copyright (c) mmkd contributors. All rights reserved.
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackClsInputs(BaseTransform):
    """Pack an image and its label: ``inputs`` (uint8 CHW tensor) and ``data_samples`` (a
    :class:`BaseDataElement` with ``gt_label`` and the image meta information).

    Args:
        meta_keys (Sequence[str]): Keys of ``results`` copied into the data sample's metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = ('sample_idx', 'img_path', 'ori_shape', 'img_shape')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = BaseDataElement(metainfo={k: results[k] for k in self.meta_keys if k in results})
        if 'gt_label' in results:
            sample.gt_label = torch.as_tensor(results['gt_label'], dtype=torch.long).reshape(1)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
