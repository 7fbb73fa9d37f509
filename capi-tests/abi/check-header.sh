#!/usr/bin/env bash
# check-header.sh: is our zmq.h (and zmq_utils.h) a source-compatible drop-in
# for a reference libzmq zmq.h (default: Debian's 4.3.4, /usr/include/zmq.h)?
#
#   check-header.sh [--work DIR] [--keep] [--dump FILE] [-v]
#                   OUR_INCLUDE_DIR [REFERENCE_ZMQ_H]
#
# abi_extract.py reads the REFERENCE header and generates probe sources; each
# probe is compiled once against the reference and once against ours, and the
# results must agree:
#   values      a C11 program printing NAME=value (C type) for every stable
#               macro, the layout of every struct/scalar typedef (sizeof,
#               _Alignof, offsetof and sizeof of each member); run, outputs
#               diffed.  (Rules for which macros count: see abi_extract.py.)
#   decls       compile-only (-c, nothing is linked) in C11 and in C++11:
#               each of the reference's ZMQ_EXPORT functions assigned to a
#               pointer of the exact reference prototype type, every typedef
#               and struct member type compared, every integer macro usable
#               in #if.  The C++ object's undefined symbols must be the plain
#               C names (our header must wrap its declarations in extern "C").
#   draft       the same two probes for what the reference declares only
#               under ZMQ_BUILD_DRAFT_API, compiled with -DZMQ_BUILD_DRAFT_API;
#               the stable values probe also checks that no DRAFT macro is
#               defined without ZMQ_BUILD_DRAFT_API (as in the reference).
#   zmq_utils   if the reference has a zmq_utils.h next to zmq.h, ours must
#               have one too; it is probed alone (values+decls of whatever the
#               reference zmq_utils.h declares: nothing, in 4.3.x) and after
#               zmq.h.
# Our headers are compiled with -I (ahead of the system dirs, verified with
# -H) and must be warning-free under
# -Wall -Wextra -Wstrict-prototypes -pedantic -Werror; the reference copy is
# compiled with -isystem, as an installed header is.
#
# Exit status: 0 all match, 1 mismatch, 2 usage/internal error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}
PYTHON=${PYTHON:-python3}
WORK= KEEP=0 DUMP= VERBOSE=0

