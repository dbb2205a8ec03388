# Copyright (c) mmkd contributors. All rights reserved.
"""The named distillation losses of a distiller: built from configs (validated first), and called on rows of
logits with what each loss's ``forward`` accepts.

mmkd's losses take per-row labels and weights. Another loss (mmdet's, MMRazor's) gets ``gt_labels`` when its
``forward`` names it, and only the rows the distiller does not ignore. Row weights are applied to such a loss as
mmdet applies an element-wise weight: it is called with ``reduction_override='none'``, the weight of each row is
broadcast over whatever the loss computes per row (one value, as mmdet's KD loss, or one per class, as ``L1Loss``)
and mmdet's ``weight_reduce_loss`` reduces the result with the loss's own ``reduction``.
"""
import inspect
from typing import Dict, NamedTuple, Optional, Tuple

from mmdet.models.losses.utils import weight_reduce_loss
from mmengine.logging import MessageHub
from torch import Tensor, nn

from mmkd.losses import LogitDistillLoss
from mmkd.losses.checks import check_scope
from mmkd.registry import MODELS

#: The label the distillers give rows that every distillation loss must leave out (mmkd losses'
#: ``ignore_index``; losses that take no labels get only the other rows).
IGNORE_LABEL = -1
#: the end of the message of a non-finite loss input
STOPPED = 'Training stopped; the checkpoints already saved in the work_dir are kept.'


class LogitRows(NamedTuple):
    """What a distiller's losses are computed on: rows of student and teacher logits [N, C], each row's label
    [N] (None when there are none) and weight [N] (None: uniform). ``sources`` are the student's logits as its
    head returned them (e.g. one [B, A*C, H, W] tensor per FPN level), which ``preds_S`` is taken from and the
    student's own classification loss is computed on: the pre-flight check measures every loss term's gradient
    on them."""
    preds_S: Tensor
    preds_T: Tensor
    labels: Optional[Tensor] = None
    weight: Optional[Tensor] = None
    sources: Tuple[Tensor, ...] = ()


class LossCall(NamedTuple):
    """How a loss is called: whether it takes labels, and whether (and how) it can be weighted per row."""
    labels: bool
    weight: bool
    #: weighted through ``reduction_override='none'`` + mmdet's ``weight_reduce_loss`` (not an mmkd loss)
    unreduced: bool


def loss_call(loss: nn.Module) -> LossCall:
    """mmkd losses take ``gt_labels`` and per-row ``weight``; another loss takes ``gt_labels`` when its signature
    names it (MMRazor's DKD) and can be weighted when it has mmdet's ``weight``, ``reduction_override`` and a
    ``reduction`` attribute."""
    if isinstance(loss, LogitDistillLoss):
        return LossCall(labels=True, weight=True, unreduced=False)
    params = inspect.signature(loss.forward).parameters
    weighted = 'weight' in params and 'reduction_override' in params and hasattr(loss, 'reduction')
    return LossCall(labels='gt_labels' in params, weight=weighted, unreduced=True)


def build_distill_losses(cfgs: Optional[Dict[str, dict]]) -> nn.ModuleDict:
    """Build named losses with ``MODELS.build``, each config first validated against the loss's signature.

    Args:
        cfgs (dict): ``{'loss_kd': dict(type='KDLoss', tau=4), ...}``; any loss registered in mmkd or mmdet
            (``type='mmdet.L1Loss'`` or ``_scope_`` work as in mmdet). Each name must contain ``loss`` so that
            MMEngine sums it into the total and logs it under its own key.

    Returns:
        nn.ModuleDict: The built losses.
    """
    losses = nn.ModuleDict()
    for name, cfg in (cfgs or {}).items():
        if 'loss' not in name:
            raise ValueError(f'Loss name "{name}" must contain "loss" (e.g. "loss_{name}") so that it is '
                             'summed into the total loss and logged.')
        cfg = dict(cfg)
        loss_type = cfg.get('type')
        with MODELS.switch_scope_and_registry(cfg.get('_scope_')) as registry:
            loss_cls = registry.get(loss_type) if isinstance(loss_type, str) else loss_type
        if loss_cls is None:
            known = sorted(k for k, v in MODELS.module_dict.items()
                           if isinstance(v, type) and issubclass(v, LogitDistillLoss))
            raise KeyError(f'{name}: unknown loss type {loss_type!r}. mmkd distillation losses: {known} '
                           '(any loss registered in mmdet can be used too).')
        params = inspect.signature(loss_cls.__init__).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            valid = [p for p in params if p != 'self']
            wrong = [k for k in cfg if k not in valid + ['type', '_scope_']]
            if wrong:
                raise TypeError(f'{name}: {loss_cls.__name__} got unknown argument(s) {wrong}; valid arguments: '
                                f'{valid}.')
        losses[name] = MODELS.build(cfg)
    return losses


