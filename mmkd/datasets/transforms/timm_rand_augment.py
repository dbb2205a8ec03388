# Copyright (c) mmkd contributors. All rights reserved.
"""timm's RandAugment (``timm.data.auto_augment.rand_augment_transform``), e.g. the ``'rand-m9-mstd0.5-inc1'`` of
DeiT-style recipes, on the uint8 image.

What timm does, and what this module reproduces:

* The config string ``'rand-<section>-<section>...'`` sets ``m`` (magnitude, default 10), ``n`` (operations per
  image, default 2), ``p`` (probability of each chosen operation, default 0.5), ``mstd`` (std of a gaussian noise
  on the magnitude, default 0; above 100: uniform in [0, m]), ``mmax`` (the magnitude's upper bound, default 10)
  and ``inc`` (1: the "increasing" operation set, whose severity grows with the magnitude; default 0).
* ``n`` operations are drawn uniformly with replacement from the 15 of the set; each is applied with probability
  ``p``, at a magnitude drawn anew (``N(m, mstd)``, clipped to [0, mmax]) and mapped to the operation's argument
  through the level ``magnitude / 10``; signed arguments (rotation, shear, translation, the increasing
  enhancements) are negated with probability 1/2.
* Geometric operations fill with ``img_mean`` (timm's ``hparams['img_mean']``: ``create_transform`` passes the
  normalisation mean as 0-255 ints, (124, 116, 104) for ImageNet's) and resample with ``hparams['interpolation']``
  when ``create_transform`` got a fixed ``interpolation`` (e.g. 'bicubic'), else with bilinear or bicubic at
  random per application (``interpolation='random'`` here).
* The translations are timm's relative ones, ``TranslateXRel``/``TranslateYRel``: a fraction ``translate_pct``
  (0.45, as ``create_transform`` sets no ``translate_pct`` for RandAugment; its ``translate_const`` only serves
  the absolute translations of AutoAugment) of the image width/height at level 1.

The operations are the same Pillow calls as timm's (SolarizeAdd, a look-up table there, is computed in numpy
with the same result), so an operation at a given argument gives the same image. The random numbers come from
numpy (seeded per worker by MMEngine) instead of Python's ``random``: the same distributions, another stream.
"""
import re
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from PIL import Image, ImageEnhance, ImageOps

from mmkd.registry import TRANSFORMS

#: the magnitude that maps to level 1 (timm's ``_LEVEL_DENOM``)
LEVEL_DENOM = 10.

#: Pillow resampling filters by name; 'random' (timm's default without a fixed interpolation) picks one of two
RESAMPLE: Dict[str, Tuple[int, ...]] = {
    'nearest': (Image.Resampling.NEAREST, ),
    'bilinear': (Image.Resampling.BILINEAR, ),
    'bicubic': (Image.Resampling.BICUBIC, ),
    'random': (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC),
}


class RandAugmentConfig(NamedTuple):
    """A parsed RandAugment config string (timm's defaults for the sections it lacks)."""
    magnitude: int = 10
    num_ops: int = 2
    prob: float = 0.5
    magnitude_std: float = 0.
    magnitude_max: Optional[int] = None
    increasing: bool = False


def _magnitude_std(value: str) -> float:
    std = float(value)
    return float('inf') if std > 100 else std  # timm: uniform magnitudes in [0, m] above 100


#: config key -> (field of :class:`RandAugmentConfig`, conversion of the value), as timm converts them
_CONFIG_KEYS: Dict[str, Tuple[str, Callable]] = {
    'm': ('magnitude', int),
    'n': ('num_ops', int),
    'p': ('prob', float),
    'mstd': ('magnitude_std', _magnitude_std),
    'mmax': ('magnitude_max', int),
    'inc': ('increasing', lambda value: bool(int(value))),
}


def parse_rand_augment_config(config_str: str) -> RandAugmentConfig:
    """Parse a timm RandAugment config string such as ``'rand-m9-mstd0.5-inc1'``.

    As timm: sections are separated by '-', the first is 'rand', each other is a key followed by its value (the
    value starts at the first digit), in any order. Stricter than timm: an unknown key (timm asserts), a section
    without a value (timm ignores it silently), a key given twice and the transform-set selection ``t...``
    (timm's weighted or 3-Augment sets, not implemented here) raise a ``ValueError``.

    Args:
        config_str (str): The config string.

    Returns:
        RandAugmentConfig: magnitude, num_ops, prob, magnitude_std (``inf`` for mstd > 100: uniform magnitudes),
        magnitude_max (None: 10) and increasing.
    """
    sections = config_str.split('-')
    if sections[0] != 'rand':
        raise ValueError(f"TimmRandAugment: the config string must start with 'rand', got {config_str!r}.")
    fields = {}
    for section in sections[1:]:
        if section.startswith('t'):
            raise ValueError(f'TimmRandAugment: the transform-set section {section!r} of {config_str!r} (timm\'s '
                             'weighted / 3-Augment operation sets) is not implemented; only the default sets '
                             '(inc0, inc1) are.')
        match = re.fullmatch(r'([a-z]+)(\d.*)', section)
        if match is None or match.group(1) not in _CONFIG_KEYS:
            raise ValueError(f'TimmRandAugment: cannot parse section {section!r} of {config_str!r}; expected a '
                             f'key ({", ".join(_CONFIG_KEYS)}) followed by a number.')
        key, value = match.groups()
        field, convert = _CONFIG_KEYS[key]
        if field in fields:
            raise ValueError(f'TimmRandAugment: {key!r} is given twice in {config_str!r}.')
        try:
            fields[field] = convert(value)
        except ValueError as error:
            raise ValueError(f'TimmRandAugment: bad value in section {section!r} of {config_str!r}.') from error
    return RandAugmentConfig(**fields)


