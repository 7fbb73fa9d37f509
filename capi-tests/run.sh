#!/usr/bin/env bash
# Compiles and runs the C API test programs (capi-tests/*.c) against a libzmq.
#
# usage: run.sh [--include DIR] [--libdir DIR] [--skip-draft]
#               [--libzmq-reference] [--out DIR] [files...]
#
#   --include DIR        directory holding zmq.h      (default: <repo>/include)
#   --libdir DIR         directory holding libzmq.so  (default: <repo>/build/lib)
#   --skip-draft         skip draft_*.c (not counted)
#   --libzmq-reference   skip draft_*.c and ferro_*.c (not counted): the set
#                        that must pass against a stock libzmq without drafts
#   --out DIR            where binaries go (default: <repo>/build/capi-tests)
#   files...             test sources to run (default: every capi-tests/*.c);
#                        given as paths or as bare names (msg, msg.c)
#
# Prints one line per program (PASS/FAIL/SKIP; a failure is followed by the
# program's or the compiler's output, indented) and ends with the line
# "N passed, N failed". Exits non-zero if any program failed or did not
# compile. draft_*.c are compiled with -DZMQ_BUILD_DRAFT_API.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

include="$root/include"
libdir="$root/build/lib"
out="$root/build/capi-tests"
skip_draft=0
skip_ferro=0
files=()

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --include) [ $# -ge 2 ] || usage; include="$2"; shift 2 ;;
        --libdir) [ $# -ge 2 ] || usage; libdir="$2"; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
        --skip-draft) skip_draft=1; shift ;;
        --libzmq-reference) skip_draft=1; skip_ferro=1; shift ;;
        -h|--help) usage ;;
        --) shift; files+=("$@"); break ;;
        -*) echo "run.sh: unknown option $1" >&2; usage ;;
        *) files+=("$1"); shift ;;
    esac
done

# Absolute paths: the rpath and LD_LIBRARY_PATH must not depend on the cwd.
include="$(cd "$include" 2>/dev/null && pwd)" || { echo "run.sh: no include dir" >&2; exit 2; }
libdir="$(cd "$libdir" 2>/dev/null && pwd)" || { echo "run.sh: no lib dir" >&2; exit 2; }
mkdir -p "$out" && out="$(cd "$out" && pwd)" || { echo "run.sh: cannot create $out" >&2; exit 2; }

if [ ${#files[@]} -eq 0 ]; then
    files=("$here"/*.c)
else
    for i in "${!files[@]}"; do
        f="${files[$i]}"
        case "$f" in
            *.c) [ -f "$f" ] || f="$here/$(basename "$f")" ;;
            *) f="$here/$(basename "$f").c" ;;
        esac
        if [ ! -f "$f" ]; then
            echo "run.sh: no such test: ${files[$i]}" >&2
            exit 2
        fi
        files[$i]="$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
    done
fi

cc="${CC:-cc}"
passed=0
failed=0

indent() { sed 's/^/    /'; }

for src in "${files[@]}"; do
    name="$(basename "$src" .c)"
    defs=()
    case "$name" in
        draft_*)
            if [ $skip_draft -eq 1 ]; then echo "SKIP $name"; continue; fi
            defs=(-DZMQ_BUILD_DRAFT_API) ;;
        ferro_*)
            if [ $skip_ferro -eq 1 ]; then echo "SKIP $name"; continue; fi ;;
    esac
    bin="$out/$name"
    rm -f "$bin"
    if ! log="$("$cc" -std=c99 -Wall -Wextra -Werror "${defs[@]}" -I"$include" \
            "$src" -o "$bin" -L"$libdir" -Wl,-rpath,"$libdir" -lzmq -lpthread 2>&1)"; then
        echo "FAIL $name (compile)"
        printf '%s\n' "$log" | indent
        failed=$((failed + 1))
        continue
    fi
    log="$(cd "$out" && LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
            timeout 60 "$bin" 2>&1)"
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        why="exit $rc"
        [ $rc -eq 124 ] && why="exit $rc, timed out"
        echo "FAIL $name ($why)"
        printf '%s\n' "$log" | indent
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