def check_losses_take_weight(losses: nn.ModuleDict, why: str) -> None:
    """Fail at build time when a loss cannot take the per-row weights the distiller will give it.

    Args:
        losses (nn.ModuleDict): The distillation losses.
        why (str): The setting that makes the distiller weight the rows, for the message.
    """
    for name, loss in losses.items():
        if not loss_call(loss).weight:
            raise TypeError(f'{name}: {type(loss).__name__}.forward takes no weight argument (with mmdet\'s '
                            f'reduction_override), but {why} weights every row. Use a loss that takes weight, or '
                            'turn the weighting off.')
        if not getattr(loss, 'takes_row_weights', True):
            raise TypeError(f'{name}: {type(loss).__name__} cannot weight single rows (its terms couple the rows), '
                            f'but {why} weights every row. Turn the weighting off for it.')


def compute_distill_losses(losses: nn.ModuleDict, rows: LogitRows) -> Dict[str, Tensor]:
    """Every loss on ``rows``, under its own name; a non-finite value stops with the loss and iteration."""
    out = {}
    unlabelled: Optional[Tuple[Tensor, Tensor, Optional[Tensor]]] = None
    for name, loss in losses.items():
        call = loss_call(loss)
        preds_S, preds_T, weight = rows.preds_S, rows.preds_T, rows.weight
        kwargs = {}
        if rows.labels is not None and call.labels:
            kwargs['gt_labels'] = rows.labels
        elif rows.labels is not None:  # a loss without labels gets only the rows the others do not ignore
            if unlabelled is None:
                keep = rows.labels != IGNORE_LABEL
                unlabelled = (preds_S[keep], preds_T[keep], None if weight is None else weight[keep])
            preds_S, preds_T, weight = unlabelled
        try:
            with check_scope(name):
                out[name] = call_loss(loss, call, preds_S, preds_T, weight, kwargs)
        except FloatingPointError as exc:  # checked at once: outside a distiller's training step
            raise FloatingPointError(f'{name}{step_position()}: {exc} {STOPPED}') from exc
    return out


def call_loss(loss: nn.Module, call: LossCall, preds_S: Tensor, preds_T: Tensor, weight: Optional[Tensor],
              kwargs: dict) -> Tensor:
    """One loss on the rows, weighted as its interface allows (see :func:`loss_call`)."""
    if weight is None:
        return loss(preds_S, preds_T, **kwargs)
    if not call.unreduced:
        return loss(preds_S, preds_T, weight=weight, **kwargs)
    # mmdet's element-wise weighting, with each row's weight over its elements
    unreduced = loss(preds_S, preds_T, reduction_override='none', **kwargs)
    row_weight = weight.reshape(-1, *[1] * (unreduced.dim() - 1)).expand_as(unreduced)
    return weight_reduce_loss(unreduced, row_weight, reduction=loss.reduction)


def step_position() -> str:
    """`` at iteration I (epoch E)`` of the running training loop (1-based, as in the log), or ``''``."""
    hub = MessageHub.get_current_instance()
    it, epoch = hub.get_info('iter'), hub.get_info('epoch')
    where = f' at iteration {it + 1}' if it is not None else ''
    return where + (f' (epoch {epoch + 1})' if epoch is not None else '')
