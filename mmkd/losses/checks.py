# Copyright (c) mmkd contributors. All rights reserved.
"""Input checks of the losses without a host synchronisation per check.

A check is a 0-d boolean tensor that is True when the input is bad, with the error to raise. Outside a training
step it is evaluated at once (``bool(failed)``: a synchronisation, as any eager check). Inside
:func:`deferred_checks` (a distiller's ``train_step``) it is only recorded on the device; the step ends with
:meth:`DeferredChecks.raise_if_failed`, which reads every flag of the step in one transfer and raises the first
failure, named after the loss it came from. That read happens where MMEngine synchronises anyway (it converts
the logged loss values to numbers right after the step), so a GPU pipeline never stalls inside the loss path.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, List, NamedTuple, Optional, Type

import torch
from torch import Tensor


class Check(NamedTuple):
    failed: Tensor  # 0-d bool
    error: Type[Exception]
    message: Callable[[], str]  # called only when the check failed (it may read tensors then)
    scope: Optional[str]  # the loss it belongs to (e.g. 'loss_kd')


class DeferredChecks:
    """The checks of one training step, evaluated together by :meth:`raise_if_failed`."""

    def __init__(self) -> None:
        self.checks: List[Check] = []
        self._scope: Optional[str] = None

    @contextmanager
    def scope(self, name: Optional[str]) -> Iterator[None]:
        """Record the checks made inside the block as belonging to ``name`` (a distillation loss)."""
        previous, self._scope = self._scope, name
        try:
            yield
        finally:
            self._scope = previous

    def add(self, failed: Tensor, error: Type[Exception], message: Callable[[], str]) -> None:
        self.checks.append(Check(failed.detach().reshape(()), error, message, self._scope))

    def first_failure(self) -> Optional[Check]:
        """The first failed check, or None; reads all flags in one transfer (the only synchronisation)."""
        if not self.checks:
            return None
        flags = torch.stack([c.failed.to(self.checks[0].failed.device) for c in self.checks]).cpu().tolist()
        return next((check for check, flag in zip(self.checks, flags) if flag), None)

    def raise_if_failed(self, where: Callable[[], str] = lambda: '') -> None:
        """Raise the first failed check's error as ``'<loss><where>: <message>'``.

        Args:
            where (callable): Returns the position to report, e.g. ``' at iteration 12 (epoch 1)'``.
        """
        check = self.first_failure()
        if check is not None:
            prefix = f'{check.scope}{where()}: ' if check.scope else ''
            raise check.error(prefix + check.message())


_ACTIVE: ContextVar[Optional[DeferredChecks]] = ContextVar('mmkd_deferred_checks', default=None)


@contextmanager
def deferred_checks() -> Iterator[DeferredChecks]:
    """Inside the block, :func:`check` records instead of evaluating; the caller evaluates the yielded checks."""
    checks = DeferredChecks()
    token = _ACTIVE.set(checks)
    try:
        yield checks
    finally:
        _ACTIVE.reset(token)


def active_checks() -> Optional[DeferredChecks]:
    """The checks being gathered, or None outside :func:`deferred_checks`."""
    return _ACTIVE.get()


@contextmanager
def check_scope(name: Optional[str]) -> Iterator[None]:
    """Attribute the checks made in the block to ``name`` (nothing happens outside :func:`deferred_checks`)."""
    checks = active_checks()
    if checks is None:
        yield
        return
    with checks.scope(name):
        yield


def check(failed: Tensor, error: Type[Exception], message: Callable[[], str]) -> None:
    """Raise ``error(message())`` when ``failed`` is True: now, or at the end of the step inside
    :func:`deferred_checks`."""
    checks = active_checks()
    if checks is None:
        if bool(failed):
            raise error(message())
    else:
        checks.add(failed, error, message)
