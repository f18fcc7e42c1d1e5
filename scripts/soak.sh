#!/usr/bin/env bash
# Runs the runtime's unit tests RUNS times in a row (default 50) while a busy
# loop keeps one other core loaded, and stops at the first failure, whose
# output is kept. Flaky tests show here, not in CI.
#   scripts/soak.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=${1:-build} runs=${2:-50}
tests="$build/bin/DualPipeRuntimeTests"
[[ -x "$tests" ]] || { echo "soak: $tests not built (make build)" >&2; exit 1; }
log=$(mktemp)
( while :; do :; done ) &
load=$!
trap 'kill "$load" 2>/dev/null; rm -f "$log"' EXIT
start=$SECONDS
for ((i = 1; i <= runs; ++i)); do
  if ! "$tests" >"$log" 2>&1; then
    grep -E '^\[  FAILED  \]|Failure' "$log" | head -20
    echo "soak: run $i of $runs FAILED ($((SECONDS - start)) s); full output:"
    cat "$log"
    exit 1
  fi
done
echo "soak: $runs/$runs runs of $tests passed under load ($((SECONDS - start)) s)"
