# Copyright (c) mmkd contributors. All rights reserved.
from mmengine.model import is_model_wrapper

from mmkd.distillers import BaseDistiller


def distiller_of(runner, hook: str, purpose: str) -> BaseDistiller:
    """The runner's distiller (inside its model wrapper, DDP / FSDP); a clear error naming the hook for any other
    model.

    Args:
        runner: The MMEngine runner.
        hook (str): The hook's name, for the message.
        purpose (str): What the hook does to a distiller, for the message (e.g. 'turns off the distillation terms').
    """
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not isinstance(model, BaseDistiller):
        raise TypeError(f'{hook} {purpose} of an mmkd distiller (BaseDistiller, e.g. ClassificationDistiller), but '
                        f'the model is a {type(model).__name__}, not an mmkd distiller. Remove the hook from '
                        'custom_hooks, or train with a distillation config.')
    return model
