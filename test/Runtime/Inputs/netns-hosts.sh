#!/usr/bin/env bash
# Runs WORLD ranks of a dualpipe-run command over Gloo on HOSTS network
# namespaces, each a host with one veth link to a shared bridge: rank r on
# host r % HOSTS, MASTER_ADDR on host 0, GLOO_SOCKET_IFNAME=eth0.
#   netns-hosts.sh HOSTS WORLD WORKDIR DOWN dualpipe-run args...
# DOWN = -1: prints rank 0's stdout; the status is the first non-zero rank
# status. DOWN = h: once rank 0 reports step 2, host h's link goes down;
# every rank must then exit non-zero within LIMIT seconds (env, default 30).
# Prints each rank's stderr and one verdict line per rank.
set -uo pipefail
hosts=$1 world=$2 workdir=$3 down=$4
shift 4
limit=${LIMIT:-30}
prefix="dp$$"
mkdir -p "$workdir"

cleanup() {
  for ((h = 0; h < hosts; ++h)); do ip netns del "$prefix-h$h" 2>/dev/null; done
  ip netns del "$prefix-sw" 2>/dev/null
}
trap cleanup EXIT

ip netns add "$prefix-sw" || exit 1
ip -n "$prefix-sw" link add br0 type bridge
ip -n "$prefix-sw" link set br0 up
for ((h = 0; h < hosts; ++h)); do
  ns="$prefix-h$h"
  ip netns add "$ns" || exit 1
  ip link add eth0 netns "$ns" type veth peer name "p$h" netns "$prefix-sw"
  ip -n "$prefix-sw" link set "p$h" master br0 up
  ip -n "$ns" addr add "10.77.0.$((h + 1))/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

pids=()
for ((rank = 0; rank < world; ++rank)); do
  ip netns exec "$prefix-h$((rank % hosts))" env RANK=$rank WORLD_SIZE=$world \
    MASTER_ADDR=10.77.0.1 MASTER_PORT=29500 GLOO_SOCKET_IFNAME=eth0 "$@" \
    >"$workdir/rank$rank.out" 2>"$workdir/rank$rank.err" &
  pids+=($!)
done

if ((down < 0)); then
  status=0
  for pid in "${pids[@]}"; do
    wait "$pid" || { s=$?; ((status == 0)) && status=$s; }
  done
  cat "$workdir/rank0.out"
  for ((rank = 0; rank < world; ++rank)); do cat "$workdir/rank$rank.err" >&2; done
  exit $status
fi

for ((i = 0; i < 1200; ++i)); do
  grep -q '^step 2:' "$workdir/rank0.out" 2>/dev/null && break
  sleep 0.1
done
if ! grep -q '^step 2:' "$workdir/rank0.out"; then
  echo "netns-hosts: rank 0 never reported step 2"
  kill "${pids[@]}" 2>/dev/null
  exit 1
fi
ip -n "$prefix-h$down" link set eth0 down
start=$SECONDS
failed=0
for ((rank = 0; rank < world; ++rank)); do
  pid=${pids[$rank]}
  while kill -0 "$pid" 2>/dev/null && ((SECONDS - start <= limit)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "rank $rank: still running $limit s after the link went down"
    kill -9 "$pid"
    failed=1
    continue
  fi
  wait "$pid"
  s=$?
  if ((s == 0)); then
    echo "rank $rank: exited 0 after losing host $down"
    failed=1
  else
    echo "rank $rank: stopped with status $s within $limit s"
  fi
done
for ((rank = 0; rank < world; ++rank)); do cat "$workdir/rank$rank.err"; done
exit $failed
