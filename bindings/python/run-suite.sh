#!/usr/bin/env bash
# Runs pyzmq's own test suite (tests/ from the sdist that build.sh built)
# with pytest + pytest-timeout, once against ferrozmq (venv-ours) and once
# against Debian's libzmq 4.3.4 (venv-debian), the same pyzmq both times;
# and, as a third reference, against the libzmq 4.3.5 that PyPI's binary
# wheel of the same pyzmq version bundles (venv-wheel), which tells a
# 4.3.4-vs-4.3.5 change from a ferrozmq difference. Writes into
# build/bindings/python/:
#   results-{ours,debian,wheel}.jsonl   one record per test
#   suite-results.txt     counts (passed/failed/error/skipped/...) and the
#                         tests that fail against ours but pass against Debian
#   suite-only-ours-fail.txt, suite-summary.json
#   logs/suite-{ours,debian}/*.log   pytest's own output, per test file
#   lib-snapshot/libzmq.so.5   the copy of build/lib/libzmq.so.5 the run used
#
# Usage: bindings/python/run-suite.sh [test_x.py ...]   (default: every file)
# Env:   TEST_TIMEOUT=60    per-test limit (pytest-timeout, thread method)
#        FILE_TIMEOUT=600   limit for one pytest process (one test file)
#        SUITE_TIMEOUT=2400 overall limit for each library's run
#        KINDS="ours debian wheel"
#        RECHECK=3          re-run each test that failed only against ours this
#                           many times more against both, alone (flaky or not)
#
# The run against ours loads a snapshot of build/lib/libzmq.so.5 (through
# LD_LIBRARY_PATH, which outranks the extension's RUNPATH): `make stage`
# rewrites build/lib/libzmq.so.5 in place, which crashes processes that have
# it mapped, and would mix two builds in one run.
#
# Each test file runs in its own pytest process. When a test hangs or kills
# the process, it is recorded as an error ("hung") and the rest of that file
# is run again without it, so one hang costs one test, not the run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/bindings/python
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
FILE_TIMEOUT=${FILE_TIMEOUT:-600}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-2400}
KINDS=${KINDS:-ours debian wheel}
RECHECK=${RECHECK:-3}
REPORT="python3 $HERE/suite_report.py"

"$HERE/build.sh" all
VERSION=$(cat "$OUT/pyzmq-version")
SRC=$OUT/src/pyzmq-$VERSION

# The tests run from a copy, away from the sdist's zmq/ source package, which
# would otherwise shadow the installed one.
SUITE=$OUT/suite
rm -rf "$SUITE"; mkdir -p "$SUITE"
cp -r "$SRC/tests" "$SRC/pytest.ini" "$SUITE/"

# The reference wheel: PyPI's own build of the same pyzmq, libzmq 4.3.5 inside.
if [[ " $KINDS " == *" wheel "* ]] && ! "$OUT/venv-wheel/bin/python" -c \
        "import zmq, sys; sys.exit(zmq.pyzmq_version() != '$VERSION')" 2>/dev/null; then
    echo "run-suite.sh: installing PyPI's binary wheel of pyzmq $VERSION into venv-wheel"
    [ -x "$OUT/venv-wheel/bin/python" ] || "${PYTHON:-python3}" -m venv "$OUT/venv-wheel"
    timeout 600 "$OUT/venv-wheel/bin/python" -m pip install -q --disable-pip-version-check \
        --only-binary :all: "pyzmq==$VERSION"
fi

# Test requirements (from pyzmq's test-requirements.txt, less the linters,
# type checkers and coverage tools, which test nothing of libzmq; gevent is
# kept for the zmq.green tests, which drive ZMQ_FD through gevent's hub).
# pytest-rerunfailures honours the @flaky(reruns=3) marks pyzmq puts on its
# timing-sensitive tests, as pyzmq's own CI does; reruns are reported.
TEST_REQS=(pytest pytest-timeout pytest-asyncio pytest-rerunfailures tornado setuptools gevent)
for kind in $KINDS; do
    py=$OUT/venv-$kind/bin/python
    if ! "$py" -c 'import pytest, pytest_timeout, pytest_asyncio, pytest_rerunfailures, tornado, setuptools, gevent' 2>/dev/null; then
        echo "run-suite.sh: installing test requirements into venv-$kind"
        timeout 600 "$py" -m pip install -q --disable-pip-version-check "${TEST_REQS[@]}"
    fi
done

