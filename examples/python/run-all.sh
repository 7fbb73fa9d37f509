#!/usr/bin/env bash
# Runs every pyzmq example here on ferrozmq, each with a time limit, for
# `make demo`. Builds pyzmq against build/lib first if needed
# (bindings/python/build.sh ours). Last line: "N passed, M failed".
#
# Usage: examples/python/run-all.sh [--debian] [example.py ...]
#        --debian   the same programs on Debian's libzmq (for comparison)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/bindings/python
LIMIT=${EXAMPLE_TIMEOUT:-30}

kind=ours
if [ "${1:-}" = --debian ]; then kind=debian; shift; fi
mkdir -p "$OUT/logs"
"$ROOT/bindings/python/build.sh" "$kind" >"$OUT/logs/examples-build.log" 2>&1 \
    || { cat "$OUT/logs/examples-build.log"; echo "0 passed, 1 failed"; exit 1; }
grep -E "^build.sh: $kind:" "$OUT/logs/examples-build.log" || true
PY=$OUT/venv-$kind/bin/python

if [ $# -gt 0 ]; then EXAMPLES=("$@"); else
    EXAMPLES=(echo_lb.py pubsub.py pipeline.py pair.py device_queue.py device_forwarder.py device_streamer.py)
fi
passed=0; failed=0
for ex in "${EXAMPLES[@]}"; do
    echo "== $ex"
    t0=$SECONDS
    rc=0
    (cd /tmp && env -u LD_LIBRARY_PATH -u LD_PRELOAD timeout -k 5 "$LIMIT" "$PY" "$HERE/$ex") 2>&1 \
        | sed 's/^/   /' || rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ]; then
        echo "PASS $ex ($((SECONDS - t0)) s)"; passed=$((passed + 1))
    else
        [ "$rc" -eq 124 ] && why="timed out after $LIMIT s" || why="exit $rc"
        echo "FAIL $ex: $why"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