# --- magnitude -> argument: ``level`` is magnitude / 10, ``negate`` the coin of the signed arguments ---------------

def _signed(value: float, negate: bool) -> float:
    return -value if negate else value


def _enhance_arg(level: float, negate: bool, translate_pct: float) -> float:
    return 1.8 * level + 0.1  # [0.1, 1.9]; 1 is the unchanged image


def _enhance_increasing_arg(level: float, negate: bool, translate_pct: float) -> float:
    return max(0.1, 1. + _signed(0.9 * level, negate))  # away from 1 in either direction, at least 0.1


def _posterize_arg(level: float, negate: bool, translate_pct: float) -> int:
    return int(4 * level)  # bits kept, 0..4


def _posterize_increasing_arg(level: float, negate: bool, translate_pct: float) -> int:
    return 4 - int(4 * level)  # bits kept, 4..0


def _solarize_arg(level: float, negate: bool, translate_pct: float) -> int:
    return min(256, int(256 * level))  # threshold, 0..256


def _solarize_increasing_arg(level: float, negate: bool, translate_pct: float) -> int:
    return 256 - min(256, int(256 * level))  # threshold, 256..0


def _solarize_add_arg(level: float, negate: bool, translate_pct: float) -> int:
    return min(128, int(110 * level))  # added to the pixels below 128, 0..110


def _rotate_arg(level: float, negate: bool, translate_pct: float) -> float:
    return _signed(30. * level, negate)  # degrees


def _shear_arg(level: float, negate: bool, translate_pct: float) -> float:
    return _signed(0.3 * level, negate)


def _translate_arg(level: float, negate: bool, translate_pct: float) -> float:
    return _signed(translate_pct * level, negate)  # fraction of the width / height


# --- the operations: ``op(img, arg, resample, fill)`` on a Pillow image -------------------------------------------

def _affine(img: Image.Image, coeffs: Tuple[float, ...], resample: int, fill: Tuple[int, ...]) -> Image.Image:
    return img.transform(img.size, Image.Transform.AFFINE, coeffs, resample=resample, fillcolor=fill)


def _posterize(img: Image.Image, bits: int, resample: int, fill: Tuple[int, ...]) -> Image.Image:
    """Keep the ``bits`` high bits of every value; 0 bits (or fewer) give black, as Pillow did before it started
    to refuse them (timm's PosterizeIncreasing reaches 0 bits at magnitude 10, where recent Pillow raises)."""
    if bits >= 8:
        return img
    mask = (0xFF << (8 - bits)) & 0xFF if bits > 0 else 0
    return Image.fromarray(np.asarray(img) & np.uint8(mask))


def _solarize_add(img: Image.Image, add: int, resample: int, fill: Tuple[int, ...]) -> Image.Image:
    pixels = np.asarray(img)
    lifted = np.minimum(pixels.astype(np.int16) + add, 255).astype(np.uint8)
    return Image.fromarray(np.where(pixels < 128, lifted, pixels))


def _enhance(enhancer: type) -> Callable:
    return lambda img, factor, resample, fill: enhancer(img).enhance(factor)


class _Operation(NamedTuple):
    apply: Callable  # (img, arg, resample, fill) -> img
    argument: Optional[Callable]  # (level, negate, translate_pct) -> arg; None: no argument
    geometric: bool = False  # uses resample and fill


