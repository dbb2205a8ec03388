# Copyright (c) mmkd contributors. All rights reserved.
from .checkpoint import load_from_trusted_local, register_trusted_local_loader
from .dist import setup_cpu_distributed
from .setup_env import register_all_modules

__all__ = ['load_from_trusted_local', 'register_trusted_local_loader', 'register_all_modules', 'setup_cpu_distributed']
