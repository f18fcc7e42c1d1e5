#!/usr/bin/env bash
# Prints the markdown table of docs/schedules.md ("auto against every fixed
# kind"): dualpipe-plan --json on each cost profile of issue 14 (equal stages
# or first and last stage twice as heavy; F:B:W 1:2:1 or 1:1.5:0.5), ranks
# 2, 3, 4, 8 and 16, micro-batches 2 x ranks, without a budget, with
# max-activations = ranks (1F1B's count of stage activations) and with
# act=1GiB per chunk under max-activation-bytes = ranks GiB (1F1B's bytes: a
# kind with two stages per rank holds half a chunk's bytes per activation);
# on 2 ranks heavy-ends is equal stages twice as heavy, and its label says
# so. A cell is the kind's makespan, "over" if it exceeds the budget, "-" if
# the kind does not apply.
#   bench/auto-table.sh [BUILD_DIR]
set -euo pipefail
BIN=${1:-build}/bin
kinds="dualpipe dualpipev 1f1b interleaved-1f1b zb-h1 zbv gpipe auto"
echo "| profile | ranks | budget | ${kinds// / | } | auto vs best fixed |"
echo "|---|---|---|$(for _ in $kinds; do printf -- '---|'; done)---|"
for ratio in "1,2,1" "1,1.5,0.5"; do
  IFS=, read -r f b w <<<"$ratio"
  for shape in equal heavy-ends; do
    for ranks in 2 3 4 8 16; do
      last=$((ranks - 1))
      cost="f=$f,b=$b,w=$w"
      if [[ $shape == heavy-ends ]]; then
        for s in 0 $last; do
          cost+=$(awk -v f="$f" -v b="$b" -v w="$w" -v s="$s" \
            'BEGIN { printf ",f@%d=%g,b@%d=%g,w@%d=%g", s, 2*f, s, 2*b, s, 2*w }')
        done
      fi
      label="$shape $ratio"
      # Both chunks are the ends: equal stages, each twice as heavy.
      [[ $shape == heavy-ends && $ranks == 2 ]] && label+=" (= equal x 2)"
      for budget in none "$ranks" "${ranks}GiB"; do
        args=(--ranks "$ranks" --microbatches $((2 * ranks)) --json)
        case $budget in
        none) args+=(--cost "$cost") ;;
        *GiB) args+=(--cost "$cost,act=1GiB" --max-activation-bytes "$budget") ;;
        *) args+=(--cost "$cost" --max-activations "$budget") ;;
        esac
        "$BIN/dualpipe-plan" "${args[@]}" | /usr/bin/python3 -c '
import json, sys
plan = json.load(sys.stdin)
label, ranks, budget, kinds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
cells = {c["kind"]: c for c in plan["candidates"]}
row = [label, ranks, budget]
for kind in kinds:
    c = cells.get(kind)
    row.append("-" if c is None else ("%g" % c["makespan"]) + ("" if c["fits"] else " over"))
fixed = [c["makespan"] for k, c in cells.items() if k != "auto" and c["fits"]]
auto = cells.get("auto")
if auto and auto["fits"] and fixed:
    best = min(fixed)
    row.append("%g vs %g (%s)" % (auto["makespan"], best,
               "better" if auto["makespan"] < best else "equal" if auto["makespan"] == best else "WORSE"))
else:
    row.append("n/a")
print("| " + " | ".join(row) + " |")
' "$label" "$ranks" "$budget" "$kinds"
      done
    done
  done
done
