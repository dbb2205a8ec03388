# Copyright (c) mmkd contributors. All rights reserved.
"""Several augmented views of one image, for methods that train on more than one (MLKD: weak and strong)."""
import copy
from typing import List, Sequence

import torch
from mmcv.transforms import BaseTransform

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class StackViews(BaseTransform):
    """Run each pipeline on its own copy of the sample and stack the packed images: ``inputs`` [V, C, H, W], the
    data sample (labels, meta) of the first view.

    (mmpretrain's ``MultiView`` keeps a list of views; a stacked tensor lets the data preprocessor normalise
    every view at once, see ``MultiViewDataPreprocessor``.)

    Args:
        pipelines (Sequence[Sequence[dict]]): One pipeline per view, each ending with a packing transform
            (``PackClsInputs``); the views must have the same shape.
    """

    def __init__(self, pipelines: Sequence[Sequence[dict]]) -> None:
        if len(pipelines) < 2:
            raise ValueError(f'StackViews: give at least two pipelines, got {len(pipelines)}.')
        self.pipelines: List[List[BaseTransform]] = [[TRANSFORMS.build(t) for t in p] for p in pipelines]

    def transform(self, results: dict) -> dict:
        views = []
        for pipeline in self.pipelines:
            view = copy.deepcopy(results)
            for transform in pipeline:
                view = transform(view)
            views.append(view)
        shapes = {tuple(v['inputs'].shape) for v in views}
        if len(shapes) != 1:
            raise ValueError(f'StackViews: the views must have one shape to be stacked, got {sorted(shapes)}.')
        return dict(inputs=torch.stack([v['inputs'] for v in views]), data_samples=views[0]['data_samples'])

    def __repr__(self) -> str:
        return f'{type(self).__name__}({len(self.pipelines)} views)'
