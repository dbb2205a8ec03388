#!/usr/bin/env bash
# The GPU measurements of mmkd in one command, for a GPU machine that may have no network.
#
#   tools/analysis_tools/gpu_bench.sh fetch [WHEELS] [--mdistiller PATH]
#       On a machine WITH network (the checkout's own .venv or any pip): downloads into WHEELS (default .whl/, keep
#       it out of git: `echo /.whl/ >> .git/info/exclude`) the Python 3.12 wheels of the OpenMMLab stack that a
#       PyTorch image lacks, the mmcv 2.1.0 sdist, MMRazor 1.0.0 (its loss files, for the peer comparison) and
#       mdistiller's two loss files (a clone of megvii-research/mdistiller, or PATH to one). Never commit them.
#
#   tools/analysis_tools/gpu_bench.sh run [WHEELS] [OUT]
#       On the GPU machine (python3 with a CUDA PyTorch; tested for Python 3.12, torch 2.11): installs the wheels
#       into a private folder, compiles mmcv with its CUDA ops (MMCV_CUDA_BUILD_S seconds at most, default 330; if
#       that does not finish, a build with CPU ops compiled alongside is used and mmdet's focal loss runs its
#       pure-PyTorch form: the step table then says so), runs the CUDA tests, the loss table (mmkd's losses and the
#       peers' on the same inputs) and the training-step table at mmdet's default 2 x 1333 x 800 in fp32 and under
#       bf16 autocast. Everything goes to OUT (default gpu_bench_out/): gpu_tests.log, gpu_losses.md,
#       gpu_step.md, mmcv_build.log, env.txt. Sized to finish in about 10 minutes on one H100/H200.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

MODE="${1:-}"
WHEELS="${2:-.whl}"
PY_TAG_ARGS=(--only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
             --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
             --platform manylinux1_x86_64 --platform any)
# What a PyTorch image lacks of mmkd's stack (the versions of requirements/constraints.txt); numpy, scipy, opencv,
# matplotlib, safetensors, pillow, triton, pytest come with such images.
STACK=(mmengine==0.10.7 mmdet==3.3.0 pycocotools==2.0.11 shapely==2.2.0 terminaltables==3.1.10 addict==2.4.0
       yapf==0.43.0 platformdirs==4.14.9 termcolor==3.3.0 setuptools==81.0.0 mmrazor==1.0.0)
CONFIGS=(configs/kd/kd_retinanet-r50_retinanet-mv2_fpn_1x_coco.py
         configs/pld/pld_retinanet-r50_retinanet-mv2_fpn_1x_coco.py
         configs/rkkd/kd-rkkd_retinanet-r50_retinanet-mv2_fpn_1x_coco.py)

fetch() {
  local mdistiller=""
  shift 2 || true
  while [ $# -gt 0 ]; do
    case "$1" in --mdistiller) mdistiller="$2"; shift 2 ;; *) echo "unknown option $1" >&2; exit 2 ;; esac
  done
  mkdir -p "$WHEELS"
  PY="${PYTHON:-.venv/bin/python}"
  [ -x "$PY" ] || PY=python3
  "$PY" -m pip download -q --no-deps "${PY_TAG_ARGS[@]}" -d "$WHEELS" "${STACK[@]}"
  # the sdist's metadata step needs setuptools < 82 (pkg_resources): the checkout's .venv has it
  "$PY" -m pip download -q --no-deps --no-binary=:all: --no-build-isolation -d "$WHEELS" mmcv==2.1.0
  mkdir -p "$WHEELS/mdistiller/mdistiller/distillers"
  if [ -n "$mdistiller" ]; then
    cp "$mdistiller"/mdistiller/distillers/{KD,DKD}.py "$WHEELS/mdistiller/mdistiller/distillers/"
  else
    local tmp
    tmp="$(mktemp -d)"
    git clone -q --depth 1 https://github.com/megvii-research/mdistiller "$tmp/mdistiller"
    cp "$tmp"/mdistiller/mdistiller/distillers/{KD,DKD}.py "$WHEELS/mdistiller/mdistiller/distillers/"
    rm -rf "$tmp"
  fi
  echo "[gpu_bench] fetched into $WHEELS: $(ls "$WHEELS" | tr '\n' ' ')"
}

