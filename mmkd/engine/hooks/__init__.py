from .eval_teacher_hook import EvalTeacherHook

__all__ = ['EvalTeacherHook']
