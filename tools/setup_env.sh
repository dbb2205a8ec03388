#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment with the pinned OpenMMLab stack and mmkd.
#
# Usage: tools/setup_env.sh            (called by `make demo` / `make test`)
# Environment overrides:
#   VENV=.venv                 where the environment lives
#   PYTHON=python3             interpreter used to create it (3.8-3.12)
#   TORCH_SPEC=torch==2.13.0   the torch requirement (GPU users: e.g. "torch==2.4.1")
#   MMKD_CACHE=~/.cache/mmkd   where compiled mmcv wheels are kept, keyed by torch and Python version
#
# Idempotent: a stamp file records the hash of every input; when nothing changed it returns in a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
MMKD_CACHE="${MMKD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmkd}"
# The tested mmcv (the one exact version is in requirements/constraints.txt): compiled from its sdist below.
MMCV_VERSION="$(sed -n 's/^mmcv==//p' requirements/constraints.txt)"

inputs_hash() {
  { echo "$TORCH_SPEC"; "$PYTHON" --version 2>&1; cat requirements/*.txt setup.py mmkd/version.py tools/setup_env.sh; } |
    sha256sum | cut -c1-16
}
STAMP="$VENV/.mmkd-stack-$(inputs_hash)"
if [ -f "$STAMP" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[mmkd] creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade "pip>=23.1"
# Exact versions of the tested environment; another torch (TORCH_SPEC) drops the torch pin.
CONSTRAINTS="$VENV/mmkd-constraints.txt"
if [ "$("$PY" -c 'import sys; print(sys.version_info[:2] == (3, 11))')" != True ]; then
  echo "[mmkd] Python is not 3.11: installing from the version ranges only (pins are for 3.11)"
  : > "$CONSTRAINTS"
elif [ "$TORCH_SPEC" = "torch==2.13.0" ]; then
  cp requirements/constraints.txt "$CONSTRAINTS"
else
  grep -v -E '^(torch|numpy)==' requirements/constraints.txt > "$CONSTRAINTS"
fi
PIP_INSTALL=("${PIP[@]}" install -q -c "$CONSTRAINTS")
# The supported range of a stack package, from its one definition (mmkd/version.py), e.g. "mmdet>=3.3.0,<3.4.0".
supported() { "$PY" -c 'import runpy, sys; print(runpy.run_path("mmkd/version.py")["requirement"](sys.argv[1]))' "$1"; }

echo "[mmkd] installing torch ($TORCH_SPEC) and build tools"
"${PIP_INSTALL[@]}" -r requirements/build.txt "$TORCH_SPEC"

# torchvision from PyPI is a CUDA build that breaks beside the CPU torch (every mmengine Runner crashes in
# collect_env with "operator torchvision::nms does not exist"); mmkd does not need it.
if "$PY" -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('torchvision') is None)"; then
  if ! "$PY" -c "import torchvision" >/dev/null 2>&1; then
    echo "[mmkd] removing a torchvision that does not import beside this torch"
    "${PIP[@]}" uninstall -y -q torchvision
  fi
fi

"${PIP_INSTALL[@]}" "$(supported mmengine)" pycocotools

TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__)')"
PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WHEEL_DIR="$MMKD_CACHE/mmcv-wheels/torch-$TORCH_VERSION-$PY_TAG"
mkdir -p "$WHEEL_DIR"
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" >/dev/null 2>&1; then
  if ! ls "$WHEEL_DIR"/mmcv-$MMCV_VERSION-*.whl >/dev/null 2>&1; then
    echo "[mmkd] building mmcv $MMCV_VERSION with its compiled ops for torch $TORCH_VERSION:" \
         "this takes about 15 minutes on 2 cores, once (wheel cached in $WHEEL_DIR)"
    # --no-build-isolation: mmcv must see the installed torch, or it silently builds without its ops.
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      "${PIP[@]}" wheel --no-build-isolation --no-deps --no-cache-dir -w "$WHEEL_DIR.tmp" \
      "mmcv==$MMCV_VERSION"
    mv "$WHEEL_DIR".tmp/mmcv-*.whl "$WHEEL_DIR"/ && rmdir "$WHEEL_DIR.tmp"
  else
    echo "[mmkd] reusing the cached mmcv wheel in $WHEEL_DIR"
  fi
  "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-$MMCV_VERSION-*.whl
  # mmcv's own light dependencies (the wheel was installed without them).
  "${PIP_INSTALL[@]}" addict packaging pyyaml yapf "opencv-python>=3" Pillow
fi

echo "[mmkd] installing mmdet, mmkd (this checkout, in development mode) and the test tools"
"${PIP_INSTALL[@]}" "$(supported mmdet)" -r requirements/runtime.txt -r requirements/tests.txt
"${PIP[@]}" install -q --no-deps -r requirements/demo.txt  # weights only (see the file)
# Development mode as setuptools' old `develop` did: this checkout on the path (a .pth file) and its metadata
# in ./mmkd.egg-info. Unlike a PEP 660 editable install, mmengine then finds the package where it really is, so
# `_base_ = 'mmkd::...'` resolves to this checkout's configs (through mmkd/.mim).
"${PIP[@]}" uninstall -y -q mmkd >/dev/null 2>&1 || true
"$PY" setup.py -q egg_info >/dev/null
SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$ROOT" > "$SITE/mmkd-checkout.pth"

"$PY" -c "import mmcv.ops, mmdet, mmkd; print('[mmkd] stack ready: mmkd', mmkd.__version__)"
rm -f "$VENV"/.mmkd-stack-*
touch "$STAMP"
