#!/bin/bash
# Usage: scripts/gpu-check.sh [BUNDLE] [OUT]
# One command for a GPU machine (docs/gpu.md): checks that CUDA is usable,
# builds the runtime on its own (cmake -S runtime) against the PyTorch
# installation's LibTorch and NCCL, runs the runtime tests (the GPU ones
# included: they must not skip), DualPipe 8x20 on threads with --device cuda
# --check, NCCL across the GPUs where there are several, and the GPU
# benchmarks (dualpipe-gpu-bench). Writes every figure to OUT (default
# gpu-check.txt); the "figure" lines are the benchmark results. BUNDLE
# (default build/gpu-bundle) comes from `make gpu-bundle`. Exits non-zero,
# naming the step, on any failure. Budget: under 8 minutes on one H200.
set -uo pipefail
bundle=$(realpath "${1:-build/gpu-bundle}")
out=$(realpath -m "${2:-gpu-check.txt}")
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-gpu
fail() { echo "gpu-check: error: $*" | tee -a "$out" >&2; exit 1; }
step() { echo "== $* ($(date -u +%T))" >> "$out"; }
: > "$out"
[ -d "$bundle/programs" ] || fail "no bundle at $bundle (run 'make gpu-bundle' where MLIR is)"
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) ||
  fail "python3 cannot import torch (PyTorch with CUDA is needed)"
python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  fail "torch.cuda.is_available() is false: no usable CUDA device"
gpus=$(python3 -c 'import torch; print(torch.cuda.device_count())')
# The libnccl that torch loads (a wheel's nvidia/nccl); CMake falls back to
# the CUDA toolkit's when there is none.
nccl=$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)
{
  echo "gpu-check $(date -u +%FT%TZ)"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "nccl", torch.cuda.nccl.version(), "devices", [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])'
} >> "$out"
step configure
cmake -S "$root/runtime" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix;$bundle/deps/prefix" ${nccl:+-DNCCL_ROOT="$nccl"} \
  -DDUALPIPE_GTEST_SOURCE_DIR="$bundle/deps/googletest" >> "$out" 2>&1 ||
  fail "configuring the runtime failed (see $out)"
grep -q "LibTorch has CUDA" "$out" || fail "the LibTorch at $prefix has no CUDA"
step build
cmake --build "$build" >> "$out" 2>&1 || fail "building the runtime failed (see $out)"
step tests
"$build/bin/DualPipeRuntimeTests" >> "$out" 2>&1 || fail "runtime tests failed (see $out)"
grep -q "skipped: no GPU" "$out" && fail "GPU tests skipped on a machine with a GPU"
run=$build/bin/dualpipe-run
step "DualPipe 8x20, threads, cuda, --check"
for model in mlp transformer transformer-bf16; do
  "$run" "$bundle/programs/$model-dualpipe-8x20.json" --device cuda --check --steps 2 \
    >> "$out" 2>&1 || fail "$model DualPipe 8x20 on threads with cuda failed --check (see $out)"
done
if [ "$gpus" -ge 8 ]; then
  step "nccl, 8 ranks"
  "$run" "$bundle/programs/mlp-dualpipe-8x20-in-order.json" --spawn --backend nccl \
    --device cuda --check --steps 2 >> "$out" 2>&1 || fail "nccl over 8 GPUs failed (see $out)"
elif [ "$gpus" -ge 2 ]; then
  step "nccl, 2 ranks"
  for kind in 1f1b dualpipe; do
    "$run" "$bundle/programs/mlp-$kind-2x4-in-order.json" --spawn --backend nccl \
      --device cuda --check --steps 2 >> "$out" 2>&1 || fail "nccl $kind over 2 GPUs failed (see $out)"
  done
else
  echo "gpu-check: one GPU: nccl ran only as one rank sending to itself (the Nccl tests)" >> "$out"
fi
step benchmarks
"$build/bin/dualpipe-gpu-bench" > "$build/figures.txt" 2>> "$out" ||
  fail "dualpipe-gpu-bench failed (see $out)"
sed 's/^/figure /' "$build/figures.txt" >> "$out"
step done
echo "gpu-check: ok ($out)"
