#!/usr/bin/env bash
# Compiles SPEC for KIND at every rank count given (microbatches = 2 x ranks),
# then trains every program with dualpipe-run --check. Prints dualpipe-run's
# header and verdict for each size.
#   train-check.sh SPEC KIND WORKDIR "P..." [dualpipe-run options]
set -euo pipefail
spec=$1 kind=$2 workdir=$3 sizes=$4
shift 4
mkdir -p "$workdir"
programs=()
for ranks in $sizes; do
  program="$workdir/$kind-$ranks.json"
  dualpipe-opt "$spec" \
    --pipe-lower="kind=$kind ranks=$ranks microbatches=$((2 * ranks))" |
    dualpipe-translate --pipe-to-program -o "$program"
  programs+=("$program")
done
# One process for the whole sweep on threads (LibTorch starts once); one run
# per program otherwise. timeout turns a hang into a failure.
if [[ " $* " == *" --backend gloo "* || " $* " == *" --spawn "* ]]; then
  for program in "${programs[@]}"; do
    timeout 120 dualpipe-run "$program" --check --steps 2 --timeout 30 "$@"
  done
else
  timeout 300 dualpipe-run "${programs[@]}" --check --steps 2 --timeout 30 "$@"
fi | grep -E '^(dualpipe-run:|check:)'
