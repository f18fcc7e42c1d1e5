#!/usr/bin/env bash
# Starts WORLD_SIZE dualpipe-run processes the way torchrun does: each with
# RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in its environment. Rank 0's
# output goes to stdout; the status is the first non-zero rank status.
#   launch-env.sh WORLD_SIZE MASTER_ADDR dualpipe-run args...
set -uo pipefail
world=$1 master=$2
shift 2
port=$((20000 + RANDOM % 20000))
pids=()
for ((rank = 0; rank < world; ++rank)); do
  if ((rank == 0)); then
    RANK=$rank WORLD_SIZE=$world MASTER_ADDR=$master MASTER_PORT=$port "$@" &
  else
    RANK=$rank WORLD_SIZE=$world MASTER_ADDR=$master MASTER_PORT=$port "$@" >/dev/null &
  fi
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || { s=$?; ((status == 0)) && status=$s; }
done
exit $status
