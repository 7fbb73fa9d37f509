#!/usr/bin/env bash
# `make test`: every suite, one summary. Each suite prints its own lines; the
# last line is the total over all suites, "N passed, N failed".
# Expects `make stage` to have run (the Makefile does that first).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIB=$ROOT/build/lib
OUT=$ROOT/build/test-out
mkdir -p "$OUT"

passed=0; failed=0; failures=()
add() { passed=$((passed + $1)); failed=$((failed + $2)); }
# step NAME CMD...: a check that counts as one test.
step() {
    local name=$1; shift
    if "$@" >"$OUT/$name.log" 2>&1; then
        echo "PASS $name"; add 1 0
    else
        echo "FAIL $name"; sed 's/^/    /' "$OUT/$name.log" | tail -40; add 0 1; failures+=("$name")
    fi
}
# counted NAME REGEX CMD...: a suite that reports its own counts.
counted() {
    local name=$1 kind=$2; shift 2
    "$@" >"$OUT/$name.log" 2>&1; local rc=$?
    local p=0 f=0 line
    if [ "$kind" = cargo ]; then
        while read -r line; do
            p=$((p + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
            f=$((f + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
        done < <(grep -E '^test result:' "$OUT/$name.log")
    else
        line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/$name.log" | tail -1)
        p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"${line:-0 passed}")
        f=$(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"${line:-, 1 failed}")
    fi
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$f" -eq 0 ]; then
        echo "PASS $name ($p passed)"
    else
        echo "FAIL $name ($p passed, $f failed)"; grep -E 'FAIL|panicked|error' "$OUT/$name.log" | head -40 | sed 's/^/    /'
        failures+=("$name")
    fi
    add "$p" "$f"
}

echo "== ferrozmq tests =="
step header-in-sync cmp include/zmq.h target/release/zmq.h
step rustfmt cargo fmt --all -- --check
step clippy cargo clippy --release --all-targets --locked -- -D warnings
counted rust-unit cargo cargo test --release --locked --lib
# Every fuzz target on its captured seeds, past crashes and ~2 s of random
# mutations (make fuzz-smoke; libFuzzer runs are in fuzz/README.md).
counted fuzz-smoke cargo cargo test --release --locked --test fuzz_smoke
counted capi-tests plain bash capi-tests/run.sh --include "$ROOT/include" --libdir "$LIB" --out "$ROOT/build/capi-tests"
# The same C tests against Debian's libzmq (all but ferro_*/draft_*): they
# pin libzmq's behaviour, so a test that only passes against us is caught.
counted capi-tests-libzmq plain bash capi-tests/run.sh --libzmq-reference --include /usr/include \
    --libdir "$(dirname "$(${CC:-cc} -print-file-name=libzmq.so)")" --out "$ROOT/build/capi-tests-libzmq"
# Every zmq.h function called with NULLs, dead and foreign handles, bad
# lengths and option ids, on ours and on Debian's libzmq (capi-tests/sweep):
# ours never crashes or hangs, and answers as libzmq wherever libzmq returns
# (allow.txt: the deliberate differences); the draft functions on ours alone
# (no crash, no hang). Counted per function.
counted api-sweep plain bash capi-tests/sweep/run.sh --ours "$LIB" --out "$ROOT/build/sweep"
counted interop plain bash interop/run.sh --ours "$LIB"
# Fault injection (peer SIGKILL, partitions and 10 % loss with nft in private
# network namespaces, half-open paths and stalls through a relay), each
# scenario on ours and on Debian's libzmq (~40 s). Without root/netns the nft
# scenarios are skipped, not failed.
counted faults plain bash faults/run.sh --ours "$LIB"
# Existing bindings on our library (and, to show the tests pin libzmq's
# behaviour, on Debian's): LuaJIT's FFI module.
counted lua-binding plain bash bindings/lua/run.sh --libdir "$LIB" --reference
# czmq (zsock, zpoller, zloop, zactor, zproxy, zmonitor, zauth) and cppzmq
# (socket_t, multipart, monitor_t, poll, poller_t) programs, Debian's builds
# of those libraries running on ours (LD_LIBRARY_PATH) and on libzmq.
counted czmq-binding plain bash bindings/c/run.sh --ours "$LIB" --both
counted cppzmq-binding plain bash bindings/cpp/run.sh --ours "$LIB" --both
# pyzmq built from its sdist against build/ (~20 s the first time), a smoke
# test of it, and the classic examples on it; `make test-bindings` runs
# pyzmq's whole suite.
counted pyzmq-smoke plain bash bindings/python/smoke.sh
counted python-examples plain bash examples/python/run-all.sh
# A ZAP handler that answers before the session looks (pyzmq found the race).
step zap-fast-handler bash -c 'cc -O1 -I"$1/include" bindings/python/repro/zap_fast_handler.c \
    -L"$2" -Wl,-rpath,"$2" -lzmq -o "$3/zap_fast_handler" && "$3/zap_fast_handler" 100 null \
    && "$3/zap_fast_handler" 100 curve' _ "$ROOT" "$LIB" "$OUT"
step abi-header bash capi-tests/abi/check-header.sh "$ROOT/include"
step header-no-extra-macros bash scripts/check-no-extra-macros.sh
step abi-symbols bash capi-tests/abi/check-symbols.sh "$LIB/libzmq.so.5"
step packaging bash scripts/check-packaging.sh
step unmodified-binary-preload bash scripts/check-preload.sh

echo
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
