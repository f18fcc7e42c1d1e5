#!/bin/bash
# Usage: scripts/gpu-check.sh [BUNDLE] [OUT]
# One command for a GPU machine (docs/gpu.md): checks that CUDA is usable,
# builds the runtime on its own (cmake -S runtime) against the PyTorch
# installation's LibTorch, runs the runtime tests (the GPU ones included:
# they skip only where there is no GPU) and a DualPipe 8x20 run on the
# threads backend with --check, and writes every figure to OUT (default
# gpu-check.txt). BUNDLE (default build/gpu-bundle) comes from
# `make gpu-bundle`. Exits non-zero, naming the step, on any failure.
set -uo pipefail
bundle=$(realpath "${1:-build/gpu-bundle}")
out=$(realpath -m "${2:-gpu-check.txt}")
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-gpu
fail() { echo "gpu-check: error: $*" | tee -a "$out" >&2; exit 1; }
: > "$out"
[ -d "$bundle/programs" ] || fail "no bundle at $bundle (run 'make gpu-bundle' where MLIR is)"
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) ||
  fail "python3 cannot import torch (PyTorch with CUDA is needed)"
python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  fail "torch.cuda.is_available() is false: no usable CUDA device"
{
  echo "gpu-check $(date -u +%FT%TZ)"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])'
} >> "$out"
cmake -S "$root/runtime" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix;$bundle/deps/prefix" \
  -DDUALPIPE_GTEST_SOURCE_DIR="$bundle/deps/googletest" >> "$out" 2>&1 ||
  fail "configuring the runtime failed (see $out)"
grep -q "LibTorch has CUDA" "$out" || fail "the LibTorch at $prefix has no CUDA"
cmake --build "$build" >> "$out" 2>&1 || fail "building the runtime failed (see $out)"
"$build/bin/DualPipeRuntimeTests" >> "$out" 2>&1 || fail "runtime tests failed (see $out)"
grep -q "skipped: no GPU" "$out" && fail "GPU tests skipped on a machine with a GPU"
"$build/bin/dualpipe-run" "$bundle/programs/mlp-dualpipe-8x20.json" --check --steps 2 \
  >> "$out" 2>&1 || fail "DualPipe 8x20 on threads failed --check (see $out)"
# Not measured yet (docs/gpu.md, "Status"): --device cuda runs, NCCL, the
# overlap efficiency, launch overhead and step-time figures.
echo "gpu-check: not measured: --device cuda, nccl, overlap efficiency, launch overhead, step vs simulator/sequential (docs/gpu.md)" >> "$out"
echo "gpu-check: ok ($out)"
