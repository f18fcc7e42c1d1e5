#!/usr/bin/env bash
# Trains the byte-level GPT of examples/gpt.mlir under one schedule kind on
# the corpus of scripts/make-corpus.py and judges it: GPT_STEPS steps
# (default 60) with --check, evaluated on val.bin every GPT_EVAL_EVERY steps
# (default 20, and before the first and after the last), each loss printed
# also in bits per byte (nats / ln 2). Fails unless the run passes --check
# and the last validation loss is below the corpus's unigram entropy.
# make demo (scripts/demo.sh) and test/Runtime/gpt-kinds-*.test run it, so
# both hold the same budget to the same bar.
#
#   train-gpt.sh KIND CORPUS OUT [BIN]
#
# KIND: a schedule kind (the pass option kind=); CORPUS: make-corpus.py's
# output directory (train.bin, val.bin) and its printed lines in
# CORPUS/corpus.log; OUT: where gpt-KIND.program.json and gpt-KIND.log go;
# BIN: the directory of the dualpipe tools (default: the ones on PATH).
set -euo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 KIND CORPUS OUT [BIN]" >&2
  exit 2
fi
KIND=$1
CORPUS=$2
OUT=$3
TOOLS=${4:+$4/}
SPEC=$(dirname "$0")/../examples/gpt.mlir
GPT_STEPS=${GPT_STEPS:-60}
GPT_EVAL_EVERY=${GPT_EVAL_EVERY:-20}
ENTROPY=$(awk '/^unigram entropy:/ { print $3 }' "$CORPUS/corpus.log" 2>/dev/null || true)
if [ -z "$ENTROPY" ]; then
  echo "$CORPUS/corpus.log: no 'unigram entropy:' line (run scripts/make-corpus.py)" >&2
  exit 2
fi
mkdir -p "$OUT"
PROGRAM=$OUT/gpt-$KIND.program.json
LOG=$OUT/gpt-$KIND.log
"${TOOLS}dualpipe-opt" "$SPEC" --pipe-lower="kind=$KIND" |
  "${TOOLS}dualpipe-translate" --pipe-to-program -o "$PROGRAM"
"${TOOLS}dualpipe-run" "$PROGRAM" --data "$CORPUS/train.bin" \
  --val-data "$CORPUS/val.bin" --data-format bytes --steps "$GPT_STEPS" \
  --eval-every "$GPT_EVAL_EVERY" --check |
  awk '/^step [0-9]+: loss/ { printf "%s (%.3f bits/byte)\n", $0, $4 / log(2); fflush(); next }
       /^eval step [0-9]+: val loss/ { printf "%s (%.3f bits/byte)\n", $0, $6 / log(2); fflush(); next }
       { print; fflush() }' |
  tee "$LOG"
awk -v entropy="$ENTROPY" '/^eval step [0-9]+: val loss/ { step = $3; sub(/:/, "", step); val = $6 / log(2); ++n }
     END { if (n == 0) { print "no evaluation ran"; exit 1 }
           if (!(val < entropy)) { printf "the validation loss after step %s is %.3f bits/byte, not below the unigram entropy %.3f\n", step, val, entropy; exit 1 }
           printf "the validation loss after step %s is %.3f bits/byte, below the unigram entropy %.3f bits/byte\n", step, val, entropy }' \
  "$LOG"
