#!/usr/bin/env bash
# interop/run.sh - run ferrozmq against real libzmq in separate processes.
#
#   bash interop/run.sh [--ours LIBDIR] [--ours-include DIR] [--reference]
#                       [--transport tcp|ipc|all|ws|wss] [--quick] [--only REGEX]
#                       [--reference-lib DIR] [--build DIR] [-v]
#
# Compiles interop/peer.c twice (against Debian's libzmq and against ours)
# and runs every scenario x transport x role assignment, one pair of
# processes per case.  Default: "ours" vs libzmq, with ours playing either
# socket of the pair and either binding or connecting (4 cases per scenario
# and transport).  --reference runs libzmq against libzmq (to validate the
# harness itself).  --quick: the basic/filter scenario only, 2 role
# assignments (ours binds, libzmq binds).  --reference-lib DIR: the libzmq
# peer loads DIR/libzmq.so.5 instead of Debian's (a local draft-enabled
# libzmq 4.3.5, which ws:// and wss:// need: Debian's has neither; not in
# make test). wss uses the certificates in interop/wss/ (made for the
# tests: a CA and a server certificate for ferrozmq.test).
#
# Output: one "PASS|FAIL <pair> <scenario> <transport> <who=type/role> ..."
# line per case, then exactly "N passed, N failed".  Exit status 1 if any
# case failed, 2 on a setup problem.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
OURS_LIB=$REPO/build/lib
OURS_INC=$REPO/include
BUILD=$REPO/build/interop
TRANSPORT=all
QUICK=0
REFERENCE=0
REF_LIB=
ONLY=
VERBOSE=0
CASE_TIMEOUT=30     # per process (the peer's own alarm() fires at 25 s)
ENDPOINT_WAIT=10    # seconds to wait for the binding side's endpoint line

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --ours) OURS_LIB=$2; shift 2 ;;
        --ours=*) OURS_LIB=${1#*=}; shift ;;
        --ours-include) OURS_INC=$2; shift 2 ;;
        --ours-include=*) OURS_INC=${1#*=}; shift ;;
        --reference) REFERENCE=1; shift ;;
        --reference-lib) REF_LIB=$(cd "$2" && pwd -P) || exit 2; shift 2 ;;
        --transport) TRANSPORT=$2; shift 2 ;;
        --transport=*) TRANSPORT=${1#*=}; shift ;;
        --quick) QUICK=1; shift ;;
        --only) ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#*=}; shift ;;
        --build) BUILD=$2; shift 2 ;;
        --build=*) BUILD=${1#*=}; shift ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
case "$TRANSPORT" in
    tcp) TRANSPORTS="tcp" ;;
    ipc) TRANSPORTS="ipc" ;;
    all) TRANSPORTS="tcp ipc" ;;
    ws) TRANSPORTS="ws" ;;
    wss) TRANSPORTS="wss" ;;
    *) echo "run.sh: --transport must be tcp, ipc, all, ws or wss" >&2; exit 2 ;;
esac

# Nothing from the caller's environment may redirect which libzmq is loaded.
unset LD_LIBRARY_PATH LD_PRELOAD
export INTEROP_WSS_DIR="$HERE/wss"

CC=${CC:-cc}
# OURS_CC compiles the peer that loads ours (default $CC): scripts/sanitize.sh
# instruments only that one, Debian's libzmq peer stays as CI runs it.
OURS_CC=${OURS_CC:-$CC}
CFLAGS="-std=c99 -O2 -Wall -Wextra"
mkdir -p "$BUILD" || exit 2
LZ_BIN=$BUILD/peer-libzmq
OURS_BIN=$BUILD/peer-ours

# Debian's libzmq: default include and library paths (or --reference-lib,
# bound by DT_RPATH).
LZ_LINK=
[ -n "$REF_LIB" ] && LZ_LINK="-L$REF_LIB -Wl,-rpath,$REF_LIB -Wl,--disable-new-dtags"
if ! $CC $CFLAGS -o "$LZ_BIN" "$HERE/peer.c" $LZ_LINK -lzmq; then
    echo "run.sh: cannot compile peer.c against the system libzmq" >&2; exit 2
fi
if [ "$REFERENCE" = 1 ]; then
    X_BIN=$LZ_BIN
    X_NAME=ref
