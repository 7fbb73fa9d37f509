#!/usr/bin/env bash
# Our zmq.h defines no macro that libzmq's does not: an internal constant
# leaking into the header would collide with names in user programs.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-/usr/include/zmq.h}
# Besides the reference's macros, the draft names libzmq 4.3.5 added to its
# ZMQ_BUILD_DRAFT_API block (Debian's 4.3.4 header predates them).
allowed=$(cat <(grep -o '#define [A-Za-z_0-9]*' "$ref") \
              <(sed 's/^/#define /' scripts/zmq-4.3.5-draft-macros.txt) | sort -u)
extra=$(comm -23 <(grep -o '#define [A-Za-z_0-9]*' include/zmq.h | sort -u) <(echo "$allowed"))
if [ -n "$extra" ]; then
    echo "include/zmq.h defines macros $ref does not:"; echo "$extra"; exit 1
fi
echo "no extra macros in include/zmq.h ($(grep -c '#define' include/zmq.h) defines)"
