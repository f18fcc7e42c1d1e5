#!/usr/bin/env bash
# Runs every benchmark and prints medians: the Google Benchmark binaries
# (bin/bench-*, 5 repetitions each) and the MLIR pass pipeline
# `dualpipe-opt --pipe-lower` on DualPipe 64 x 1024 (5 runs, --mlir-timing).
# These machines are noisy: compare medians and ratios, not single runs.
#   scripts/bench.sh [BUILD_DIR] [benchmark filter regex]
set -euo pipefail
BUILD=${1:-build}
FILTER=${2:-.}
BIN=$BUILD/bin

for bench in "$BIN"/bench-*; do
  [[ -x "$bench" ]] || continue
  printf '\n== %s\n' "$(basename "$bench")"
  "$bench" --benchmark_filter="$FILTER" --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true 2>&1 | { grep -E '(Benchmark|_median)' || true; }
done

printf '\n== dualpipe-opt --pipe-lower, DualPipe 64 ranks x 1024 micro-batches (5 runs)\n'
runs=()
for _ in 1 2 3 4 5; do
  runs+=("$(echo | "$BIN/dualpipe-opt" - \
    --pipe-lower="kind=dualpipe ranks=64 microbatches=1024" -o /dev/null \
    --mlir-timing 2>&1 |
    awk '/Pipe[A-Za-z]+$/ { passes += $1 } /Output$/ { out = $1 }
         END { printf "%.3f %.3f", passes, out }')")
done
printf '%s\n' "${runs[@]}" | sort -n | awk '
  { passes[NR] = $1; out[NR] = $2 }
  END { m = int((NR + 1) / 2)
        printf "passes (parse excluded): median %.3f s (min %.3f, max %.3f)\n", passes[m], passes[1], passes[NR]
        printf "printing the level-3 IR: %.3f s in the median run\n", out[m] }'
