# Copyright (c) mmkd contributors. All rights reserved.
import math
from typing import Tuple, Union

import torch
from torch import Tensor

#: logit standardisation: of neither side, of both (Sun et al. 2024), or of the teacher only (PLD Table 10)
LOGIT_STAND_MODES = ('none', 'both', 'teacher')


def standardize(logits: Tensor, eps: float = 1e-7) -> Tensor:
    """Z-score each row: ``(z - mean) / (std + eps)`` with the unbiased std (Sun et al., CVPR 2024).

    Keeps the order of the logits, removes their shift and scale; an all-equal row becomes all zeros.
    """
    centred = logits - logits.mean(dim=-1, keepdim=True)
    # the unbiased std as the norm of the centred values (torch.std's two-pass result, several times faster on the
    # CPU, no temporary); a constant row has norm 0, whose gradient torch defines as 0
    std = torch.linalg.vector_norm(centred, dim=-1, keepdim=True) / math.sqrt(logits.size(-1) - 1)
    return centred / (std + eps)


def logit_stand_mode(name: str, logit_stand: Union[bool, str]) -> str:
    """``False``/``'none'``, ``True``/``'both'`` or ``'teacher'`` as one of :data:`LOGIT_STAND_MODES`."""
    mode = {False: 'none', True: 'both'}.get(logit_stand, logit_stand) if isinstance(logit_stand, bool) \
        else logit_stand
    if mode not in LOGIT_STAND_MODES:
        raise ValueError(f'{name}: logit_stand must be True, False or one of {LOGIT_STAND_MODES}, got '
                         f'{logit_stand!r}.')
    return mode


def standardize_pair(preds_S: Tensor, preds_T: Tensor, mode: Union[bool, str]) -> Tuple[Tensor, Tensor]:
    """Student and teacher logits after the logit standardisation ``mode`` (see :func:`logit_stand_mode`)."""
    mode = logit_stand_mode('standardize_pair', mode)
    if mode == 'both':
        return standardize(preds_S), standardize(preds_T)
    if mode == 'teacher':
        return preds_S, standardize(preds_T)
    return preds_S, preds_T


def kl_rows(log_p: Tensor, log_q: Tensor) -> Tensor:
    """KL(p || q) of each row from log-probabilities; entries with p = 0 contribute 0."""
    terms = log_p.exp() * (log_p - log_q)
    return torch.where(torch.isneginf(log_p), torch.zeros_like(terms), terms).sum(1)


def squared_temperature(tau: Union[float, Tensor]) -> Union[float, Tensor]:
    """tau^2 to multiply per-row losses [N] with: a float, or a temperature tensor ([1, 1] or [N, 1], e.g. CTKD's
    learnable one) as [1] or [N]."""
    return tau.reshape(-1)**2 if isinstance(tau, Tensor) else tau**2
