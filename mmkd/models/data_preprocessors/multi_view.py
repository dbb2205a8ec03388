# Copyright (c) mmkd contributors. All rights reserved.
from typing import Union

from mmengine.model import ImgDataPreprocessor

from mmkd.registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(ImgDataPreprocessor):
    """mmengine's ``ImgDataPreprocessor`` for samples of several views (``StackViews``: [V, C, H, W] each): every
    view is normalised and padded as one image would be, and the batch is [B, V, C, H, W]. Samples of one view
    ([C, H, W], e.g. validation) are processed exactly as by ``ImgDataPreprocessor``.

    Args:
        **kwargs: Those of ``ImgDataPreprocessor`` (mean, std, bgr_to_rgb, pad_size_divisor, ...).
    """

    def forward(self, data: dict, training: bool = False) -> Union[dict, list]:
        inputs = data['inputs']
        if not (isinstance(inputs, (list, tuple)) and inputs and inputs[0].dim() == 4):
            return super().forward(data, training)
        num_views = inputs[0].size(0)
        if any(x.dim() != 4 or x.size(0) != num_views for x in inputs):
            raise ValueError('MultiViewDataPreprocessor: every sample needs the same number of views [V, C, H, W], '
                             f'got shapes {[tuple(x.shape) for x in inputs]}.')
        flat = dict(data, inputs=[view for sample in inputs for view in sample])
        out = super().forward(flat, training)
        batch = out['inputs']
        out['inputs'] = batch.reshape(len(inputs), num_views, *batch.shape[1:])
        return out
