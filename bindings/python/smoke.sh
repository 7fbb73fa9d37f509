#!/usr/bin/env bash
# `make test`'s pyzmq smoke test: builds pyzmq against ferrozmq if needed
# (bindings/python/build.sh ours), then runs smoke.py with it. The last line
# of the output is "N passed, M failed"; the exit status is smoke.py's.
#
# Usage: bindings/python/smoke.sh            against ferrozmq (build/lib)
#        bindings/python/smoke.sh --debian   the same checks against Debian's
#                                            libzmq, which checks the checks
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/bindings/python
mkdir -p "$OUT/logs"

kind=ours; args=()
if [ "${1:-}" = --debian ]; then
    kind=debian
    lib=$(ls /usr/lib/*/libzmq.so.5 | head -1)
    args=(--expect-version "$(pkg-config --modversion libzmq)" --expect-lib "$lib")
fi
# The build's own output goes to a log, so that the last line stays ours.
if ! "$HERE/build.sh" "$kind" >"$OUT/logs/smoke-build.log" 2>&1; then
    cat "$OUT/logs/smoke-build.log"
    echo "FAIL build: bindings/python/build.sh $kind failed"
    echo "0 passed, 1 failed"
    exit 1
fi
cd /tmp
exec env -u LD_LIBRARY_PATH -u LD_PRELOAD timeout -k 5 60 \
    "$OUT/venv-$kind/bin/python" "$HERE/smoke.py" "${args[@]}"
