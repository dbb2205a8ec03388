# Copyright (c) mmkd contributors. All rights reserved.
"""The test-time resize of the standard ImageNet recipe (``Resize(256)`` of torchvision)."""
from typing import Tuple

import mmcv
from mmcv.transforms import BaseTransform

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ResizeShortEdge(BaseTransform):
    """Resize so that the short edge is ``scale`` pixels, keeping the aspect ratio (then ``CenterCrop``).

    The long edge becomes ``int(scale * long / short)`` (truncated, as torchvision's ``Resize(int)``). Like
    mmcv's ``Resize``, it sets ``img_shape``, ``scale`` (w, h), ``scale_factor`` (w_scale, h_scale) and
    ``keep_ratio``.

    Args:
        scale (int): Target length of the short edge.
        interpolation (str): mmcv interpolation. Defaults to 'bilinear'.
        backend (str): mmcv resize backend, 'cv2' or 'pillow'. Defaults to 'cv2'.
    """

    def __init__(self, scale: int, interpolation: str = 'bilinear', backend: str = 'cv2') -> None:
        if not isinstance(scale, int) or scale <= 0:
            raise ValueError(f'ResizeShortEdge: scale must be a positive int, got {scale!r}.')
        self.scale, self.interpolation, self.backend = scale, interpolation, backend

    def target_size(self, h: int, w: int) -> Tuple[int, int]:
        """The output (w, h) for an input of height ``h`` and width ``w``."""
        if h <= w:
            return max(1, int(self.scale * w / h)), self.scale
        return self.scale, max(1, int(self.scale * h / w))

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        size = self.target_size(h, w)
        img = mmcv.imresize(img, size, interpolation=self.interpolation, backend=self.backend)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['scale'] = size
        results['scale_factor'] = (size[0] / w, size[1] / h)
        results['keep_ratio'] = True
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale}, interpolation={self.interpolation})'
