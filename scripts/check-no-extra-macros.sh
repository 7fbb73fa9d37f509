#!/usr/bin/env bash
# Our zmq.h defines no macro that libzmq's does not: an internal constant
# leaking into the header would collide with names in user programs.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-/usr/include/zmq.h}
extra=$(comm -23 <(grep -o '#define [A-Za-z_0-9]*' include/zmq.h | sort -u) \
                 <(grep -o '#define [A-Za-z_0-9]*' "$ref" | sort -u))
if [ -n "$extra" ]; then
    echo "include/zmq.h defines macros $ref does not:"; echo "$extra"; exit 1
fi
echo "no extra macros in include/zmq.h ($(grep -c '#define' include/zmq.h) defines)"
