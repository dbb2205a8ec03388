import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.chdir(ROOT)  # configs and cfg_path are relative to the repository root, as for tools/

from mmkd.utils import register_all_modules  # noqa: E402

register_all_modules()
