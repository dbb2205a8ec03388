# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmkd.registry import HOOKS
from .distiller_of import distiller_of


@HOOKS.register_module()
class StopDistillHook(Hook):
    """Turn the distillation terms off from a given epoch or iteration on, as MMRazor's ``StopDistillHook``.

    From that point the distiller trains the student on its own losses alone (see
    :attr:`~mmkd.distillers.BaseDistiller.distill_stopped`): the teacher no longer runs, no distillation term is
    computed or logged, and the terms of ``drop_student_losses`` come back (once PLD is off, the student needs
    its cross-entropy again). Add it with ``custom_hooks=[dict(type='StopDistillHook', stop_epoch=200)]`` in a
    config; ``--cfg-options`` can only set existing list entries, e.g. ``custom_hooks.0.type=StopDistillHook
    custom_hooks.0.stop_epoch=200`` in place of the classification configs' ``EvalTeacherHook``.

    The point is counted as MMEngine's runner counts (and as MMRazor's hook): ``stop_epoch=N`` distils during
    the first N epochs and turns distillation off when ``runner.epoch >= N`` (0-based, checked before every
    training epoch), i.e. from the epoch the log numbers N + 1 on. ``stop_iter=N`` distils during the first N
    iterations and turns it off when ``runner.iter >= N`` (checked before every training iteration), i.e. from
    the iteration the log numbers N + 1 on. ``0`` never distils. The decision is made from the runner's
    position every time, with no state of its own: a resumed run (``--resume``) stops at the same point.

    A distillation loss with parameters (CTKD's learned temperature) gets no gradient once stopped: distributed
    runs then need ``model_wrapper_cfg=dict(type='MMDistributedDataParallel', find_unused_parameters=True)``.

    Args:
        stop_epoch (int, optional): Number of epochs to distil (epoch-based training loops only).
        stop_iter (int, optional): Number of iterations to distil (any training loop). Give exactly one of the
            two.
    """
    priority = 'LOW'

    def __init__(self, stop_epoch: Optional[int] = None, stop_iter: Optional[int] = None) -> None:
        if (stop_epoch is None) == (stop_iter is None):
            raise ValueError('StopDistillHook needs exactly one of stop_epoch and stop_iter, got '
                             f'stop_epoch={stop_epoch!r} and stop_iter={stop_iter!r}.')
        name, value = ('stop_epoch', stop_epoch) if stop_epoch is not None else ('stop_iter', stop_iter)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f'StopDistillHook: {name} must be a non-negative int, got {value!r}.')
        self.stop_epoch = stop_epoch
        self.stop_iter = stop_iter

    def before_train(self, runner) -> None:
        """Fail before the first step on a model that is not a distiller or a stop_epoch without epochs."""
        distiller_of(runner, 'StopDistillHook', 'turns off the distillation terms')
        if self.stop_epoch is not None and isinstance(getattr(runner, 'train_loop', None), IterBasedTrainLoop):
            raise ValueError(f'StopDistillHook: stop_epoch={self.stop_epoch} with an iteration-based training loop '
                             '(IterBasedTrainLoop), whose epoch never changes. Use stop_iter instead.')

    def before_train_epoch(self, runner) -> None:
        if self.stop_epoch is not None and runner.epoch >= self.stop_epoch:
            self._stop(runner, resumed=runner.epoch > self.stop_epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self.stop_iter is not None and runner.iter >= self.stop_iter:
            self._stop(runner, resumed=runner.iter > self.stop_iter)

    def _stop(self, runner, resumed: bool) -> None:
        """Set the distiller's ``distill_stopped`` (once), log it, drop the stale terms from the logged values."""
        model = distiller_of(runner, 'StopDistillHook', 'turns off the distillation terms')
        if model.distill_stopped:
            return
        model.distill_stopped = True
        # MMEngine logs every scalar the message hub holds: without this the last values of the distillation
        # terms would be logged again at every later iteration.
        hub = getattr(runner, 'message_hub', None)
        if hub is not None:
            for name in model.distill_losses:
                hub.log_scalars.pop(f'train/{name}', None)
        where = (f'epoch {runner.epoch + 1} (iteration {runner.iter + 1})' if self.stop_epoch is not None else
                 f'iteration {runner.iter + 1}')
        setting = f'stop_epoch={self.stop_epoch}' if self.stop_epoch is not None else f'stop_iter={self.stop_iter}'
        if resumed:
            print_log(f'StopDistillHook: the run resumes at {where}, past {setting}: the distillation terms stay '
                      'off and the student trains on its own losses.', logger='current')
        else:
            print_log(f'StopDistillHook: distillation terms off from {where} ({setting}): the student now trains '
                      'on its own losses.', logger='current')
