# Copyright (c) mmkd contributors. All rights reserved.
"""Optional compiled kernels of mmkd (see :mod:`mmkd.ops.cpu_extension`); the losses fall back to PyTorch."""