else
    if [ ! -e "$OURS_LIB/libzmq.so" ] && [ ! -e "$OURS_LIB/libzmq.so.5" ]; then
        echo "run.sh: no libzmq.so in $OURS_LIB (build ferrozmq first)" >&2; exit 2
    fi
    # The linker wants libzmq.so; the staged tree has it, but be tolerant.
    if [ ! -e "$OURS_LIB/libzmq.so" ]; then
        mkdir -p "$BUILD/ourslink" && ln -sf "$(cd "$OURS_LIB" && pwd)/libzmq.so.5" "$BUILD/ourslink/libzmq.so"
        LINKDIR=$BUILD/ourslink
    else
        LINKDIR=$OURS_LIB
    fi
    # DT_RPATH (not RUNPATH) so that nothing but the rpath decides.
    if ! $OURS_CC $CFLAGS -I"$OURS_INC" -o "$OURS_BIN" "$HERE/peer.c" \
            -L"$LINKDIR" -Wl,-rpath,"$(cd "$OURS_LIB" && pwd)" -Wl,--disable-new-dtags -lzmq; then
        echo "run.sh: cannot compile peer.c against ours ($OURS_INC, $OURS_LIB)" >&2; exit 2
    fi
    X_BIN=$OURS_BIN
    X_NAME=ours
fi

# ---------------------------------------------------------------------------
# Which library does each binary really load?  "zmq_version A.B.C header
# A.B.C lib=/real/path" -- every case re-checks its logs against these.
ver_line() { "$1" --version 2>&1 | sed -n 's/^\[version\] //p' | head -n1; }
LZ_VER=$(ver_line "$LZ_BIN")
X_VER=$(ver_line "$X_BIN")
SYS_HDR_VER=$(awk '/#define ZMQ_VERSION_(MAJOR|MINOR|PATCH)/{v=v (v?".":"") $3} END{print v}' /usr/include/zmq.h)
if [ -n "$REF_LIB" ]; then
    case "$LZ_VER" in
        *" lib=$REF_LIB/"*) ;;
        *) echo "run.sh: libzmq peer reports '$LZ_VER', expected a library in $REF_LIB" >&2; exit 2 ;;
    esac
else
    case "$LZ_VER" in
        "zmq_version $SYS_HDR_VER header $SYS_HDR_VER lib=/"*) ;;
        *) echo "run.sh: libzmq peer reports '$LZ_VER', expected Debian's $SYS_HDR_VER" >&2; exit 2 ;;
    esac