usage() { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --work) WORK=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --dump) DUMP=$2; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "check-header.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
OURS=$1
REF=${2:-/usr/include/zmq.h}
command -v "$PYTHON" >/dev/null 2>&1 || { echo "abi-header: $PYTHON is required" >&2; exit 2; }
command -v "$CC" >/dev/null 2>&1 || { echo "abi-header: C compiler $CC not found" >&2; exit 2; }
[ -d "$OURS" ] || { echo "abi-header: FAIL: our include dir $OURS does not exist" >&2; exit 2; }
[ -f "$OURS/zmq.h" ] || { echo "abi-header: FAIL: $OURS/zmq.h does not exist"; exit 1; }
[ -f "$REF" ] || { echo "abi-header: reference header $REF not found" >&2; exit 2; }
OURS=$(cd "$OURS" && pwd -P)
REF=$(cd "$(dirname "$REF")" && pwd -P)/$(basename "$REF")
REFDIR=$(dirname "$REF")

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/abi-header.XXXXXX")
    [ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
else
    mkdir -p "$WORK"; WORK=$(cd "$WORK" && pwd -P)
fi
GEN=$WORK/gen
rm -rf "$GEN" "$WORK/ref-include" "$WORK/reference" "$WORK/ours"   # stale runs
mkdir -p "$GEN" "$WORK/ref-include" "$WORK/reference" "$WORK/ours"

# The reference is copied so that its name is zmq.h whatever it was called,
# and so that no other header of its directory can be picked up.
cp "$REF" "$WORK/ref-include/zmq.h"
HAVE_UTILS=0
if [ -f "$REFDIR/zmq_utils.h" ]; then
    cp "$REFDIR/zmq_utils.h" "$WORK/ref-include/zmq_utils.h"
    HAVE_UTILS=1
fi

CWARN="-Wall -Wextra -Werror -Wincompatible-pointer-types -Wstrict-prototypes -pedantic"
CFLAGS_ABI="-std=gnu11 $CWARN"
CFLAGS_VALUES="-std=gnu11"   # the values probe only needs to compile and run
CXXFLAGS_ABI="-std=c++11 -Wall -Wextra -Werror -pedantic"
HAVE_CXX=0
command -v "$CXX" >/dev/null 2>&1 && HAVE_CXX=1

problems=()
fail() { problems+=("$*"); }

# ---------------------------------------------------------------- extraction
"$CC" -dM -E -x c /dev/null > "$WORK/predef.h"
"$PYTHON" "$HERE/abi_extract.py" --header "$WORK/ref-include/zmq.h" --include zmq.h \
    --predef "$WORK/predef.h" --out "$GEN" --prefix zmq 2>"$WORK/extract.log" \
    || { cat "$WORK/extract.log" >&2; echo "abi-header: extractor failed" >&2; exit 2; }
if [ "$HAVE_UTILS" = 1 ]; then
    "$PYTHON" "$HERE/abi_extract.py" --header "$WORK/ref-include/zmq_utils.h" \
        --include zmq_utils.h --predef "$WORK/predef.h" --out "$GEN" --prefix utils \
        2>>"$WORK/extract.log" \
        || { cat "$WORK/extract.log" >&2; echo "abi-header: extractor failed" >&2; exit 2; }
    # both headers in one translation unit, in either order
    printf '#include <zmq.h>\n#include <zmq_utils.h>\nint abi_both1;\n' >"$GEN/both1.c"
    printf '#include <zmq_utils.h>\n#include <zmq.h>\nint abi_both2;\n' >"$GEN/both2.c"
fi
[ "$VERBOSE" = 0 ] || sed 's/^/  extracted /' "$WORK/extract.log"

# summary field (python one-liner over the JSON)
jq_py() { "$PYTHON" -c "import json,sys; s=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ----------------------------------------------------------------- helpers
# explain SRC ERRFILE: turn compiler diagnostics into "kind name: message",
# using the /*ABI:kind:name*/ tag on the offending probe line; diagnostics in
# the headers themselves are shown as they are.
explain() {
    "$PYTHON" - "$1" "$2" <<'EOF'
import re, sys
src, err = sys.argv[1], sys.argv[2]
lines = open(src).read().split("\n")
seen = set()
for d in open(err, errors="replace"):
    d = d.rstrip("\n")
    m = re.match(r"^(.*?):(\d+):(\d+): (error|fatal error|warning): (.*)$", d)
    if not m:
        continue
    path, ln, msg = m.group(1), int(m.group(2)), m.group(5)
    tag = None
    sa = re.match(r'static assertion failed: "?(.*?)"?$', msg)
    if sa:
        tag, msg = "static assertion", sa.group(1)
    elif path.endswith(src.split("/")[-1]) and 0 < ln <= len(lines):
        t = re.search(r"/\*ABI:([\w#-]+):([\w.]+)\*/", lines[ln - 1])
        if t:
            tag = "%s %s" % (t.group(1), t.group(2))
    else:
        try:
            hl = open(path, errors="replace").read().split("\n")[ln - 1]
            dm = re.match(r"\s*#\s*define\s+(\w+)", hl)
            if dm:
                tag = "macro %s (%s:%d)" % (dm.group(1), path, ln)
        except (OSError, IndexError):
            pass
    out = ("%s: %s" % (tag, msg)) if tag else ("%s:%d: %s" % (path, ln, msg))
    if out not in seen:
        seen.add(out)
        print("    " + out)
EOF
}

# verify_headers SIDE INCDIR HLOG MAIN: with -H, every zmq.h / zmq_utils.h the
# compiler opened must come from INCDIR, and MAIN (zmq.h/zmq_utils.h) was used.
verify_headers() {
    local side=$1 inc=$2 hfile=$3 main=$4 f p bad=0
    while read -r p; do
        f=$(readlink -f "$p")
        case $f in
            "$inc"/zmq.h|"$inc"/zmq_utils.h) ;;
            *) echo "    $side: compiler used $f, not a header from $inc"; bad=1 ;;
        esac
    done < <(sed -n 's/^\.\+ \(.*\/zmq\(_utils\)\{0,1\}\.h\)$/\1/p' "$hfile")
    grep -q -F "/$main" "$hfile" || { echo "    $side: $main was not included at all"; bad=1; }
    return $bad
}

