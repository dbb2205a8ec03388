# Copyright (c) mmkd contributors. All rights reserved.
"""What the analysis tools share: the benchmark definitions and the reader of MMEngine's run logs."""
from .benchmarks import BENCHMARKS, config_of, slug
from .logs import latest_metrics, latest_run, read_scalars, run_metrics, train_log

__all__ = ['BENCHMARKS', 'config_of', 'slug', 'latest_metrics', 'latest_run', 'read_scalars', 'run_metrics',
           'train_log']
