# Copyright (c) mmkd contributors. All rights reserved.
"""timm's RandomErasing (``timm.data.random_erasing.RandomErasing``), moved before the normalisation.

timm erases rectangles of the *normalised* tensor ``z = (x / 255 - mean) / std`` (``create_transform`` puts it
after ``Normalize``), filling them with ``N(0, 1)`` noise per pixel and channel ('pixel'), one ``N(0, 1)`` value
per channel ('rand') or 0 ('const'). In mmkd the normalisation comes later, in the data preprocessor
(``ImgDataPreprocessor``: ``(x - mean) / std`` on the 0-255 image), so :class:`TimmRandomErasing` fills the
rectangles of the un-normalised image with ``mean + std * v`` for the same ``v`` (the preprocessor's ``mean`` and
``std``): after the preprocessor they hold exactly ``v``, timm's values. The image becomes float32 (the noise
leaves [0, 255] and must not be clipped or rounded); ``PackClsInputs`` and the preprocessor take float images.

The rectangles, as timm: with probability ``prob``, ``count`` of them (``min_count`` to ``max_count``), each
tried up to 10 times with an area ``U(min_area, max_area) * H * W / count`` and an aspect ratio (height / width)
log-uniform in [min_aspect, max_aspect]: height ``round(sqrt(area * aspect))``, width ``round(sqrt(area /
aspect))``, kept if strictly smaller than the image, at a uniform position. The random numbers come from numpy
(seeded per worker by MMEngine) instead of Python's ``random`` and torch: the same distributions.
"""
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class TimmRandomErasing(BaseTransform):
    """timm's RandomErasing on the un-normalised ``results['img']`` (see the module docstring).

    The recipe ``timm.data.create_transform(..., re_prob=0.25, re_mode='pixel', re_count=1)`` with a data
    preprocessor ``ImgDataPreprocessor(mean=MEAN, std=STD)`` is ``TimmRandomErasing(mean=MEAN, std=STD)``, placed
    last before ``PackClsInputs``. The output is float32 whether or not anything was erased, so that every sample
    of a batch has the same dtype. (mmdet's and mmpretrain's ``RandomErasing`` fill and draw differently, hence the
    different name.)

    Args:
        mean (Sequence[float]): The data preprocessor's ``mean`` (0-255 scale), in its channel order.
        std (Sequence[float]): The data preprocessor's ``std`` (0-255 scale), in its channel order.
        prob (float): Probability of erasing (timm's ``probability`` / ``re_prob``). Defaults to 0.25.
        mode (str): 'pixel' (noise per pixel and channel), 'rand' (one noise value per channel and rectangle) or
            'const' (the mean: 0 once normalised). Defaults to 'pixel'.
        min_area (float): Smallest erased fraction of the image (all rectangles together). Defaults to 0.02.
        max_area (float): Largest erased fraction. Defaults to 1/3.
        min_aspect (float): Smallest aspect ratio (height / width). Defaults to 0.3.
        max_aspect (float, optional): Largest aspect ratio. Defaults to ``1 / min_aspect``.
        min_count (int): Fewest rectangles. Defaults to 1.
        max_count (int, optional): Most rectangles (timm's ``re_count``). Defaults to ``min_count``.
        bgr_to_rgb (bool): The preprocessor's ``bgr_to_rgb``: the image here is BGR while ``mean``/``std`` are RGB.
            Defaults to False (the CIFAR datasets give RGB).
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], prob: float = 0.25, mode: str = 'pixel',
                 min_area: float = 0.02, max_area: float = 1 / 3, min_aspect: float = 0.3,
                 max_aspect: Optional[float] = None, min_count: int = 1, max_count: Optional[int] = None,
                 bgr_to_rgb: bool = False) -> None:
        if mode not in ('pixel', 'rand', 'const'):
            raise ValueError(f"TimmRandomErasing: mode must be 'pixel', 'rand' or 'const', got {mode!r}.")
        if len(mean) != len(std):
            raise ValueError(f'TimmRandomErasing: mean and std differ in length: {mean!r}, {std!r}.')
        if not 0 <= prob <= 1:
            raise ValueError(f'TimmRandomErasing: prob must lie in [0, 1], got {prob}.')
        max_count = min_count if max_count is None else max_count
        if not 1 <= min_count <= max_count:
            raise ValueError(f'TimmRandomErasing: need 1 <= min_count <= max_count, got {min_count}, {max_count}.')
        self.mean, self.std = tuple(float(v) for v in mean), tuple(float(v) for v in std)
        order = slice(None, None, -1) if bgr_to_rgb else slice(None)  # to the image's channel order
        self._mean = np.asarray(self.mean, dtype=np.float32)[order]
        self._std = np.asarray(self.std, dtype=np.float32)[order]
        self.prob, self.mode, self.bgr_to_rgb = float(prob), mode, bgr_to_rgb
        self.min_area, self.max_area = float(min_area), float(max_area)
        self.min_aspect, self.max_aspect = float(min_aspect), float(max_aspect or 1 / min_aspect)
        self.min_count, self.max_count = int(min_count), int(max_count)

    @cache_randomness
    def sample_boxes(self, h: int, w: int) -> List[Tuple[int, int, int, int]]:
        """The rectangles ``(top, left, height, width)`` erased from an ``h`` x ``w`` image (often none)."""
        if np.random.random() > self.prob:  # timm: ``random.random() > probability`` skips
            return []
        count = self.min_count if self.min_count == self.max_count else \
            int(np.random.randint(self.min_count, self.max_count + 1))
        log_aspect = (math.log(self.min_aspect), math.log(self.max_aspect))
        boxes = []
        for _ in range(count):
            for _ in range(10):
                area = np.random.uniform(self.min_area, self.max_area) * h * w / count
                aspect = math.exp(np.random.uniform(*log_aspect))
                bh, bw = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
                if bh < h and bw < w:
                    boxes.append((int(np.random.randint(0, h - bh + 1)), int(np.random.randint(0, w - bw + 1)),
                                  bh, bw))
                    break
        return boxes

    def transform(self, results: dict) -> dict:
        img = results['img'].astype(np.float32)  # a copy: the input is left alone
        h, w = img.shape[:2]
        channels = 1 if img.ndim == 2 else img.shape[2]
        if channels != len(self._mean):
            raise ValueError(f'TimmRandomErasing: the image has {channels} channels, mean/std {len(self.mean)}.')
        region = img if img.ndim == 3 else img[..., None]
        for top, left, bh, bw in self.sample_boxes(h, w):
            if self.mode == 'pixel':
                values = np.random.standard_normal((bh, bw, channels))
            elif self.mode == 'rand':
                values = np.random.standard_normal((1, 1, channels))
            else:
                values = np.zeros((1, 1, channels))
            region[top:top + bh, left:left + bw] = self._mean + self._std * values.astype(np.float32)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(mean={self.mean}, std={self.std}, prob={self.prob}, '
                f'mode={self.mode!r}, area=({self.min_area}, {self.max_area}), '
                f'aspect=({self.min_aspect}, {self.max_aspect}), count=({self.min_count}, {self.max_count}))')
