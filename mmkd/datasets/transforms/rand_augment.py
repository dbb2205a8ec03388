# Copyright (c) mmkd contributors. All rights reserved.
"""The strong augmentation of MLKD (Jin et al., CVPR 2023): FixMatch's RandAugment with a final Cutout.

As the official code (Jin-Ying/Multi-Level-Logit-Distillation, ``mdistiller/dataset/cifar100.py``), on the
RGB image: ``num_ops`` operations drawn with replacement from 14, each with a magnitude uniform in its own
range (no magnitude level), then a Cutout square of side ``u * 0.5 * width`` (u uniform in [0, 1)) at a uniform
centre, filled with (125, 123, 114). The operations are Pillow's, as there: AutoContrast, Brightness, Color,
Contrast, Equalize, Identity, Posterize, Rotate, Sharpness, ShearX, ShearY, Solarize, TranslateX, TranslateY
(geometric ones with Pillow's nearest-neighbour resampling and black fill). The random numbers come from numpy
(seeded per worker by MMEngine) instead of Python's ``random``: the same distributions.
"""
from typing import Callable, List, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from mmkd.registry import TRANSFORMS


def _affine(img: Image.Image, coeffs: Tuple[float, ...]) -> Image.Image:
    return img.transform(img.size, Image.AFFINE, coeffs)


#: (name, operation(img, v), lowest v, highest v) of the official ``augment_list``
OPERATIONS: List[Tuple[str, Callable, float, float]] = [
    ('AutoContrast', lambda img, v: ImageOps.autocontrast(img), 0, 1),
    ('Brightness', lambda img, v: ImageEnhance.Brightness(img).enhance(v), 0.05, 0.95),
    ('Color', lambda img, v: ImageEnhance.Color(img).enhance(v), 0.05, 0.95),
    ('Contrast', lambda img, v: ImageEnhance.Contrast(img).enhance(v), 0.05, 0.95),
    ('Equalize', lambda img, v: ImageOps.equalize(img), 0, 1),
    ('Identity', lambda img, v: img, 0, 1),
    ('Posterize', lambda img, v: ImageOps.posterize(img, max(1, int(v))), 4, 8),
    ('Rotate', lambda img, v: img.rotate(v), -30, 30),
    ('Sharpness', lambda img, v: ImageEnhance.Sharpness(img).enhance(v), 0.05, 0.95),
    ('ShearX', lambda img, v: _affine(img, (1, v, 0, 0, 1, 0)), -0.3, 0.3),
    ('ShearY', lambda img, v: _affine(img, (1, 0, 0, v, 1, 0)), -0.3, 0.3),
    ('Solarize', lambda img, v: ImageOps.solarize(img, v), 0, 256),
    ('TranslateX', lambda img, v: _affine(img, (1, 0, v * img.size[0], 0, 1, 0)), -0.3, 0.3),
    ('TranslateY', lambda img, v: _affine(img, (1, 0, 0, 0, 1, v * img.size[1])), -0.3, 0.3),
]


def cutout(img: Image.Image, size: float, centre: Tuple[float, float],
           fill: Sequence[int] = (125, 123, 114)) -> Image.Image:
    """Fill the square of side ``size`` around ``centre`` (x, y), clipped to the image; nothing if size <= 0."""
    if size <= 0:
        return img
    w, h = img.size
    x0, y0 = int(max(0, centre[0] - size / 2.0)), int(max(0, centre[1] - size / 2.0))
    x1, y1 = min(w, x0 + size), min(h, y0 + size)
    img = img.copy()
    ImageDraw.Draw(img).rectangle((x0, y0, x1, y1), tuple(fill))
    return img


@TRANSFORMS.register_module()
class FixMatchRandAugment(BaseTransform):
    """MLKD's strong augmentation of ``results['img']`` (see the module docstring).

    (mmdet's and mmpretrain's ``RandAugment`` draw magnitudes from levels and another operation list, hence the
    different name.)

    Args:
        num_ops (int): Operations per image. Defaults to 2 (the official ``RandAugment(2, 10)``; its 10 is unused).
        cutout_max (float): The largest Cutout side as a fraction of the width. Defaults to 0.5.
        fill (Sequence[int]): Cutout's RGB colour. Defaults to (125, 123, 114).
        channel_order (str): 'rgb' (the CIFAR datasets) or 'bgr' (``LoadImageFromFile``). Defaults to 'rgb'.
    """

    def __init__(self, num_ops: int = 2, cutout_max: float = 0.5, fill: Sequence[int] = (125, 123, 114),
                 channel_order: str = 'rgb') -> None:
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f"FixMatchRandAugment: channel_order must be 'rgb' or 'bgr', got {channel_order!r}.")
        if not 0 <= cutout_max <= 0.5:
            raise ValueError(f'FixMatchRandAugment: cutout_max must lie in [0, 0.5], got {cutout_max}.')
        self.num_ops, self.cutout_max, self.fill, self.channel_order = int(num_ops), cutout_max, tuple(fill), \
            channel_order

    def transform(self, results: dict) -> dict:
        img = results['img']
        rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        pil = Image.fromarray(np.ascontiguousarray(rgb))
        for index in np.random.randint(len(OPERATIONS), size=self.num_ops):
            _, operation, low, high = OPERATIONS[index]
            pil = operation(pil, low + (high - low) * np.random.random())
        w, h = pil.size
        size = np.random.random() * self.cutout_max * w
        pil = cutout(pil, size, (np.random.uniform(w), np.random.uniform(h)), self.fill)
        out = np.asarray(pil)
        results['img'] = np.ascontiguousarray(out[..., ::-1] if self.channel_order == 'bgr' else out)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_ops={self.num_ops}, cutout_max={self.cutout_max})'