fi
# every libzmq* file mapped by the peer (comma separated after "lib=")
libs_under() { # VERLINE DIR -> true if all mapped libzmq files are under DIR
    local l
    IFS=, read -r -a _libs <<<"${1#*lib=}"
    for l in "${_libs[@]}"; do
        case "$l" in "$2"/*) ;; *) return 1 ;; esac
    done
}
case "$LZ_VER" in
    *,*) echo "run.sh: libzmq peer mapped more than one libzmq: $LZ_VER" >&2; exit 2 ;;
esac
if [ -d "$OURS_LIB" ] && libs_under "$LZ_VER" "$(cd "$OURS_LIB" && pwd -P)"; then
    echo "run.sh: the libzmq peer loaded a library from --ours ($LZ_VER); to test libzmq against itself use --reference" >&2; exit 2
fi
if [ "$REFERENCE" = 0 ]; then
    OURS_REAL=$(cd "$OURS_LIB" && pwd -P)
    if ! libs_under "$X_VER" "$OURS_REAL"; then
        echo "run.sh: ours peer loaded a libzmq from outside $OURS_REAL: '$X_VER'" >&2; exit 2
    fi
    # (A --reference-lib libzmq is 4.3.5 too: its path told them apart.)
    if [ -z "$REF_LIB" ] && [ "${X_VER%% header*}" = "${LZ_VER%% header*}" ]; then
        echo "run.sh: ours and libzmq report the same zmq_version; cannot tell them apart" >&2; exit 2
    fi
fi
echo "# libzmq peer: $LZ_VER"
echo "# $X_NAME peer: $X_VER"

# ---------------------------------------------------------------------------
TMP=$(mktemp -d /tmp/zmq-interop.XXXXXX) || exit 2
LIVE_PIDS=()

cleanup() {
    local p
    for p in "${LIVE_PIDS[@]}"; do
        # each peer runs under timeout(1), which leads its own process group
        kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
    done
    LIVE_PIDS=()
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM HUP

# stop a peer (its whole group) and reap it
stop_peer() {
    kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

PASSED=0
FAILED=0
CASE_NO=0

type_of() { # pair side -> socket type name; symmetric pairs get 1 (the side
             # that sends first) and 2, e.g. dealer1 / dealer2
    local t
    if [ "$2" = a ]; then t=${1%%-*}; else t=${1#*-}; fi
    if [ "${1%%-*}" = "${1#*-}" ]; then
        if [ "$2" = a ]; then t=${t}1; else t=${t}2; fi
    fi
    echo "$t"
}
other() { if [ "$1" = a ]; then echo b; else echo a; fi; }

# Explain a failure from a peer log: its FAIL line, or its last line.
why() {
    local f
    f=$(grep -m1 'FAIL' "$1" 2>/dev/null)
    [ -n "$f" ] || f=$(tail -n1 "$1" 2>/dev/null)
    [ -n "$f" ] || f="(no output)"
    printf '%s' "$f"
}

outcome() { # RC LOG
    case "$1" in
        0) printf 'ok' ;;
        killed) printf 'stopped by the runner after the other side failed' ;;
        124|137) printf 'killed by timeout(1) after %s s: %s' "$CASE_TIMEOUT" "$(why "$2")" ;;
        *) printf 'exit %s: %s' "$1" "$(why "$2")" ;;
    esac
}

# run_case PAIR SCENARIO TRANSPORT XSIDE BINDSIDE
#   XSIDE: the side (a|b) played by the X library (ours, or ref); the other
#   side is played by libzmq.  BINDSIDE: which side binds.
run_case() {
    local pair=$1 sc=$2 tr=$3 xside=$4 bside=$5
    local lside cside xrole lrole label bbin cbin bver cver ep line
    local bpid cpid first rc1 rc2 brc crc reason=""
    lside=$(other "$xside")
    cside=$(other "$bside")
    if [ "$xside" = "$bside" ]; then xrole=bind; lrole=connect; else xrole=connect; lrole=bind; fi
    label="$pair $sc $tr $X_NAME=$(type_of "$pair" "$xside")/$xrole libzmq=$(type_of "$pair" "$lside")/$lrole"
    if [ -n "$ONLY" ] && ! [[ "$label" =~ $ONLY ]]; then return; fi

    CASE_NO=$((CASE_NO + 1))
    local t0=${EPOCHREALTIME/./}
    if [ "$xside" = "$bside" ]; then
        bbin=$X_BIN; bver=$X_VER; cbin=$LZ_BIN; cver=$LZ_VER
    else
        bbin=$LZ_BIN; bver=$LZ_VER; cbin=$X_BIN; cver=$X_VER
    fi
    case "$tr" in
        tcp) ep='tcp://127.0.0.1:*' ;;
        ipc) ep="ipc://$TMP/s$CASE_NO.ipc" ;;
        ws) ep='ws://127.0.0.1:*' ;;
        wss) ep='wss://127.0.0.1:*' ;;
    esac
    local fifo=$TMP/ep.fifo blog=$TMP/bind.log clog=$TMP/connect.log
    rm -f "$fifo" "$blog" "$clog"
    mkfifo "$fifo" || { echo "run.sh: mkfifo failed" >&2; exit 2; }

    # binding side: prints its resolved endpoint(s) as one line on stdout
    timeout -k 2 "$CASE_TIMEOUT" "$bbin" "$pair" "$bside" bind "$ep" "$sc" >"$fifo" 2>"$blog" &
    bpid=$!
    LIVE_PIDS=("$bpid")
    line=
    read -r -t "$ENDPOINT_WAIT" line <"$fifo"
    rm -f "$fifo"

    if [ -z "$line" ]; then
        stop_peer "$bpid"
        LIVE_PIDS=()
        reason="bind side gave no endpoint: $(why "$blog")"
        cpid=
    else
        timeout -k 2 "$CASE_TIMEOUT" "$cbin" "$pair" "$cside" connect "$line" "$sc" 2>"$clog" &
        cpid=$!
        LIVE_PIDS=("$bpid" "$cpid")
        first=
        wait -n -p first "$bpid" "$cpid"
        rc1=$?
        if [ "$first" = "$bpid" ]; then brc=$rc1; else crc=$rc1; fi
        if [ "$rc1" -ne 0 ]; then
            # one side failed: the other cannot finish; don't wait for its timeouts
            if [ "$first" = "$bpid" ]; then stop_peer "$cpid"; crc=killed; else stop_peer "$bpid"; brc=killed; fi
        else
            if [ "$first" = "$bpid" ]; then wait "$cpid"; crc=$?; else wait "$bpid"; brc=$?; fi
        fi
        LIVE_PIDS=()
        if [ "$brc" != 0 ] || [ "$crc" != 0 ]; then
            reason="bind side: $(outcome "$brc" "$blog") || connect side: $(outcome "$crc" "$clog")"
        fi
    fi

    # The logs must prove which library each side really loaded.
    if [ -z "$reason" ]; then
        if [ "$(sed -n '1s/^\[[^]]*\] //p' "$blog")" != "$bver" ]; then
            reason="bind side did not load the expected library: $(head -n1 "$blog")"
        elif [ "$(sed -n '1s/^\[[^]]*\] //p' "$clog")" != "$cver" ]; then
            reason="connect side did not load the expected library: $(head -n1 "$clog")"
        fi
    fi
    rm -f "$TMP/s$CASE_NO.ipc" "$TMP/s$CASE_NO.ipc.back"

    local ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
    if [ -z "$reason" ]; then
        PASSED=$((PASSED + 1))
        echo "PASS $label (${ms} ms)"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $label (${ms} ms)"
        echo "     $reason"
    fi
    if [ "$VERBOSE" = 1 ]; then
        sed 's/^/     | /' "$blog" "$clog" 2>/dev/null
    fi
}

PAIRS_REQREP="pair-pair push-pull req-rep req-router dealer-rep dealer-router dealer-dealer router-router"
PAIRS_PUBSUB="pub-sub xpub-sub pub-xsub xpub-xsub"
if [ "$QUICK" = 1 ]; then
    SC_REQREP="basic"; SC_PUBSUB="filter"
    # ours plays side a: binding; then libzmq plays side a: binding
    ASSIGN="a:a b:a"
else
    SC_REQREP="basic multipart sizes"; SC_PUBSUB="filter sizes"
    # xside:bindside -- both libraries in both sockets and both roles
    ASSIGN="a:a a:b b:a b:b"
fi

# Feature scenarios (peer.c): which pairs run each one.
FEATURES="monitor:dealer-router monitor:push-pull heartbeat:dealer-router heartbeat:pair-pair proxy:req-rep"
# Security (side a the client, side b the server with a ZAP handler).
FEATURES="$FEATURES plain:dealer-router plain:push-pull curve:dealer-router curve:req-rep"
FEATURES="$FEATURES curve-nozap:pair-pair zap-deny:dealer-router curve-badkey:dealer-router"
[ "$QUICK" = 1 ] && FEATURES="monitor:dealer-router proxy:req-rep curve:dealer-router"
# Over ws, libzmq reports HANDSHAKE_SUCCEEDED once the HTTP upgrade is done,
# before the mechanism's handshake, so its side of a refused handshake looks
# like a success (libzmq against itself fails these two the same way).
case "$TRANSPORT" in ws|wss) FEATURES=$(echo " $FEATURES " | sed 's/ zap-deny:[^ ]*//; s/ curve-badkey:[^ ]*//') ;; esac

START=$(date +%s)
for tr in $TRANSPORTS; do
    for pair in $PAIRS_REQREP $PAIRS_PUBSUB; do
        case " $PAIRS_PUBSUB " in *" $pair "*) scs=$SC_PUBSUB ;; *) scs=$SC_REQREP ;; esac
        for sc in $scs; do
            for as in $ASSIGN; do
                run_case "$pair" "$sc" "$tr" "${as%%:*}" "${as##*:}"
            done
        done
    done
    for f in $FEATURES; do
        for as in $ASSIGN; do
            run_case "${f#*:}" "${f%%:*}" "$tr" "${as%%:*}" "${as##*:}"
        done
    done
done
echo "# $((PASSED + FAILED)) cases in $(( $(date +%s) - START )) s ($X_NAME vs libzmq)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