OPERATIONS: Dict[str, _Operation] = {
    'AutoContrast': _Operation(lambda img, a, r, f: ImageOps.autocontrast(img), None),
    'Equalize': _Operation(lambda img, a, r, f: ImageOps.equalize(img), None),
    'Invert': _Operation(lambda img, a, r, f: ImageOps.invert(img), None),
    'Rotate': _Operation(lambda img, deg, r, f: img.rotate(deg, resample=r, fillcolor=f), _rotate_arg, True),
    'Posterize': _Operation(_posterize, _posterize_arg),
    'PosterizeIncreasing': _Operation(_posterize, _posterize_increasing_arg),
    'Solarize': _Operation(lambda img, t, r, f: ImageOps.solarize(img, t), _solarize_arg),
    'SolarizeIncreasing': _Operation(lambda img, t, r, f: ImageOps.solarize(img, t), _solarize_increasing_arg),
    'SolarizeAdd': _Operation(_solarize_add, _solarize_add_arg),
    'Color': _Operation(_enhance(ImageEnhance.Color), _enhance_arg),
    'ColorIncreasing': _Operation(_enhance(ImageEnhance.Color), _enhance_increasing_arg),
    'Contrast': _Operation(_enhance(ImageEnhance.Contrast), _enhance_arg),
    'ContrastIncreasing': _Operation(_enhance(ImageEnhance.Contrast), _enhance_increasing_arg),
    'Brightness': _Operation(_enhance(ImageEnhance.Brightness), _enhance_arg),
    'BrightnessIncreasing': _Operation(_enhance(ImageEnhance.Brightness), _enhance_increasing_arg),
    'Sharpness': _Operation(_enhance(ImageEnhance.Sharpness), _enhance_arg),
    'SharpnessIncreasing': _Operation(_enhance(ImageEnhance.Sharpness), _enhance_increasing_arg),
    'ShearX': _Operation(lambda img, s, r, f: _affine(img, (1, s, 0, 0, 1, 0), r, f), _shear_arg, True),
    'ShearY': _Operation(lambda img, s, r, f: _affine(img, (1, 0, 0, s, 1, 0), r, f), _shear_arg, True),
    'TranslateXRel': _Operation(lambda img, t, r, f: _affine(img, (1, 0, t * img.size[0], 0, 1, 0), r, f),
                                _translate_arg, True),
    'TranslateYRel': _Operation(lambda img, t, r, f: _affine(img, (1, 0, 0, 0, 1, t * img.size[1]), r, f),
                                _translate_arg, True),
}

_COMMON = ('AutoContrast', 'Equalize', 'Invert', 'Rotate')
_GEOMETRIC = ('ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel')
_ENHANCE = ('Color', 'Contrast', 'Brightness', 'Sharpness')
#: timm's ``_RAND_TRANSFORMS`` (inc0), in its order
RAND_TRANSFORMS: Tuple[str, ...] = _COMMON + ('Posterize', 'Solarize', 'SolarizeAdd') + _ENHANCE + _GEOMETRIC
#: timm's ``_RAND_INCREASING_TRANSFORMS`` (inc1), in its order
RAND_INCREASING_TRANSFORMS: Tuple[str, ...] = _COMMON + ('PosterizeIncreasing', 'SolarizeIncreasing',
                                                         'SolarizeAdd') + tuple(f'{n}Increasing' for n in _ENHANCE) \
    + _GEOMETRIC


def operation_argument(name: str, magnitude: float, negate: bool = False,
                       translate_pct: float = 0.45) -> Optional[float]:
    """The argument of operation ``name`` at ``magnitude`` (timm's ``LEVEL_TO_ARG``); None if it takes none.

    Args:
        name (str): One of :data:`OPERATIONS`.
        magnitude (float): The (sampled, clipped) magnitude; level = magnitude / 10.
        negate (bool): The sign coin of the signed arguments (ignored by the others).
        translate_pct (float): Translation at level 1, as a fraction of the image size.
    """
    argument = OPERATIONS[name].argument
    return None if argument is None else argument(magnitude / LEVEL_DENOM, bool(negate), translate_pct)


def apply_operation(img: Image.Image, name: str, magnitude: float, negate: bool = False,
                    resample: int = Image.Resampling.BICUBIC, fill: Sequence[int] = (124, 116, 104),
                    translate_pct: float = 0.45) -> Image.Image:
    """Operation ``name`` at ``magnitude`` on a Pillow image, as timm's ``AugmentOp`` once it has decided to apply.

    Args:
        img (PIL.Image.Image): The image (RGB).
        name (str): One of :data:`OPERATIONS`.
        magnitude (float): The magnitude (level = magnitude / 10).
        negate (bool): Negate a signed argument.
        resample (int): Pillow filter of the geometric operations.
        fill (Sequence[int]): Colour of the area the geometric operations uncover.
        translate_pct (float): Translation at level 1, as a fraction of the image size.
    """
    arg = operation_argument(name, magnitude, negate, translate_pct)
    return OPERATIONS[name].apply(img, arg, resample, tuple(int(v) for v in fill))


