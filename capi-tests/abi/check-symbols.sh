#!/usr/bin/env bash
# check-symbols.sh: does our shared library export what a reference libzmq
# exports, and nothing else?
#
#   check-symbols.sh [--work DIR] [-v] OUR_LIBZMQ_SO_5 [REFERENCE_LIBZMQ_SO_5]
#
# Reference default: Debian's /usr/lib/<multiarch>/libzmq.so.5 (4.3.4).
# Asserts, from `nm -D --defined-only` and `readelf -d`:
#   1. every symbol the reference exports is exported by ours, as the same
#      kind (code vs data: nm type T/W/i vs D/B/R/V);
#   2. every symbol ours exports starts with zmq_ (no Rust runtime, allocator,
#      or dependency symbols leak out);
#   3. ours has DT_SONAME libzmq.so.5, and the same ELF class and machine as
#      the reference.
# Symbols ours exports beyond the reference (e.g. DRAFT functions) are listed
# with -v but are not an error.
# Exit status: 0 OK, 1 mismatch, 2 usage error.
set -euo pipefail
export LC_ALL=C

WORK= VERBOSE=0
usage() { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --work) WORK=$2; shift 2 ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "check-symbols.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || usage
OURS=$1
REF=${2:-}
if [ -z "$REF" ]; then
    for c in "/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/libzmq.so.5" \
             /usr/lib/x86_64-linux-gnu/libzmq.so.5 /usr/lib64/libzmq.so.5 /usr/lib/libzmq.so.5; do
        [ -e "$c" ] && { REF=$c; break; }
    done
fi
[ -n "$REF" ] && [ -e "$REF" ] || { echo "abi-symbols: reference libzmq.so.5 not found (${REF:-none given})" >&2; exit 2; }
[ -e "$OURS" ] || { echo "abi-symbols: FAIL: $OURS does not exist"; exit 1; }

if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/abi-symbols.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
else
    mkdir -p "$WORK"
fi

# "name kind" for every defined dynamic symbol; kind is code or data.
# Version suffixes (name@@VER) are dropped, and so are the absolute symbols
# that merely name symbol-version nodes (GLIBCXX_3.4 in libstdc++ etc.).
version_nodes() {
    readelf -V --wide "$1" | awk '/^Version definition section/ { d = 1; next }
        /^Version (needs|symbols) section/ { d = 0 }
        d && /Name:/ { sub(/.*Name: /, ""); print $1 }'
}
exports() {
    nm -D --defined-only "$1" | awk -v nodes="$(version_nodes "$1" | tr '\n' ' ')" '
        BEGIN { split(nodes, a, " "); for (i in a) node[a[i]] = 1 }
        NF >= 3 { t = $2; n = $3 } NF == 2 { t = $1; n = $2 }
        t == "A" && (n in node) { next }
        { sub(/@.*/, "", n)
          k = (t ~ /^[TtWwi]$/) ? "code" : (t ~ /^[DdBbRrVvGgSs]$/) ? "data" : "other:" t
          print n, k }' | sort -u
}
exports "$REF" >"$WORK/ref.syms"
exports "$OURS" >"$WORK/ours.syms"

problems=()
n_ref=$(wc -l <"$WORK/ref.syms")
n_ours=$(wc -l <"$WORK/ours.syms")
[ "$n_ref" -gt 0 ] || { echo "abi-symbols: reference $REF exports nothing?" >&2; exit 2; }

# 1. reference subset
missing=$(join -v1 <(cut -d' ' -f1 "$WORK/ref.syms") <(cut -d' ' -f1 "$WORK/ours.syms") || true)
if [ -n "$missing" ]; then
    echo "  missing: $(wc -w <<<"$missing") symbol(s) the reference exports are not exported by ours:"
    echo "$missing" | sed 's/^/    /'
    problems+=("missing symbols")
fi
kinds=$(join "$WORK/ref.syms" "$WORK/ours.syms" | awk '$2 != $3 { print "    " $1 ": reference " $2 ", ours " $3 }')
if [ -n "$kinds" ]; then
    echo "  wrong kind (function vs data):"
    echo "$kinds"
    problems+=("symbol kinds")
fi

# 2. only zmq_ symbols
foreign=$(cut -d' ' -f1 "$WORK/ours.syms" | grep -v '^zmq_' || true)
if [ -n "$foreign" ]; then
    echo "  foreign: $(wc -w <<<"$foreign") exported symbol(s) do not start with zmq_:"
    sed -n 's/^/    /; 1,50p' <<<"$foreign"
    [ "$(wc -l <<<"$foreign")" -le 50 ] || echo "    ... ($(wc -l <<<"$foreign") in all)"
    problems+=("non-zmq_ exports")
fi

# 3. SONAME and ELF identity
soname=$(readelf -d "$OURS" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
if [ "$soname" != libzmq.so.5 ]; then
    echo "  SONAME: ours is '${soname:-<none>}', expected libzmq.so.5"
    problems+=("SONAME")
fi
elfid() { readelf -h "$1" | awk -F: '/Class:|Machine:/ { gsub(/^ +/, "", $2); printf "%s;", $2 }'; }
if [ "$(elfid "$OURS")" != "$(elfid "$REF")" ]; then
    echo "  ELF: ours is $(elfid "$OURS") the reference $(elfid "$REF")"
    problems+=("ELF class/machine")
fi

extra=$(join -v2 <(cut -d' ' -f1 "$WORK/ref.syms") <(cut -d' ' -f1 "$WORK/ours.syms") | grep '^zmq_' || true)
n_extra=$(grep -c . <<<"$extra" || true)
if [ "$VERBOSE" = 1 ] && [ -n "$extra" ]; then
    echo "  extra zmq_ exports (not in the reference; allowed):"
    echo "$extra" | sed 's/^/    /'
fi

if [ ${#problems[@]} -gt 0 ]; then
    what=$(printf '%s, ' "${problems[@]}")
    echo "abi-symbols: FAIL: ${what%, } (ours $OURS; reference $REF)"
    exit 1
fi
echo "abi-symbols: OK all $n_ref reference exports present, $n_ours exported in all (all zmq_*," \
     "$n_extra beyond the reference), SONAME libzmq.so.5 (reference $REF)"
