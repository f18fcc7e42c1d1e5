#!/usr/bin/env bash
# Runs each libFuzzer target of fuzz/ for SECONDS (default 600) from seed
# corpora made of the test inputs, and prints runs and time per target.
# Findings (crash-*, leak-*, timeout-*, oom-*) land in FUZZ_DIR/findings and
# fail the script.
#   scripts/fuzz.sh FUZZ_DIR BUILD_DIR [SECONDS [TARGET...]]
# TARGETs are mlir, torch-csv and program (default: all three).
# BUILD_DIR's dualpipe-opt and dualpipe-translate make the program-file
# seeds.
set -uo pipefail
fuzz=$1 build=$2 seconds=${3:-600}
targets=("${@:4}")
((${#targets[@]})) || targets=(mlir torch-csv program)
src=$(cd "$(dirname "$0")/.." && pwd)
seeds="$fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds/mlir" "$seeds/torch-csv" "$seeds/program" "$fuzz/findings"

i=0
for f in "$src"/examples/*.mlir "$src"/test/Transforms/*.mlir \
  "$src"/test/Transforms/*/*.mlir "$src"/test/Dialect/*/*.mlir; do
  [[ -f $f ]] && cp "$f" "$seeds/mlir/$((i++)).mlir"
done
for f in "$src"/test/Golden/*.csv "$src"/test/Target/Inputs/*.csv; do
  [[ -f $f ]] && cp "$f" "$seeds/torch-csv/$((i++)).csv"
done
for kind in dualpipe dualpipev 1f1b gpipe zb-h1 zbv interleaved-1f1b; do
  "$build/bin/dualpipe-opt" "$src/examples/mlp.mlir" \
    --pipe-lower="kind=$kind ranks=4 microbatches=8" 2>/dev/null |
    "$build/bin/dualpipe-translate" --pipe-to-program \
      -o "$seeds/program/$kind.json" 2>/dev/null || rm -f "$seeds/program/$kind.json"
done

# LLVM's BumpPtrAllocator poisons its free slab space when the code that
# inlines it is built with ASan (ours) and not when it is not (libMLIR.so):
# an attribute our code creates leaves a slab poisoned that libMLIR.so then
# allocates from without unpoisoning it, a use-after-poison in MLIR's own
# parser on valid input (test/Dialect/Pipe/ops.mlir). No code of this
# project poisons memory itself, so user poisoning is off.
export ASAN_OPTIONS="allow_user_poisoning=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

status=0
for target in "${targets[@]}"; do
  corpus="$fuzz/corpus/$target"
  mkdir -p "$corpus"
  log="$fuzz/findings/$target.log"
  # 2.5 GB: within the documented bounds every tool stays below 2 GB.
  "$fuzz/bin/fuzz-$target" -max_total_time="$seconds" -timeout=60 \
    -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$fuzz/findings/$target-" "$corpus" "$seeds/$target" \
    >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  if ((rc != 0)); then
    echo "fuzz-$target: FINDING (status $rc), see $log:"
    grep -E '^==[0-9]+==ERROR|SUMMARY|Test unit written' "$log" | head -5
    status=1
  else
    echo "fuzz-$target: ${runs:-?} runs in ${took:-$seconds} s, no finding"
  fi
done
exit $status
