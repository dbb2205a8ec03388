# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict

from mmkd.registry import MODELS


def register_variants(cls: type, variants: Dict[str, dict]) -> None:
    """Register one builder per named variant (RepDistiller's names, e.g. ``resnet32x4``) of ``cls``.

    ``dict(type='resnet32x4')`` then builds ``cls(**variants['resnet32x4'])``; extra config keys are passed
    on as keyword arguments.
    """
    for name, fixed in variants.items():

        def build(_fixed=fixed, **kwargs):
            return cls(**_fixed, **kwargs)

        build.__name__ = name
        build.__qualname__ = name
        build.__doc__ = f'``{name}``: {cls.__name__}({", ".join(f"{k}={v!r}" for k, v in fixed.items())}).'
        MODELS.register_module(name=name, module=build)
