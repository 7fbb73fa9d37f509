#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a fresh machine, once.
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
# nftables, iproute2: faults/run.sh's partitions and loss (ip netns, nft).
for pkg in libzmq3-dev libzmq5 pkg-config binutils g++ python3 nftables iproute2; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
    echo "deps: installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
