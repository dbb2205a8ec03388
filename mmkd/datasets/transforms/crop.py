# Copyright (c) mmkd contributors. All rights reserved.
"""The two crops of the standard classification recipes that mmcv does not provide."""
import math
from typing import Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmkd.registry import TRANSFORMS


def _pair(size: Union[int, Tuple[int, int]]) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


@TRANSFORMS.register_module()
class RandomCropPad(BaseTransform):
    """Zero-pad every side by ``padding`` and take a random ``size`` crop (the CIFAR recipe).

    Args:
        size (int | tuple): Output (h, w).
        padding (int): Pixels added on each side. Defaults to 4.
        pad_val (int): Fill value. Defaults to 0.
    """

    def __init__(self, size: Union[int, Tuple[int, int]], padding: int = 4, pad_val: int = 0) -> None:
        self.size, self.padding, self.pad_val = _pair(size), padding, pad_val

    @cache_randomness
    def _offset(self, h: int, w: int) -> Tuple[int, int]:
        return np.random.randint(0, h - self.size[0] + 1), np.random.randint(0, w - self.size[1] + 1)

    def transform(self, results: dict) -> dict:
        img = results['img']
        p = self.padding
        pad = ((p, p), (p, p)) + ((0, 0), ) * (img.ndim - 2)
        img = np.pad(img, pad, constant_values=self.pad_val)
        top, left = self._offset(*img.shape[:2])
        results['img'] = img[top:top + self.size[0], left:left + self.size[1]]
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size}, padding={self.padding})'


@TRANSFORMS.register_module()
class InceptionCrop(BaseTransform):
    """Inception-style random resized crop (the ImageNet recipe; torchvision's ``RandomResizedCrop``).

    A random area in ``scale`` and aspect ratio in ``ratio``, resized to ``size``; after 10 failed tries, the
    centred whole image clamped to ``ratio`` (as torchvision). (mmpretrain's ``RandomResizedCrop`` takes other
    arguments, hence the different name.)

    Args:
        size (int | tuple): Output (h, w).
        scale (tuple): Area fraction range. Defaults to (0.08, 1.0).
        ratio (tuple): Aspect ratio range. Defaults to (3/4, 4/3).
        interpolation (str): mmcv interpolation ('bilinear', 'bicubic', ...). Defaults to 'bilinear'.
        backend (str): mmcv resize backend, 'cv2' or 'pillow'. 'pillow' resizes as torchvision and timm do on
            Pillow images (``Image.resize``: antialiased, bicubic with a = -0.5), e.g. timm's
            ``RandomResizedCropAndInterpolation(224, interpolation='bicubic')`` is ``InceptionCrop(224,
            interpolation='bicubic', backend='pillow')``; cv2's bicubic (a = -0.75, no antialiasing) differs.
            Defaults to 'cv2'.
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3. / 4., 4. / 3.), interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        if backend not in ('cv2', 'pillow'):
            raise ValueError(f"InceptionCrop: backend must be 'cv2' or 'pillow', got {backend!r}.")
        self.size, self.scale, self.ratio, self.interpolation = _pair(size), scale, ratio, interpolation
        self.backend = backend

    @cache_randomness
    def _box(self, h: int, w: int) -> Tuple[int, int, int, int]:
        area = h * w
        for _ in range(10):
            target = area * np.random.uniform(*self.scale)
            aspect = math.exp(np.random.uniform(math.log(self.ratio[0]), math.log(self.ratio[1])))
            cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return np.random.randint(0, h - ch + 1), np.random.randint(0, w - cw + 1), ch, cw
        # fallback (as torchvision): the whole image, clamped to the allowed aspect ratios, centred
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            cw, ch = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            ch, cw = h, int(round(h * max(self.ratio)))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, ch, cw = self._box(*img.shape[:2])
        crop = img[top:top + ch, left:left + cw]
        results['img'] = mmcv.imresize(np.ascontiguousarray(crop), self.size[::-1], interpolation=self.interpolation,
                                       backend=self.backend)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, ratio={self.ratio}, '
                f'interpolation={self.interpolation!r}, backend={self.backend!r})')
