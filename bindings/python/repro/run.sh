#!/usr/bin/env bash
# The minimal reproductions behind bindings/python/README.md's differences,
# each run against ferrozmq (build/lib), Debian's libzmq 4.3.4, and (Python
# ones) the libzmq 4.3.5 bundled in PyPI's pyzmq wheel, when run-suite.sh has
# made venv-wheel. C programs are built into build/bindings/python/repro/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=$ROOT/build/bindings/python
BIN=$OUT/repro
mkdir -p "$BIN" "$OUT/logs"
"$ROOT/bindings/python/build.sh" >"$OUT/logs/repro-build.log" 2>&1 || { cat "$OUT/logs/repro-build.log"; exit 1; }

for src in zap_fast_handler zap_peer_address poll_eintr; do
    cc -std=gnu99 -O2 -o "$BIN/$src-ours" "$HERE/$src.c" -I"$ROOT/build/include" \
        -L"$ROOT/build/lib" -Wl,-rpath,"$ROOT/build/lib" -lzmq -lpthread
    cc -std=gnu99 -O2 -o "$BIN/$src-debian" "$HERE/$src.c" -lzmq -lpthread
done
run() { echo "\$ $*"; env -u LD_LIBRARY_PATH timeout -k 5 120 "$@" || echo "  (exit $?)"; }
for kind in ours debian; do
    echo "== $kind"
    run "$BIN/zap_fast_handler-$kind" 50 null
    run "$BIN/zap_fast_handler-$kind" 50 curve
    run "$BIN/zap_peer_address-$kind"
    run "$BIN/poll_eintr-$kind"
done
for kind in ours debian wheel; do
    [ -x "$OUT/venv-$kind/bin/python" ] || continue
    echo "== $kind (python)"
    (cd /tmp && run "$OUT/venv-$kind/bin/python" "$HERE/denied_send.py"
        run "$OUT/venv-$kind/bin/python" "$HERE/late_subscription.py" 30
        run "$OUT/venv-$kind/bin/python" "$HERE/blank_root_topic.py" 10)
done