# build SIDE INCFLAG INCDIR PREFIX...: compile (and run) the probes of each
# PREFIX (zmq, utils) for one side.  Results: $WORK/SIDE/PREFIX_values*.out
build() {
    local side=$1 incflag=$2 inc=$3 out=$WORK/$1 p draft dflag part ok=1
    shift 3
    for p in "$@"; do
        if [ "$p" = utils ]; then
            for f in both1 both2; do
                if ! $CC $CFLAGS_ABI "$incflag" "$inc" -c "$GEN/$f.c" -o "$out/$f.o" >"$out/$f.log" 2>&1; then
                    echo "    $side: zmq.h and zmq_utils.h do not compile together:"
                    grep -E ': (fatal )?(error|warning):' "$out/$f.log" | sort -u | sed 's/^/      /'; ok=0
                fi
            done
        fi
        for draft in "" _draft; do
            dflag=; part=stable
            [ -n "$draft" ] && { dflag=-DZMQ_BUILD_DRAFT_API; part=draft; }
            # values: compile, link (libc only: no zmq function is called), run
            local src=$GEN/${p}_values$draft.c exe=$out/${p}_values$draft
            if $CC $CFLAGS_VALUES $dflag "$incflag" "$inc" -H "$src" -o "$exe" \
                    >"$exe.cc.log" 2>&1; then
                "$exe" >"$exe.out" || { echo "    $side: $exe exited $?"; ok=0; }
                verify_headers "$side" "$inc" "$exe.cc.log" "$([ "$p" = utils ] && echo zmq_utils.h || echo zmq.h)" || ok=0
            else
                echo "    $side: ${p}_values$draft.c does not compile, values not compared:"
                explain "$src" "$exe.cc.log"; echo 1 >"$exe.failed"; ok=0
            fi
            # decls: compile only, as C and as C++
            src=$GEN/${p}_decls$draft.c
            local obj=$out/${p}_decls$draft
            if ! $CC $CFLAGS_ABI $dflag "$incflag" "$inc" -c "$src" -o "$obj.o" \
                    >"$obj.cc.log" 2>&1; then
                echo "    $side: declarations differ (C, ${p}_decls$draft.c):"; explain "$src" "$obj.cc.log"; ok=0
            fi
            if [ "$HAVE_CXX" = 1 ]; then
                if $CXX $CXXFLAGS_ABI $dflag "$incflag" "$inc" -x c++ -c "$src" -o "$obj.cxx.o" \
                        >"$obj.cxx.log" 2>&1; then
                    # every function must be referenced by its C name
                    local fn missing=()
                    nm -u "$obj.cxx.o" | awk '{print $NF}' | sort -u >"$obj.cxx.syms"
                    for fn in $(jq_py "$GEN/${p}_summary.json" \
                            "' '.join(s['$part']['prototypes'])"); do
                        grep -qx "$fn" "$obj.cxx.syms" || missing+=("$fn")
                    done
                    if [ ${#missing[@]} -gt 0 ]; then
                        echo "    $side: C++ sees ${#missing[@]} function(s) without C linkage (missing extern \"C\"?):"
                        echo "${missing[*]}" | fold -s -w 96 | sed 's/^/      /'
                        ok=0
                    fi
                else
                    echo "    $side: declarations differ (C++, ${p}_decls$draft.c):"; explain "$src" "$obj.cxx.log"; ok=0
                fi
            fi
        done
    done
    return $((1 - ok))
}

# compare WHAT REF_OUT OUR_OUT: diff two probe outputs.
compare() {
    local what=$1 r=$2 o=$3
    if [ -e "${o%.out}.failed" ]; then
        fail "$what (not compared)"
    elif ! cmp -s "$r" "$o"; then
        echo "  $what: mismatches (reference -> ours):"
        "$PYTHON" - "$r" "$o" <<'EOF'
import sys
def load(p):
    d = {}
    for line in open(p):
        line = line.rstrip("\n")
        k, _, v = line.partition("=")
        d.setdefault(k, v)
    return d
r, o = load(sys.argv[1]), load(sys.argv[2])
for k in list(r) + [k for k in o if k not in r]:
    if r.get(k) != o.get(k):
        print("    %-45s %s  ->  %s" % (k, r.get(k, "<absent>"), o.get(k, "<absent>")))
EOF
        fail "$what"
    fi
}

# ------------------------------------------------------------------- run it
prefixes=(zmq); [ "$HAVE_UTILS" = 1 ] && prefixes+=(utils)
if ! build reference -isystem "$WORK/ref-include" "${prefixes[@]}" >"$WORK/ref.log" 2>&1; then
    cat "$WORK/ref.log"
    echo "abi-header: internal error: the probes do not build against the reference $REF" >&2
    exit 2
fi

echo "abi-header: reference $REF"
echo "abi-header: ours      $OURS/zmq.h"
if [ "$HAVE_UTILS" = 1 ] && [ ! -f "$OURS/zmq_utils.h" ]; then
    echo "  zmq_utils.h: missing from $OURS (the reference has one)"
    fail "zmq_utils.h"
    prefixes=(zmq); HAVE_UTILS=0
fi
if ! build ours -I "$OURS" "${prefixes[@]}" >"$WORK/ours.log" 2>&1; then
    fail "declarations"
fi
cat "$WORK/ours.log"

compare "stable macros/layout" "$WORK/reference/zmq_values.out" "$WORK/ours/zmq_values.out"
compare "DRAFT macros/layout" "$WORK/reference/zmq_values_draft.out" "$WORK/ours/zmq_values_draft.out"
if [ "$HAVE_UTILS" = 1 ]; then
    compare "zmq_utils.h" "$WORK/reference/utils_values.out" "$WORK/ours/utils_values.out"
    compare "zmq_utils.h DRAFT" "$WORK/reference/utils_values_draft.out" "$WORK/ours/utils_values_draft.out"
fi

if [ -n "$DUMP" ]; then
    "$PYTHON" - "$GEN/zmq_summary.json" "$WORK/reference/zmq_values.out" \
        "$WORK/reference/zmq_values_draft.out" "$REF" >"$DUMP" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
s["header"] = sys.argv[4]
def vals(p):
    d = {}
    for line in open(p):
        k, _, v = line.rstrip("\n").partition("=")
        d[k] = v
    return d
sv, dv = vals(sys.argv[2]), vals(sys.argv[3])
for title, part, v in (("stable", "stable", sv), ("draft (ZMQ_BUILD_DRAFT_API)", "draft", dv)):
    print("# %s macros of %s: NAME=value (C type)  [kind] // definition" % (title, s["header"]))
    for m in part and s[part]["macros"]:
        key = m["name"] if m["params"] is None else "%s(%s)" % (
            m["name"], ", ".join(str(i + 1) for i in range(len(m["params"]))))
        defn = m["body"] if m["params"] is None else "(%s) %s" % (", ".join(m["params"]), m["body"])
        print("%s=%s  [%s] // %s" % (key, v.get(key, "?"), m["kind"], defn))
    print("# %s prototypes: %s" % (title, " ".join(s[part]["prototypes"])))
    print()
print("# layout (stable and draft)")
for k, x in list(sv.items()) + list(dv.items()):
    if k.startswith(("sizeof", "_Alignof", "offsetof")):
        print("%s=%s" % (k, x))
EOF
fi

S=$GEN/zmq_summary.json
n_macros=$(jq_py "$S" "len(s['stable']['macros'])")
n_protos=$(jq_py "$S" "len(s['stable']['prototypes'])")
n_types=$(jq_py "$S" "len(s['stable']['typedefs']) + len(s['stable']['structs'])")
n_facts=$(jq_py "$S" "s['stable']['facts']")
d_macros=$(jq_py "$S" "len(s['draft']['macros'])")
d_protos=$(jq_py "$S" "len(s['draft']['prototypes'])")
d_facts=$(jq_py "$S" "s['draft']['facts']")
cxx_note="C++ linkage checked"; [ "$HAVE_CXX" = 1 ] || cxx_note="C++ not checked ($CXX not found)"
utils_note=""; [ -f "$WORK/ref-include/zmq_utils.h" ] && utils_note=", zmq_utils.h"

if [ ${#problems[@]} -gt 0 ]; then
        what=$(printf '%s, ' "${problems[@]}")
    echo "abi-header: FAIL: ${what%, } (details above; reference $REF)"
    exit 1
fi
echo "abi-header: OK $n_macros macros, $n_facts struct/type facts, $n_types types, $n_protos prototypes match;" \
     "draft: $d_macros macros, $d_facts facts, $d_protos prototypes match$utils_note; $cxx_note"
