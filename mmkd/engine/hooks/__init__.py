from .eval_teacher_hook import EvalTeacherHook
from .rank_diagnostics_hook import RankDiagnosticsHook
from .stop_distill_hook import StopDistillHook

__all__ = ['EvalTeacherHook', 'RankDiagnosticsHook', 'StopDistillHook']
