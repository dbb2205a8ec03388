# Copyright (c) mmkd contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
