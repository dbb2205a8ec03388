# Copyright (c) mmkd contributors. All rights reserved.
"""The base of every mmkd distiller: teacher handling (build, load, freeze, eval), student-only checkpoints, and the
training step (the student's own loss() plus every distillation term), written once."""
import os.path as osp
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn

from mmkd.losses.checks import DeferredChecks, active_checks, deferred_checks
from mmkd.registry import MODELS
from mmkd.utils.checkpoint import trusted_local_checkpoints
from .distill_losses import STOPPED, LogitRows, build_distill_losses, compute_distill_losses, step_position

STUDENT = 'student.'


#: Where published checkpoints keep their weights: MMEngine / timm training (``state_dict``), RepDistiller /
#: mdistiller / DeiT (``model``), pycls and tiny-transformers (``model_state``).
STATE_DICT_KEYS = ('state_dict', 'model', 'model_state')


def extract_state_dict(checkpoint: Any, path: str) -> Dict[str, Tensor]:
    """The weights inside a checkpoint: under one of :data:`STATE_DICT_KEYS` or a bare state dict (torchvision,
    timm and Hugging Face ``.bin`` / ``.safetensors`` files); a ``module.`` prefix (DataParallel) is removed."""
    if isinstance(checkpoint, dict):
        for key in STATE_DICT_KEYS:
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict) or not all(isinstance(v, Tensor) for v in checkpoint.values()):
        raise RuntimeError(f'Teacher checkpoint {path} holds no state dict (expected a dict of tensors, or '
                           f'one under {" / ".join(repr(k) for k in STATE_DICT_KEYS)}).')
    return OrderedDict((k[7:] if k.startswith('module.') else k, v) for k, v in checkpoint.items())


def read_checkpoint(path: str) -> Any:
    """Read a checkpoint file: ``.safetensors`` (Hugging Face / timm hub weights) with ``safetensors``, anything
    else with MMEngine's loaders (local files trusted, see :func:`trusted_local_checkpoints`)."""
    if path.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as exc:
            raise ImportError(f'Reading {path} needs the safetensors package: pip install safetensors') from exc
        return load_file(osp.expanduser(path), device='cpu')
    with trusted_local_checkpoints():
        return CheckpointLoader.load_checkpoint(path, map_location='cpu')


