#!/usr/bin/env bash
# The API misuse sweep: generates the sweep program from include/zmq.h,
# builds it against ferrozmq and against libzmq, runs both (at once, one
# per core) and compares them (compare.py; allow.txt lists the deliberate
# differences). Then the same for the draft functions: ours alone (only a
# crash or a hang fails), or against a draft-enabled libzmq if one is given.
# Ends with "N passed, N failed" over functions: a function passes when ours
# never crashed or hung on it and matched libzmq wherever libzmq returned
# normally.
#
# usage: run.sh [--include DIR] [--ours LIBDIR] [--libzmq LIBDIR]
#               [--draft-libzmq PREFIX] [--out DIR] [-v]
#   defaults: <repo>/include, <repo>/build/lib, the directory of the
#   system's libzmq.so (Debian's), no draft reference, <repo>/build/sweep.
#   --draft-libzmq PREFIX: a libzmq built with the draft API, PREFIX/lib and
#   PREFIX/include (e.g. libzmq 4.3.5, cmake -DENABLE_DRAFTS=ON).
#   -v also lists the allow-listed differences and where libzmq crashes.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
include="$root/include"
ours="$root/build/lib"
ref="$(dirname "$(${CC:-cc} -print-file-name=libzmq.so)")"
out="$root/build/sweep"
draft_ref=""
verbose=()
while [ $# -gt 0 ]; do
    case "$1" in
        --include) include="$2"; shift 2 ;;
        --ours) ours="$2"; shift 2 ;;
        --libzmq) ref="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --draft-libzmq) draft_ref="$2"; shift 2 ;;
        -v) verbose=(-v); shift ;;
        *) sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
cc="${CC:-cc}"
start=$(date +%s)
python3 "$here/gen.py" "$include/zmq.h" "$out/sweep.c" || { echo "0 passed, 1 failed"; exit 1; }
# The same program for both: only the non-draft API, so the system header
# and ours declare the same functions.
build() {
    "$cc" -std=c11 -O1 -Wall -Wextra -Werror -I"$1" "$4" -o "$2" \
        -L"$3" -Wl,-rpath,"$3" -lzmq
}
fail() { echo "$1"; echo "0 passed, 1 failed"; exit 1; }
build "$include" "$out/sweep-ours" "$ours" "$out/sweep.c" || fail "sweep: build (ours) failed"
build /usr/include "$out/sweep-libzmq" "$ref" "$out/sweep.c" || fail "sweep: build (libzmq) failed"
# Ours gets a second, longer chance on a call that hangs (a hang must be
# real, not a loaded machine); libzmq's hangs are real and would cost 10 s
# each.
# One after the other: both bind the same fixed ports (tcp://...:99999 is
# port 34463 to both), and run side by side one of them found it taken.
SWEEP_RETRY_S=10 LD_LIBRARY_PATH="$ours" "$out/sweep-ours" > "$out/ours.txt"
LD_LIBRARY_PATH="$ref" "$out/sweep-libzmq" > "$out/libzmq.txt"
python3 "$here/compare.py" "$out/ours.txt" "$out/libzmq.txt" "$here/allow.txt" "${verbose[@]}" \
    > "$out/report.txt"
cat "$out/report.txt"

# The draft API.
echo
echo "Draft API:"
python3 "$here/gen.py" "$include/zmq.h" "$out/sweep-draft.c" --draft || fail "sweep: gen --draft failed"
build "$include" "$out/sweep-draft-ours" "$ours" "$out/sweep-draft.c" || fail "sweep: build (draft, ours) failed"
if [ -n "$draft_ref" ]; then
    build "$draft_ref/include" "$out/sweep-draft-libzmq" "$draft_ref/lib" "$out/sweep-draft.c" \
        || fail "sweep: build (draft, libzmq) failed"
    SWEEP_RETRY_S=10 LD_LIBRARY_PATH="$ours" "$out/sweep-draft-ours" > "$out/draft-ours.txt"
    LD_LIBRARY_PATH="$draft_ref/lib" "$out/sweep-draft-libzmq" > "$out/draft-libzmq.txt"
    draft_cmp="$out/draft-libzmq.txt"
else
    SWEEP_RETRY_S=10 LD_LIBRARY_PATH="$ours" "$out/sweep-draft-ours" > "$out/draft-ours.txt"
    draft_cmp=-
fi
python3 "$here/compare.py" "$out/draft-ours.txt" "$draft_cmp" "$here/allow.txt" "${verbose[@]}" \
    > "$out/report-draft.txt"
cat "$out/report-draft.txt"

# One total over both.
p=0; f=0
for r in "$out/report.txt" "$out/report-draft.txt"; do
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$r" | tail -1)
    [ -n "$line" ] || line="0 passed, 1 failed"
    p=$((p + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
    f=$((f + $(sed -E 's/.*, ([0-9]+) failed.*/\1/' <<<"$line")))
done
echo "sweep: $(( $(date +%s) - start )) s (results in $out)" >&2
echo
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
