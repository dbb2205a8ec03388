# Copyright (c) mmkd contributors. All rights reserved.
"""Li et al., "Curriculum Temperature for Knowledge Distillation" (CTKD), AAAI 2023.

CTKD learns the distillation temperature adversarially: a temperature module predicts tau, and a gradient
reversal layer between the module and the loss multiplies the module's gradient by lambda <= 0, so the module
*increases* the KD loss while the student decreases it. lambda follows a curriculum, from 0 (easy) to -1 (hard)
along a half cosine over the first epochs. As in the official code (zhengli97/CTKD): the raw output r of the
module gives ``tau = t_start + t_end * sigmoid(r)`` (1 ... 21 with the defaults), the global module is one
parameter initialised to 1, the curriculum is ``lambda(e) = min + (max - min) (1 + cos(pi min(e, E) / E)) / 2``
for the 1-based epoch e with max 0, min -1 and E = 10, and the module is trained by the student's optimizer.
"""
import inspect
import math
from typing import Optional

import torch
from mmengine.logging import MessageHub
from torch import Tensor, nn
from torch.autograd import Function

from mmkd.registry import MODELS
from .base import LogitDistillLoss

TEMPERATURE_MODULES = ('global', 'instance')


class GradientReversal(Function):
    """The identity forward; the backward multiplies the gradient by ``lambda_`` (Ganin & Lempitsky 2015)."""

    @staticmethod
    def forward(ctx, x: Tensor, lambda_: float) -> Tensor:
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad * ctx.lambda_, None


def curriculum_lambda(epoch: int, max_value: float = 0.0, min_value: float = -1.0, num_epochs: int = 10) -> float:
    """CTKD's cosine curriculum: ``max_value`` at epoch 0, ``min_value`` from epoch ``num_epochs`` on (1-based)."""
    progress = min(max(epoch, 0), num_epochs) / num_epochs
    return min_value + (max_value - min_value) * (1.0 + math.cos(math.pi * progress)) / 2.0


class GlobalTemperature(nn.Module):
    """One learnable temperature for every row (CTKD's Global-T; raw value initialised to 1, as officially)."""

    def __init__(self) -> None:
        super().__init__()
        self.raw = nn.Parameter(torch.ones(1))

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return self.raw.view(1, 1)


class InstanceTemperature(nn.Module):
    """A temperature per row (CTKD's Instance-T): a two-layer MLP on the concatenated teacher and student logits.

    The official instance-wise code is distributed outside its repository; this follows the paper's description
    (an MLP over both predictions). Its inputs are detached: the temperature module learns from the loss through
    the reversed gradient only, it does not move the student through its inputs.

    Args:
        num_classes (int): C (the MLP reads 2C values).
        hidden_channels (int): Width of the hidden layer. Defaults to 256.
    """

    def __init__(self, num_classes: int, hidden_channels: int = 256) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * num_classes, hidden_channels), nn.ReLU(inplace=True),
                                 nn.Linear(hidden_channels, 1))

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        return self.mlp(torch.cat([preds_T, preds_S], dim=1).detach())


@MODELS.register_module()
class CTKDLoss(LogitDistillLoss):
    """A temperature-based loss (KD or DKD) whose temperature CTKD learns (see the module docstring).

    ``loss`` keeps its own weight and settings (its reduction is this module's); its ``tau`` is replaced by the
    learned temperature. The temperature module's parameters belong to the distiller (the runner's optimizer
    trains them, checkpoints save and resume them) but not to the student, whose own config still loads the
    checkpoint.

    Args:
        loss (dict): The wrapped loss, e.g. ``dict(type='KDLoss', tau=4.0, loss_weight=0.9)`` or a ``DKDLoss``.
        temperature (str): ``'global'`` (one temperature) or ``'instance'`` (one per row). Defaults to 'global'.
        num_classes (int, optional): C, needed by ``'instance'``.
        t_start (float): The lowest temperature. Defaults to 1.0.
        t_end (float): The range above it (``tau = t_start + t_end * sigmoid(raw)``). Defaults to 20.0.
        lambda_max (float): The curriculum's start. Defaults to 0.0.
        lambda_min (float): Its end. Defaults to -1.0.
        lambda_epochs (int): Its length in epochs. Defaults to 10.
        loss_weight (float): Multiplier on top of the wrapped loss's own. Defaults to 1.0.
        ignore_index (int): Label of rows to drop. Defaults to -1.
        reduction (str): 'mean', 'sum' or 'none'. Defaults to 'mean'.
    """

    def __init__(self,
                 loss: dict,
                 temperature: str = 'global',
                 num_classes: Optional[int] = None,
                 t_start: float = 1.0,
                 t_end: float = 20.0,
                 lambda_max: float = 0.0,
                 lambda_min: float = -1.0,
                 lambda_epochs: int = 10,
                 loss_weight: float = 1.0,
                 ignore_index: int = -1,
                 reduction: str = 'mean') -> None:
        super().__init__(loss_weight, ignore_index, reduction)
        self.loss = MODELS.build(loss)
        takes_tau = isinstance(self.loss, LogitDistillLoss) and 'tau' in inspect.signature(
            self.loss.loss_rows).parameters
        if not takes_tau:
            raise TypeError(f'CTKDLoss learns the temperature of a loss whose loss_rows takes a tau tensor (KDLoss, '
                            f'DKDLoss); {type(self.loss).__name__} does not.')
        if temperature not in TEMPERATURE_MODULES:
            raise ValueError(f'CTKDLoss: temperature must be one of {TEMPERATURE_MODULES}, got {temperature!r}.')
        if temperature == 'instance' and not num_classes:
            raise ValueError("CTKDLoss: temperature='instance' needs num_classes (its MLP reads both logits).")
        if lambda_epochs <= 0:
            raise ValueError(f'CTKDLoss: lambda_epochs must be > 0, got {lambda_epochs}.')
        self.needs_labels = self.loss.needs_labels
        self.temperature_module = GlobalTemperature() if temperature == 'global' else InstanceTemperature(num_classes)
        self.t_start, self.t_end = float(t_start), float(t_end)
        self.lambda_max, self.lambda_min = float(lambda_max), float(lambda_min)
        self.lambda_epochs = int(lambda_epochs)

    def current_lambda(self) -> float:
        """lambda at the running loop's 1-based epoch (the curriculum's end outside a runner)."""
        epoch = MessageHub.get_current_instance().get_info('epoch')
        epoch = self.lambda_epochs if epoch is None else epoch + 1
        return curriculum_lambda(epoch, self.lambda_max, self.lambda_min, self.lambda_epochs)

    def temperature(self, preds_S: Tensor, preds_T: Tensor, lambda_: Optional[float] = None) -> Tensor:
        """The learned temperature, [1, 1] (global) or [N, 1] (instance), behind the gradient reversal."""
        raw = self.temperature_module(preds_S, preds_T).to(preds_S.dtype)
        raw = GradientReversal.apply(raw, self.current_lambda() if lambda_ is None else lambda_)
        return self.t_start + self.t_end * torch.sigmoid(raw)

    def loss_rows(self, preds_S, preds_T, labels):
        tau = self.temperature(preds_S, preds_T)
        return self.loss.loss_weight * self.loss.loss_rows(preds_S, preds_T, labels, tau=tau)

    def extra_repr(self) -> str:
        return (f't_start={self.t_start}, t_end={self.t_end}, lambda=({self.lambda_max} -> {self.lambda_min} over '
                f'{self.lambda_epochs} epochs), ' + super().extra_repr())
