# Copyright (c) mmkd contributors. All rights reserved.
"""Record what a method of one model instance was called with and returned, while the model runs its own code.

The distillers call the student's own ``loss()`` (mmdet's code path, unchanged) and read what distillation
needs from the calls made on the way: the dense head's ``forward`` (its class logits) and ``get_targets`` (the
per-anchor labels), the RoI head's ``loss_and_target`` (the RoIs, their logits and labels). Only the given
instance is wrapped, only inside the ``with`` block, and the method is always restored.
"""
import inspect
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, NamedTuple


class Call(NamedTuple):
    """One recorded call: the arguments by name (defaults filled in) and the return value."""
    arguments: Dict[str, Any]
    result: Any


class CallRecord:
    """The calls of one method, in order (see :func:`record_calls`)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.calls: List[Call] = []

    def only(self) -> Call:
        """The single call; an error naming the method when it was called zero or several times."""
        if len(self.calls) != 1:
            raise RuntimeError(f'{self.owner} was called {len(self.calls)} times during the student\'s loss(), '
                               'expected once: this head computes its loss in a way mmkd does not support yet.')
        return self.calls[0]


@contextmanager
def record_calls(obj: Any, name: str) -> Iterator[CallRecord]:
    """Record every call of ``obj.<name>`` inside the block; the original is restored on exit (also on error).

    Args:
        obj: The instance (e.g. ``detector.bbox_head``); other instances of its class are not affected.
        name (str): The method, e.g. ``'get_targets'``.

    Yields:
        CallRecord: Filled as the method is called.
    """
    original = getattr(obj, name)
    signature = inspect.signature(original)
    record = CallRecord(f'{type(obj).__name__}.{name}')
    own = name in vars(obj)  # an attribute set on the instance itself (e.g. by another recorder)
    saved = vars(obj).get(name)

    def recorded(*args, **kwargs):
        result = original(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        record.calls.append(Call(dict(bound.arguments), result))
        return result

    recorded.__signature__ = signature  # a recorder around this one binds the same argument names
    object.__setattr__(obj, name, recorded)
    try:
        yield record
    finally:
        if own:
            object.__setattr__(obj, name, saved)
        else:
            object.__delattr__(obj, name)
