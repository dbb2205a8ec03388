# Copyright (c) mmkd contributors. All rights reserved.
from .checkpoint import load_from_trusted_local, trusted_local_checkpoints
from .config import load_config, package_config_path, resolve_cfg_path
from .dist import finish_cpu_distributed, main_process_writes_test_log, setup_cpu_distributed
from .setup_env import register_all_modules

__all__ = [
    'load_from_trusted_local', 'trusted_local_checkpoints', 'load_config', 'package_config_path', 'resolve_cfg_path',
    'register_all_modules', 'setup_cpu_distributed', 'finish_cpu_distributed',
    'main_process_writes_test_log'
]