if [ $# -gt 0 ]; then FILES=("$@"); else
    FILES=(); for f in "$SUITE"/tests/test_*.py; do FILES+=("$(basename "$f")"); done
fi

# A private, atomically made copy of our library for this run.
SNAP=$OUT/lib-snapshot
mkdir -p "$SNAP"
for try in 1 2 3; do
    cp -f "$ROOT/build/lib/libzmq.so.5" "$SNAP/.libzmq.so.5.tmp"
    # a copy taken while `make stage` rewrites the file is torn: compare
    if cmp -s "$ROOT/build/lib/libzmq.so.5" "$SNAP/.libzmq.so.5.tmp"; then break; fi
    sleep 5
done
mv -f "$SNAP/.libzmq.so.5.tmp" "$SNAP/libzmq.so.5"
lib_id() { echo "sha256 $(sha256sum "$1" | cut -c1-16), built $(date -u -r "$1" '+%F %T') UTC"; }
echo "ferrozmq under test: $ROOT/build/lib/libzmq.so.5 ($(lib_id "$SNAP/libzmq.so.5")), git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet -- src 2>/dev/null || echo '+uncommitted src changes')" \
    | tee "$OUT/lib-ours.txt"

# env for one kind: ours loads the snapshot, Debian's its own library
kind_env() { # KIND
    if [ "$1" = ours ]; then echo "LD_LIBRARY_PATH=$SNAP"; else echo "FZ_KIND=debian"; fi
}

# what `import zmq` maps under that env
loaded() { # KIND
    (cd /tmp && env -u LD_LIBRARY_PATH -u LD_PRELOAD $(kind_env "$1") "$OUT/venv-$1/bin/python" -c '
import os, zmq
print(zmq.zmq_version(), *sorted({os.path.realpath(l.split()[-1]) for l in open("/proc/self/maps") if os.path.basename(l.split()[-1]).startswith("libzmq.so")}))')
}

run_kind() { # KIND
    local kind=$1 py=$OUT/venv-$kind/bin/python
    local results=$OUT/results-$kind.jsonl logs=$OUT/logs/suite-$kind
    local deadline=$((SECONDS + SUITE_TIMEOUT)) t0=$SECONDS
    rm -f "$results"; rm -rf "$logs"; mkdir -p "$logs"
    local what; what=$(loaded "$kind")
    if [ "$kind" = ours ] && [ "${what#* }" != "$SNAP/libzmq.so.5" ]; then
        echo "run-suite.sh: venv-ours loads ${what#* }, not $SNAP/libzmq.so.5" >&2; exit 1
    fi
    echo "== pyzmq $VERSION suite against $kind: libzmq $what =="
    local f attempt rc limit why
    for f in "${FILES[@]}"; do
        for attempt in $(seq 1 30); do
            local left=$((deadline - SECONDS))
            if [ $left -le 5 ]; then echo "  $f: overall SUITE_TIMEOUT ($SUITE_TIMEOUT s) reached, not run"; break 2; fi
            limit=$FILE_TIMEOUT; [ $left -lt "$limit" ] && limit=$left
            local desel=()
            while read -r n; do [ -n "$n" ] && desel+=(--deselect "$n"); done \
                < <($REPORT seen "$results" | grep -F "tests/$f::" || true)
            local log=$logs/${f%.py}.$attempt.log
            rc=0
            (cd "$SUITE" && env -u LD_LIBRARY_PATH -u LD_PRELOAD $(kind_env "$kind") FZ_RESULTS="$results" \
                PYTHONPATH="$HERE" PYTHONFAULTHANDLER=1 \
                timeout -k 10 "$limit" "$py" -m pytest -p suite_plugin -p no:cacheprovider \
                    --timeout="$TEST_TIMEOUT" --timeout-method=thread \
                    -q -rfE "tests/$f" "${desel[@]}") >"$log" 2>&1 </dev/null || rc=$?
            why="pytest exited $rc"
            if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then why="file timeout ${limit} s"
            elif grep -q -- "+ Timeout +" "$log"; then why="per-test timeout ${TEST_TIMEOUT} s"
            elif [ $rc -gt 128 ]; then why="killed by signal $((rc - 128))"; fi
            local hung
            hung=$($REPORT hung "$results" "$why" || true)
            if [ -n "$hung" ]; then
                sed "s/^/  $f: hung ($why): /" <<<"$hung"
                continue   # the rest of the file, without the hung test
            fi
            case $rc in 0|1|5) ;; *) echo "  $f: $why (see $log)";; esac
            break
        done
        printf '  %-28s %s\n' "$f" "$(grep -E '^(=+ )?[0-9]+ (passed|failed|skipped|error|deselected)|no tests ran' "$logs/${f%.py}".*.log | tail -1 | sed -E 's/^.*\.log://; s/=//g; s/ in [0-9.]+s.*//')"
    done
    echo "  ($kind: $((SECONDS - t0)) s)"
}

for kind in $KINDS; do run_kind "$kind"; done

# Each test that failed only against ours, RECHECK more times against both,
# each time alone in its own process: tells a steady difference from a flake.
: >"$OUT/recheck.txt"
if [ "$RECHECK" -gt 0 ] && [ -f "$OUT/results-ours.jsonl" ] && [ -f "$OUT/results-debian.jsonl" ]; then
    $REPORT report "$OUT" "$VERSION" >/dev/null
    while read -r nodeid; do
        [ -n "$nodeid" ] || continue
        line="$nodeid"
        for kind in $KINDS; do
            p=0
            for i in $(seq 1 "$RECHECK"); do
                if (cd "$SUITE" && env -u LD_LIBRARY_PATH -u LD_PRELOAD $(kind_env "$kind") PYTHONPATH="$HERE" \
                    timeout -k 5 120 "$OUT/venv-$kind/bin/python" -m pytest -p no:cacheprovider \
                        --timeout="$TEST_TIMEOUT" -q "$nodeid") >"$OUT/logs/recheck.log" 2>&1 </dev/null; then
                    p=$((p + 1))
                fi
            done
            line="$line	$kind $p/$RECHECK"
        done
        echo "$line" | tee -a "$OUT/recheck.txt" | sed 's/^/  recheck: /'
    done <"$OUT/suite-only-ours-fail.txt"
fi
if ! cmp -s "$ROOT/build/lib/libzmq.so.5" "$SNAP/libzmq.so.5"; then
    echo "note: build/lib/libzmq.so.5 was rebuilt during the run; the results are for the snapshot ($(lib_id "$SNAP/libzmq.so.5"))"
fi
echo
$REPORT report "$OUT" "$VERSION"
