# Copyright (c) mmkd contributors. All rights reserved.
from .base import LogitDistillLoss
from .ctkd import CTKDLoss, curriculum_lambda
from .dist import DISTLoss, dist_loss
from .dkd import DKDLoss, dkd_loss
from .kd import KDLoss, kd_loss
from .label_smoothing import LabelSmoothingCrossEntropyLoss, label_smoothing_ce
from .mlkd import MLKDBatchLoss, MLKDClassLoss, MLKDInstanceLoss, mlkd_correlation_loss, mlkd_instance_loss
from .pld import PLDLoss, pld_loss, teacher_optimal_permutation
from .rkkd import RankKendallLoss, RKKDLoss, rank_kendall_tau
from .utils import standardize

__all__ = [
    'LogitDistillLoss', 'KDLoss', 'kd_loss', 'DKDLoss', 'dkd_loss', 'DISTLoss', 'dist_loss', 'PLDLoss', 'pld_loss',
    'teacher_optimal_permutation', 'RKKDLoss', 'RankKendallLoss', 'rank_kendall_tau', 'standardize',
    'LabelSmoothingCrossEntropyLoss', 'label_smoothing_ce', 'CTKDLoss', 'curriculum_lambda', 'MLKDInstanceLoss',
    'MLKDBatchLoss', 'MLKDClassLoss', 'mlkd_instance_loss', 'mlkd_correlation_loss'
]
