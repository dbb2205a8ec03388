from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .lamb import LAMB

__all__ = ['CPUAmpOptimWrapper', 'LAMB']