@TRANSFORMS.register_module()
class TimmRandAugment(BaseTransform):
    """timm's RandAugment of ``results['img']`` (HxWx3 uint8; see the module docstring).

    The recipe ``timm.data.create_transform(..., auto_augment='rand-m9-mstd0.5-inc1', interpolation='bicubic')``
    with timm's default (ImageNet) mean is ``TimmRandAugment('rand-m9-mstd0.5-inc1', img_mean=(124, 116, 104),
    interpolation='bicubic')``, the defaults. (mmdet's and mmpretrain's ``RandAugment`` take other arguments and
    operation sets, hence the different name.)

    Args:
        config_str (str): timm's config string (see :func:`parse_rand_augment_config`).
            Defaults to 'rand-m9-mstd0.5-inc1'.
        img_mean (Sequence[int]): Fill colour of the geometric operations, RGB 0-255 (timm's
            ``hparams['img_mean']``: ``round(255 * mean)`` of the normalisation mean). Defaults to (124, 116, 104).
        interpolation (str): Resampling of the geometric operations: 'bicubic', 'bilinear', 'nearest' (timm's
            ``hparams['interpolation']``, set by ``create_transform`` from a fixed ``interpolation``) or 'random'
            (bilinear or bicubic per application: timm without it). Defaults to 'bicubic'.
        translate_pct (float): Largest translation, as a fraction of the image size (timm's
            ``hparams.get('translate_pct', 0.45)``). Defaults to 0.45.
        channel_order (str): 'rgb' (the CIFAR datasets) or 'bgr' (``LoadImageFromFile``); ``img_mean`` stays RGB.
            Defaults to 'rgb'.
    """

    def __init__(self, config_str: str = 'rand-m9-mstd0.5-inc1', img_mean: Sequence[int] = (124, 116, 104),
                 interpolation: str = 'bicubic', translate_pct: float = 0.45, channel_order: str = 'rgb') -> None:
        if interpolation not in RESAMPLE:
            raise ValueError(f'TimmRandAugment: interpolation must be one of {sorted(RESAMPLE)}, '
                             f'got {interpolation!r}.')
        if channel_order not in ('rgb', 'bgr'):
            raise ValueError(f"TimmRandAugment: channel_order must be 'rgb' or 'bgr', got {channel_order!r}.")
        if len(img_mean) != 3:
            raise ValueError(f'TimmRandAugment: img_mean must be 3 RGB values, got {img_mean!r}.')
        self.config_str = config_str
        self.config = parse_rand_augment_config(config_str)
        self.operations = RAND_INCREASING_TRANSFORMS if self.config.increasing else RAND_TRANSFORMS
        self.img_mean = tuple(int(round(v)) for v in img_mean)
        self.interpolation, self.resample = interpolation, RESAMPLE[interpolation]
        self.translate_pct, self.channel_order = float(translate_pct), channel_order

    def sample_magnitude(self) -> float:
        """A magnitude as timm's ``AugmentOp``: ``m``, ``N(m, mstd)`` or ``U(0, m)``, clipped to [0, mmax]."""
        config = self.config
        magnitude = float(config.magnitude)
        if config.magnitude_std == float('inf'):
            magnitude = np.random.uniform(0., magnitude)
        elif config.magnitude_std > 0:
            magnitude = np.random.normal(magnitude, config.magnitude_std)
        return float(min(max(magnitude, 0.), config.magnitude_max or LEVEL_DENOM))

    @cache_randomness
    def sample_plan(self) -> List[Tuple[str, float, bool, int]]:
        """The operations one image gets: ``(name, magnitude, negate, resample)`` of each chosen and applied one.

        As timm: ``n`` draws with replacement, then per draw, the probability ``p`` of applying it, its magnitude,
        its sign coin (probability 1/2) and (for 'random') its resampling filter.
        """
        plan = []
        for index in np.random.randint(len(self.operations), size=self.config.num_ops):
            if self.config.prob < 1. and np.random.random() > self.config.prob:
                continue
            magnitude = self.sample_magnitude()
            negate = bool(np.random.random() > 0.5)
            resample = self.resample[np.random.randint(len(self.resample))] if len(self.resample) > 1 \
                else self.resample[0]
            plan.append((self.operations[index], magnitude, negate, int(resample)))
        return plan

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'TimmRandAugment: expects an HxWx3 uint8 image, got {img.dtype} {img.shape}.')
        plan = self.sample_plan()
        if not plan:
            return results
        rgb = img[..., ::-1] if self.channel_order == 'bgr' else img
        pil = Image.fromarray(np.ascontiguousarray(rgb))
        for name, magnitude, negate, resample in plan:
            pil = apply_operation(pil, name, magnitude, negate, resample, self.img_mean, self.translate_pct)
        out = np.asarray(pil)
        results['img'] = np.ascontiguousarray(out[..., ::-1] if self.channel_order == 'bgr' else out)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(config_str={self.config_str!r}, img_mean={self.img_mean}, '
                f'interpolation={self.interpolation!r}, translate_pct={self.translate_pct}, '
                f'channel_order={self.channel_order!r})')
