#!/usr/bin/env bash
# Installs every build and test dependency from Debian's archive. Idempotent: when all
# packages are already present it returns without touching apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libtorch-dev libgloo-dev python3-torch
  libopenmpi-dev openmpi-bin
  nlohmann-json3-dev pybind11-dev python3-dev python3-pytest
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium
  strace iproute2
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
