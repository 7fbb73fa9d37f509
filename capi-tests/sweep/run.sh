#!/usr/bin/env bash
# The API misuse sweep: generates the sweep program from include/zmq.h,
# builds it against ferrozmq and against libzmq, runs both (at once, one
# per core) and compares them (compare.py; allow.txt lists the deliberate
# differences). Ends with "N passed, N failed" over functions: a function
# passes when ours never crashed or hung on it and matched libzmq wherever
# libzmq returned normally.
#
# usage: run.sh [--include DIR] [--ours LIBDIR] [--libzmq LIBDIR] [--out DIR] [-v]
#   defaults: <repo>/include, <repo>/build/lib, the directory of the
#   system's libzmq.so (Debian's), <repo>/build/sweep. -v also lists the
#   allow-listed differences and where libzmq crashes.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
include="$root/include"
ours="$root/build/lib"
ref="$(dirname "$(${CC:-cc} -print-file-name=libzmq.so)")"
out="$root/build/sweep"
verbose=()
while [ $# -gt 0 ]; do
    case "$1" in
        --include) include="$2"; shift 2 ;;
        --ours) ours="$2"; shift 2 ;;
        --libzmq) ref="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -v) verbose=(-v); shift ;;
        *) sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
cc="${CC:-cc}"
start=$(date +%s)
python3 "$here/gen.py" "$include/zmq.h" "$out/sweep.c" || { echo "0 passed, 1 failed"; exit 1; }
# The same program for both: only the non-draft API, so the system header
# and ours declare the same functions.
build() {
    "$cc" -std=c11 -O1 -Wall -Wextra -Werror -I"$1" "$out/sweep.c" -o "$2" \
        -L"$3" -Wl,-rpath,"$3" -lzmq
}
build "$include" "$out/sweep-ours" "$ours" || { echo "0 passed, 1 failed"; exit 1; }
build /usr/include "$out/sweep-libzmq" "$ref" || { echo "0 passed, 1 failed"; exit 1; }
# Ours gets a second, longer chance on a call that hangs (a hang must be
# real, not a loaded machine); libzmq's hangs are real and would cost 10 s
# each.
SWEEP_RETRY_S=10 LD_LIBRARY_PATH="$ours" "$out/sweep-ours" > "$out/ours.txt" &
pid=$!
LD_LIBRARY_PATH="$ref" "$out/sweep-libzmq" > "$out/libzmq.txt"
wait "$pid"
python3 "$here/compare.py" "$out/ours.txt" "$out/libzmq.txt" "$here/allow.txt" "${verbose[@]}" \
    | tee "$out/report.txt"
rc=${PIPESTATUS[0]}
echo "sweep: $(( $(date +%s) - start )) s (results in $out)" >&2
exit "$rc"
