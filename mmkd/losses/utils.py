# Copyright (c) mmkd contributors. All rights reserved.
from torch import Tensor


def standardize(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Z-score each row: ``(z - mean) / (std + eps)`` with the unbiased std (Sun et al., CVPR 2024).

    Keeps the order of the logits, removes their shift and scale; an all-equal row becomes all zeros.
    """
    mean = logits.mean(dim=-1, keepdim=True)
    std = logits.std(dim=-1, keepdim=True)
    return (logits - mean) / (std + eps)