run() {
  local out="${3:-gpu_bench_out}" site=/tmp/mmkd_site start
  start=$(date +%s)
  mkdir -p "$out"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
    "$WHEELS"/*.whl
  export PYTHONPATH="$site:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
  # mmcv 2.1.0 with its CUDA ops, and a CPU-ops build beside it in case the CUDA one does not finish in time
  rm -rf /tmp/mmcv_src && mkdir -p /tmp/mmcv_src && tar xzf "$WHEELS"/mmcv-2.1.0.tar.gz -C /tmp/mmcv_src
  cp -r /tmp/mmcv_src/mmcv-2.1.0 /tmp/mmcv_src/cpu
  local jobs
  jobs=$(nproc)
  (cd /tmp/mmcv_src/mmcv-2.1.0 && MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" \
     MAX_JOBS=$((jobs > 4 ? jobs - 2 : jobs)) timeout "${MMCV_CUDA_BUILD_S:-330}" python3 -m pip install -q \
     --no-build-isolation --no-deps --no-cache-dir --target /tmp/mmcv_cuda . > "$PWD/$out/mmcv_build.log" 2>&1) &
  local cuda_build=$!
  (cd /tmp/mmcv_src/cpu && CUDA_VISIBLE_DEVICES="" MMCV_WITH_OPS=1 MAX_JOBS=2 python3 -m pip install -q \
     --no-build-isolation --no-deps --no-cache-dir --target /tmp/mmcv_cpu . > "$PWD/$out/mmcv_cpu_build.log" 2>&1) &
  local cpu_build=$!
  local build="CUDA ops"
  if wait "$cuda_build"; then
    export PYTHONPATH="/tmp/mmcv_cuda:$PYTHONPATH"
    kill "$cpu_build" 2>/dev/null || true
  else
    wait "$cpu_build"
    export PYTHONPATH="/tmp/mmcv_cpu:$PYTHONPATH" MMKD_PY_FOCAL_LOSS=1
    build="CPU ops (the CUDA build did not finish in ${MMCV_CUDA_BUILD_S:-330} s); mmdet's pure-PyTorch focal loss"
  fi
  echo "mmcv built in $(( $(date +%s) - start )) s with $build" | tee "$out/env.txt"
  python3 - >> "$out/env.txt" <<'EOF'
import torch, mmcv, mmdet, mmengine
print(f'torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}; mmcv {mmcv.__version__}, '
      f'mmdet {mmdet.__version__}, mmengine {mmengine.__version__}')
EOF
  # CUDA tests: every test that needs a GPU, and the losses' CUDA paths
  python3 -m pytest -q -p no:cacheprovider tests/test_distillers/test_no_host_sync.py tests/test_ops \
    -k "cuda or triton" 2>&1 | tee "$out/gpu_tests.log" | tail -3 || true
  # the loss table, mmkd's losses and the peers' code on the same inputs
  python3 tools/analysis_tools/benchmark_losses.py --device cuda --sizes 50000x80 8192x80 256x1000 1024x1000 \
    --reps 20 --peers mmrazor="$site" mdistiller="$WHEELS/mdistiller" 2>&1 | tee "$out/gpu_losses.md"
  # the training step at mmdet's default size, fp32 and bf16 autocast
  {
    echo "mmcv: $build"
    python3 tools/analysis_tools/benchmark_step.py "${CONFIGS[@]}" --device cuda --batch 2 --size 800 1333 --iters 20
    python3 tools/analysis_tools/benchmark_step.py "${CONFIGS[@]}" --device cuda --batch 2 --size 800 1333 --iters 20 \
      --amp bf16 | tail -n +3
  } 2>&1 | tee "$out/gpu_step.md"
  echo "[gpu_bench] done in $(( $(date +%s) - start )) s; results in $out"
}

case "$MODE" in
  fetch) fetch "$@" ;;
  run) run "$@" ;;
  *) sed -n '2,19p' "$0"; exit 2 ;;
esac