class BaseDistiller(BaseModel):
    """A student trained from a frozen teacher.

    The teacher is built from its config, loaded from ``teacher_ckpt`` when the run starts
    (:meth:`init_weights`, i.e. on train and on resume, never on test), frozen (``requires_grad=False``),
    kept in ``eval()`` whatever ``train()`` is called with (BatchNorm *and* dropout), and run under
    ``no_grad``. It is held outside the module tree: it has no parameters in ``parameters()`` (so neither the
    optimizer nor DDP sees it) and no keys in ``state_dict()``. The state dict holds the student's keys
    *without* a prefix, so a checkpoint loads into the student's own config; loading also accepts
    ``student.``-prefixed keys.

    Training runs the student's **own** ``loss()`` unchanged (its loss terms are exactly those of the student
    trained alone) and records the logits and labels distillation needs on the way (:meth:`student_loss_and_rows`,
    see :mod:`mmkd.distillers.recorder`); the teacher's logits for the same rows come from a frozen forward.
    Every distillation term is added under its own name. Change the student's own losses in the student config
    (e.g. ``loss_cls=dict(loss_weight=0.1)``) and leave terms out with ``drop_student_losses``.

    Once :attr:`distill_stopped` is set (by :class:`~mmkd.engine.hooks.StopDistillHook`, from a given epoch or
    iteration on), training runs the student's own losses only (:meth:`student_loss`): no teacher forward, no
    distillation term, and the terms of ``drop_student_losses`` are back (once PLD is off, the student needs its
    cross-entropy again).

    Args:
        student (dict): Student model config (or ``dict(cfg_path=..., **overrides)``: the model of another
            config file, see :mod:`mmkd.registry`).
        teacher (dict): Teacher model config (same forms).
        teacher_ckpt (str, optional): Teacher weights; required to train.
        teacher_strict (bool): Fail when the teacher checkpoint has missing or unexpected keys (the keys are
            listed). Defaults to True.
        teacher_amp (bool | str): Run the teacher's forward under autocast: ``True`` (bfloat16 on the CPU,
            float16 on a GPU), ``'bfloat16'`` or ``'float16'``. Its outputs are cast to float32 before any loss
            sees them. Defaults to False (float32).
        distill_losses (dict): Named distillation losses, see :func:`build_distill_losses`.
        drop_student_losses (Sequence[str]): The student's own loss terms to leave out, e.g. ``['loss_cls']``
            when PLD replaces the cross-entropy of a classifier or of a RoI head. Defaults to none.
        data_preprocessor (dict, optional): Defaults to the student's own data preprocessor (the teacher gets
            the same inputs).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 teacher_strict: bool = True,
                 teacher_amp: Union[bool, str] = False,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 drop_student_losses: Sequence[str] = (),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.drop_student_losses = tuple(drop_student_losses)
        self.student = MODELS.build(student)
        if data_preprocessor is None and hasattr(self.student, 'data_preprocessor'):
            self.data_preprocessor = self.student.data_preprocessor
        # The teacher's random initialisation (overwritten by teacher_ckpt) must not move the global RNG: the
        # student's init_weights, dropout and augmentations then draw exactly what the student alone draws.
        with torch.random.fork_rng(devices=[]):
            teacher_model = MODELS.build(teacher)
        teacher_model.requires_grad_(False)
        teacher_model.eval()
        self._teacher = [teacher_model]  # a list hides it from nn.Module's registration
        self.teacher_ckpt = teacher_ckpt
        self.teacher_strict = teacher_strict
        if teacher_amp not in (False, True, 'bfloat16', 'float16'):
            raise ValueError(f"teacher_amp must be False, True, 'bfloat16' or 'float16', got {teacher_amp!r}.")
        self.teacher_amp = teacher_amp
        self.teacher_loaded = False
        #: True: train on the student's own losses alone (see :class:`~mmkd.engine.hooks.StopDistillHook`)
        self.distill_stopped = False
        self.distill_losses = build_distill_losses(distill_losses)
        self._register_state_dict_hook(_strip_student_prefix)
        self._register_load_state_dict_pre_hook(_add_student_prefix, with_module=True)

    @property
    def teacher(self) -> nn.Module:
        return self._teacher[0]

    # ---------------------------------------------------------------- teacher handling
    def init_weights(self) -> None:
        """Initialise the student (its ``init_cfg``), then load the teacher from ``teacher_ckpt``."""
        super().init_weights()
        self.load_teacher()

    def load_teacher(self) -> None:
        """Load ``teacher_ckpt`` into the teacher; a clear error on a missing file or mismatching keys."""
        path = self.teacher_ckpt
        if path is None:
            raise ValueError(f'{type(self).__name__}: teacher_ckpt is not set. Train the teacher first (the config '
                             "its cfg_path names) and pass model.teacher_ckpt=PATH.")
        if '://' not in path and not osp.isfile(osp.expanduser(path)):
            raise FileNotFoundError(f'Teacher checkpoint {path} does not exist. Set model.teacher_ckpt to the '
                                    "teacher's .pth (e.g. --cfg-options model.teacher_ckpt=PATH).")
        try:
            checkpoint = read_checkpoint(path)
        except ImportError:
            raise
        except Exception as exc:  # unreadable, truncated, not a pickle ...
            raise RuntimeError(f'Teacher checkpoint {path} could not be read ({type(exc).__name__}: {exc}). '
                               'Is the file complete?') from exc
        state = self.convert_teacher_state_dict(extract_state_dict(checkpoint, path))
        expected = self.teacher.state_dict()
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        wrong_shape = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
                       for k, v in expected.items() if k in state and state[k].shape != v.shape]
        if wrong_shape:
            raise RuntimeError(f'Teacher checkpoint {path} does not fit the teacher config; shape mismatches '
                               f'(e.g. num_classes): {_short(wrong_shape)}')
        if (missing or unexpected) and self.teacher_strict:
            raise RuntimeError(
                f'Teacher checkpoint {path} does not match the teacher config: missing keys {_short(missing)}; '
                f'unexpected keys {_short(unexpected)}. Fix the teacher config or checkpoint, or set '
                'model.teacher_strict=False to allow it.')
        self.teacher.load_state_dict(state, strict=False)
        device = next(iter(self.parameters()), torch.empty(0)).device
        self.teacher.to(device)
        self.teacher.eval()
        self.teacher_loaded = True
        print_log(f'Loaded the teacher from {path}' +
                  (f' (missing {len(missing)}, unexpected {len(unexpected)} keys)' if missing or unexpected else ''),
                  logger='current')

    def convert_teacher_state_dict(self, state: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Hook for subclasses: map a published checkpoint's key names onto the teacher."""
        return state

    def teacher_forward(self, fn: Callable, *args, **kwargs):
        """Run ``fn`` (a teacher method) frozen: eval mode, no autograd."""
        if not self.teacher_loaded and self.training:
            raise RuntimeError(f'{type(self).__name__}: the teacher has not been loaded. Call init_weights() '
                               '(the Runner does) or load_teacher() before training.')
        self.teacher.eval()
        if not self.teacher_amp:
            with torch.no_grad():
                return fn(*args, **kwargs)
        device = next(iter(self.teacher.parameters()), torch.empty(0)).device.type
        dtype = self.teacher_amp if isinstance(self.teacher_amp, str) else \
            ('float16' if device == 'cuda' else 'bfloat16')
        with torch.no_grad(), torch.autocast(device, dtype=getattr(torch, dtype)):
            out = fn(*args, **kwargs)
        return _to_float32(out)

    def _apply(self, fn, *args, **kwargs):
        """Move / cast the hidden teacher together with the student (``.to``, ``.cuda``, ``.half`` ...)."""
        super()._apply(fn, *args, **kwargs)
        self.teacher._apply(fn, *args, **kwargs)
        return self

    # ---------------------------------------------------------------- training
    def train_step(self, data: Union[dict, tuple, list], optim_wrapper) -> Dict[str, Tensor]:
        """MMEngine's training step with the losses' input checks (finite logits, labels in range) only recorded on
        the device, then read all at once: one synchronisation at the end of the step, where MMEngine's logging of
        the loss values synchronises anyway, instead of several per loss. A failed check raises its error, named
        after the loss, the iteration and the epoch; the optimizer step of that iteration has been taken, so
        training stops there and the checkpoints already saved are kept."""
        self.read_pending_checks()
        with deferred_checks() as checks:
            log_vars = super().train_step(data, optim_wrapper)
        raise_failed(checks, step_position())
        return log_vars

    def read_pending_checks(self) -> None:
        """Raise a failed check of the last step driven by a model wrapper (see :meth:`loss`)."""
        pending, self._pending_checks = getattr(self, '_pending_checks', None), None
        if pending is not None:
            raise_failed(*pending)

    def train(self, mode: bool = True) -> 'BaseDistiller':
        if not mode:  # leaving training (validation, the end of the run): the last step's checks are read
            self.read_pending_checks()
        super().train(mode)
        self.teacher.eval()  # always: BatchNorm statistics and dropout stay frozen
        return self

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list, Tensor, tuple]:
        """``mode='loss'``: the student's losses and the distillation terms; 'predict' and 'tensor': the
        student's."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode)

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """The student's own loss terms (less ``drop_student_losses``) and every distillation term; once
        :attr:`distill_stopped` is set, all of the student's own terms and nothing else (:meth:`student_loss`).

        In training mode outside :meth:`train_step` (a distributed wrapper's training step calls the forward
        directly) the checks are recorded as in :meth:`train_step` and read at the start of the next step or when
        training mode is left: by then MMEngine's logging has synchronised, so reading them costs nothing.
        """
        if self.training and active_checks() is None:
            self.read_pending_checks()
            with deferred_checks() as checks:
                losses = self._loss(inputs, data_samples)
            self._pending_checks = (checks, step_position())
            return losses
        return self._loss(inputs, data_samples)

    def _loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        if self.distill_stopped:
            return self.student_loss(inputs, data_samples)
        return self.losses_and_rows(inputs, data_samples)[0]

    def losses_and_rows(self, inputs: Tensor, data_samples: list) -> Tuple[Dict[str, Tensor], LogitRows]:
        """Every loss term of a distillation step (the student's own, less ``drop_student_losses``, and each
        distillation term) with the rows of logits the distillation terms were computed on."""
        losses, rows = self.student_loss_and_rows(inputs, data_samples)
        losses = self.without_dropped(losses)
        losses.update(compute_distill_losses(self.distill_losses, rows))
        return losses, rows

    def student_loss_and_rows(self, inputs: Tensor, data_samples: list) -> Tuple[Dict[str, Tensor], LogitRows]:
        """Subclasses: the student's own ``loss()`` and the rows of logits (student and teacher) to distil."""
        raise NotImplementedError

    def student_loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """The training step once distillation is stopped: the student's own ``loss()`` (every term, those of
        ``drop_student_losses`` included), no teacher forward. Subclasses whose step feeds the student otherwise
        (several views of a batch) override it."""
        return self.student.loss(inputs, data_samples)

    def without_dropped(self, student_losses: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The student's own loss terms minus ``drop_student_losses`` (a missing name is an error)."""
        missing = [k for k in self.drop_student_losses if k not in student_losses]
        if missing:
            raise KeyError(f'drop_student_losses names {missing}, but the student losses are '
                           f'{sorted(student_losses)}.')
        return {k: v for k, v in student_losses.items() if k not in self.drop_student_losses}


def _to_float32(out: Any) -> Any:
    """Floating-point tensors of a (nested) output as float32."""
    if isinstance(out, Tensor):
        return out.float() if out.is_floating_point() else out
    if isinstance(out, (list, tuple)):
        return type(out)(_to_float32(o) for o in out)
    if isinstance(out, dict):
        return {k: _to_float32(v) for k, v in out.items()}
    return out


def raise_failed(checks: DeferredChecks, where: str) -> None:
    """Raise the first failed check of a step as ``'<loss><where>: <message>'``."""
    failure = checks.first_failure()
    if failure is not None:
        prefix = f'{failure.scope}{where}: ' if failure.scope else ''
        end = f' {STOPPED}' if failure.error is FloatingPointError else ''
        raise failure.error(prefix + failure.message() + end)


def _short(keys: List[str], limit: int = 20) -> str:
    return str(keys[:limit]) + (f' ... and {len(keys) - limit} more' if len(keys) > limit else '')


def _strip_student_prefix(module, state_dict, prefix, local_metadata):
    """state-dict hook: ``student.x`` -> ``x`` (the checkpoint is the student's)."""
    for key in [k for k in state_dict if k.startswith(prefix + STUDENT)]:
        state_dict[prefix + key[len(prefix + STUDENT):]] = state_dict.pop(key)
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        for key in [k for k in metadata if k.startswith(prefix + 'student')]:
            new = prefix + key[len(prefix + 'student'):].lstrip('.')
            metadata[new.rstrip('.')] = metadata.pop(key)
    return state_dict


def _add_student_prefix(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
    """load pre-hook: accept the student's own keys (``x`` -> ``student.x``); drop saved teacher weights; keep the
    distiller's own parameters (e.g. CTKD's temperature under ``distill_losses.``) where they are."""
    own = {name for name, _ in module.named_children() if name not in ('student', 'data_preprocessor')}
    for key in [k for k in state_dict if k.startswith(prefix)]:
        rest = key[len(prefix):]
        if rest.startswith(('teacher.', 'data_preprocessor.')):
            state_dict.pop(key)
        elif not rest.startswith(STUDENT) and rest.split('.', 1)[0] not in own:
            state_dict[prefix + STUDENT + rest] = state_dict.pop(key)
