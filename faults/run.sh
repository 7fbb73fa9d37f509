#!/usr/bin/env bash
# Fault injection: each scenario of faults/fault.c, against ferrozmq
# (build/lib) and against Debian's libzmq, each run in its own network
# namespace (loopback only) so its nft rules touch nothing else.
#
# usage: faults/run.sh [--ours DIR] [--libzmq DIR] [--only REGEX] [--out DIR] [-v]
#
# Prints one line per scenario and library, a table, then the line
# "N passed, N failed".  Scenarios that need nft (partition, loss) run only
# where we are root, `ip netns` works and nft is installed; otherwise they
# are skipped (not counted) and the rest run on the host's loopback.
# tc netem is not used: this machine's kernel has no sch_netem; nft drop
# rules make partitions and random loss, faults/relay.c makes delay, stalls
# (half-open paths) and resets.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
ours="$root/build/lib"
libzmq="$(dirname "$(${CC:-cc} -print-file-name=libzmq.so.5)")"
only=.
verbose=0
out="$root/build/faults"
while [ $# -gt 0 ]; do
    case "$1" in
        --ours) ours="$2"; shift 2 ;;
        --libzmq) libzmq="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -v) verbose=1; shift ;;
        *) sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
cc -O2 -Wall -Wextra -o "$out/relay" "$here/relay.c" || exit 2
cc -O2 -Wall -Wextra -I"$root/include" -o "$out/fault" "$here/fault.c" \
    -L"$ours" -lzmq -lpthread || exit 2
export FAULT_RELAY="$out/relay"

# Can we make namespaces and firewall them?
netns=0
probe="fzprobe$$"
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && command -v nft >/dev/null \
    && ip netns add "$probe" 2>/dev/null; then
    if ip netns exec "$probe" ip link set lo up 2>/dev/null \
        && ip netns exec "$probe" nft add table inet probe 2>/dev/null; then
        netns=1
    fi
    ip netns del "$probe" 2>/dev/null
fi
[ $netns -eq 1 ] || echo "SKIP nft scenarios: needs root, ip netns and nft (running the rest on the host's loopback)"

# Interrupted or not, no namespace of ours outlives the run.
live_ns=""
trap '[ -z "$live_ns" ] || ip netns del "$live_ns" 2>/dev/null' EXIT

passed=0; failed=0; skipped=0
rows=()
while read -r name needs; do
    [[ "$name" =~ $only ]] || continue
    for side in ours libzmq; do
        dir=$ours; [ $side = libzmq ] && dir=$libzmq
        if [ "$needs" = nft ] && [ $netns -eq 0 ]; then
            echo "SKIP $name $side (needs a network namespace)"
            skipped=$((skipped + 1)); continue
        fi
        ns=""
        wrap=()
        if [ $netns -eq 1 ]; then
            ns="fz$$-$side-${name:0:12}"
            ip netns add "$ns" && live_ns=$ns && ip netns exec "$ns" ip link set lo up \
                || { echo "FAIL $name $side: netns"; failed=$((failed+1)); continue; }
            # Ethernet-sized segments, so 10 % loss hits many packets.
            ip netns exec "$ns" ip link set lo mtu 1500
            wrap=(ip netns exec "$ns")
        fi
        t0=$(date +%s%N)
        log="$out/$name.$side.log"
        "${wrap[@]}" env LD_LIBRARY_PATH="$dir" timeout -k 5 60 nice -n 5 "$out/fault" "$name" >"$log" 2>&1
        rc=$?
        ms=$(( ($(date +%s%N) - t0) / 1000000 ))
        [ -n "$ns" ] && ip netns del "$ns" && live_ns=""
        line=$(grep '^RESULT ' "$log" | tail -1)
        version=$(sed -n 's/^zmq_version //p' "$log" | head -1)
        want=4.3.4; [ $side = ours ] && want=4.3.5
        if [ -z "$line" ]; then line="RESULT $name FAIL why=\"exit $rc, no result\""; rc=1; fi
        if [ "$version" != "$want" ]; then line="$line wrong-library=$version"; rc=1; fi
        verdict=PASS; [ $rc -eq 0 ] || verdict=FAIL
        echo "$verdict $name $side (${ms} ms): ${line#RESULT $name * }"
        if [ $verdict = FAIL ] || [ $verbose -eq 1 ]; then sed 's/^/    /' "$log" | grep -v '^    RESULT' | tail -20; fi
        if [ $verdict = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
        get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
        rows+=("$(printf '%-34s %-6s %-4s %8s %8s %6s %4s %8s %8s' "$name" "$side" "$verdict" \
            "$(get sent)" "$(get received)" "$(get lost)" "$(get dup)" "$(get detect_ms)" "$(get reconnect_ms)")")
    done
done < <("$out/fault" --list)

echo
printf '%-34s %-6s %-4s %8s %8s %6s %4s %8s %8s\n' scenario lib res sent received lost dup detectms reconnms
printf '%s\n' "${rows[@]}"
echo
[ $skipped -eq 0 ] || echo "$skipped skipped (no network namespace)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
