#!/usr/bin/env bash
# interop/draft-run.sh - the draft socket types against a draft-enabled libzmq.
#
#   bash interop/draft-run.sh --reference-lib DIR [--ours LIBDIR] [--only REGEX]
#
# DIR holds a libzmq.so.5 built with the draft API (libzmq 4.3.5,
# -DENABLE_DRAFTS=ON); Debian's libzmq has none, so this is a local check,
# not part of `make test`. interop/draft_peer.c is built once against our
# header (-DZMQ_BUILD_DRAFT_API) and run as two processes, one on each
# library (chosen by LD_LIBRARY_PATH): every scenario x transport x which
# library plays which side x which side binds, where the transport allows.
# Output: "PASS|FAIL <scenario> <transport> a=<lib>/<bind|connect>
# b=<lib>/..." per case, then "N passed, N failed".
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
OURS=$REPO/build/lib
REF=
ONLY=
while [ $# -gt 0 ]; do
    case "$1" in
        --reference-lib) REF=$2; shift 2 ;;
        --ours) OURS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        *) sed -n '2,14p' "$0"; exit 2 ;;
    esac
done
[ -n "$REF" ] && [ -e "$REF/libzmq.so.5" ] || { echo "draft-run.sh: --reference-lib DIR with a draft libzmq.so.5 is required" >&2; exit 2; }
REF=$(cd "$REF" && pwd); OURS=$(cd "$OURS" && pwd)
unset LD_PRELOAD
export INTEROP_WSS_DIR="$HERE/wss"
BUILD=$REPO/build/interop-draft
mkdir -p "$BUILD"
cc -std=c99 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -I"$REPO/include" "$HERE/draft_peer.c" \
    -L"$OURS" -lzmq -o "$BUILD/draft_peer" || exit 2
for lib in "$OURS" "$REF"; do
    LD_LIBRARY_PATH=$lib ldd "$BUILD/draft_peer" | grep -q "$lib/libzmq.so.5" \
        || { echo "draft-run.sh: $lib/libzmq.so.5 is not what the peer loads" >&2; exit 2; }
done

passed=0; failed=0; port=$((30000 + RANDOM % 20000))
name() { [ "$1" = "$OURS" ] && echo ours || echo libzmq; }

# run_case SCENARIO TRANSPORT LIB_A LIB_B BINDER(a|b)
run_case() {
    local sc=$1 tr=$2 la=$3 lb=$4 binder=$5 ep
    port=$((port + 1))
    case "$tr" in
        tcp) ep="tcp://127.0.0.1:*" ;;
        ipc) ep="ipc://*" ;;
        udp) ep="udp://127.0.0.1:$port" ;;
        ws) ep="ws://127.0.0.1:*" ;;
        wss) ep="wss://127.0.0.1:*" ;;
    esac
    local lbind lconn sbind sconn
    if [ "$binder" = a ]; then lbind=$la lconn=$lb sbind=a sconn=b; else lbind=$lb lconn=$la sbind=b sconn=a; fi
    local out=$BUILD/case.$$ fifo=$BUILD/fifo.$$
    rm -f "$fifo"; mkfifo "$fifo"
    LD_LIBRARY_PATH=$lbind timeout 30 "$BUILD/draft_peer" "$sc" "$sbind" bind "$ep" >"$fifo" 2>"$out.bind" &
    local bpid=$!
    local line resolved=
    if read -r -t 10 line <"$fifo"; then resolved=${line#ENDPOINT }; fi
    rm -f "$fifo"
    local rc_c=2 rc_b
    if [ -n "$resolved" ]; then
        # udp: LAST_ENDPOINT may not name the port libzmq bound; we chose it.
        [ "$tr" = udp ] && resolved=$ep
        LD_LIBRARY_PATH=$lconn timeout 30 "$BUILD/draft_peer" "$sc" "$sconn" connect "$resolved" 2>"$out.conn"
        rc_c=$?
    fi
    wait "$bpid"; rc_b=$?
    local desc="$sc $tr a=$(name "$la")/$([ "$binder" = a ] && echo bind || echo connect) b=$(name "$lb")/$([ "$binder" = b ] && echo bind || echo connect)"
    if [ $rc_b -eq 0 ] && [ $rc_c -eq 0 ]; then
        echo "PASS $desc"; passed=$((passed + 1))
    else
        echo "FAIL $desc (bind side rc=$rc_b, connect side rc=$rc_c)"
        sed 's/^/    /' "$out.bind" "$out.conn" 2>/dev/null | tail -6
        failed=$((failed + 1))
    fi
    rm -f "$out.bind" "$out.conn"
}

for sc in client-server scatter-gather channel peer radio-dish dgram; do
    [ -n "$ONLY" ] && ! [[ $sc =~ $ONLY ]] && continue
    case "$sc" in
        radio-dish) transports="tcp ipc ws wss udp" ;;
        dgram) transports="udp" ;;
        *) transports="tcp ipc ws wss" ;;
    esac
    for tr in $transports; do
        for pair in "$OURS $REF" "$REF $OURS"; do
            set -- $pair
            for binder in a b; do
                # PEER: b connects with zmq_connect_peer. udp: the DISH binds;
                # DGRAM: a binds, b sends from a port of its own.
                [ "$sc" = peer ] && [ "$binder" = b ] && continue
                [ "$tr" = udp ] && [ "$sc" = radio-dish ] && [ "$binder" = a ] && continue
                [ "$sc" = dgram ] && [ "$binder" = b ] && continue
                run_case "$sc" "$tr" "$1" "$2" "$binder"
            done
        done
    done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
