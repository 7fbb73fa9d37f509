#!/usr/bin/env bash
# bindings/cpp/run.sh - cppzmq test programs on ferrozmq (and on libzmq).
#
#   bash bindings/cpp/run.sh [--ours LIBDIR] [--reference | --both]
#                            [--poller | --no-poller] [--only REGEX]
#                            [--build DIR] [--timeout S] [--no-install] [-v]
#
# Installs what it needs from Debian if missing (cppzmq-dev, libzmq3-dev,
# pkg-config, g++), compiles the programs here (zmq.hpp/zmq_addon.hpp from
# cppzmq-dev) into build/bindings/cpp/, and runs each under `timeout`.
#
# Default: against ferrozmq: compiled with `pkg-config --cflags --libs
# libzmq` from LIBDIR/pkgconfig (default build/lib of this repository, so
# ferrozmq's zmq.h and libzmq.so) and run with LD_LIBRARY_PATH=LIBDIR.
# Each program first proves from /proc/self/maps that the libzmq mapped is
# LIBDIR's (FERRO_EXPECT_LIBDIR) and prints zmq_version().  --reference:
# the same programs compiled against and run on Debian's libzmq, to show
# the tests pin libzmq's behaviour.  --both: ferrozmq, then libzmq.
# poller.cpp (zmq::poller_t, the draft zmq_poller_* API, built with
# -DZMQ_BUILD_DRAFT_API) runs against ferrozmq unless --no-poller; it is
# never run against Debian's libzmq, which is not a draft build (no
# zmq_poller_* symbols): an INFO line says so.
#
# Output: "PASS <lib>/<check>" or "FAIL <lib>/<check>: <reason>" per check
# (<lib> is ferrozmq or libzmq), INFO lines saying which library answered,
# then exactly "N passed, M failed" as the last line.  Exit status 1 if
# anything failed, 2 on a setup problem.  Logs (stderr) under BUILD/logs/.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OURS_LIB=$REPO/build/lib
BUILD=$REPO/build/bindings/cpp
MODES=ours
ONLY=
TIMEOUT=120
INSTALL=1
VERBOSE=0
PROGRAMS="test_socket test_multipart test_monitor test_poll"
POLLER=1

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --ours) OURS_LIB=$2; shift 2 ;;
        --ours=*) OURS_LIB=${1#*=}; shift ;;
        --reference) MODES=ref; shift ;;
        --both) MODES="ours ref"; shift ;;
        --poller) POLLER=1; shift ;;
        --no-poller) POLLER=0; shift ;;
        --only) ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#*=}; shift ;;
        --build) BUILD=$2; shift 2 ;;
        --build=*) BUILD=${1#*=}; shift ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --timeout=*) TIMEOUT=${1#*=}; shift ;;
        --no-install) INSTALL=0; shift ;;
        -v|--verbose) VERBOSE=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
    esac
done

# ---- packages -------------------------------------------------------------
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$INSTALL" = 0 ]; then
        echo "run.sh: missing packages: ${missing[*]} (and --no-install given)" >&2
        return 1
    fi
    local sudo=
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "run.sh: need root or sudo to install ${missing[*]}" >&2; return 1; }
        sudo=sudo
    fi
    echo "run.sh: installing ${missing[*]}" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || return 1
}
need_packages cppzmq-dev libzmq3-dev pkg-config g++ coreutils || exit 2

# Nothing from the caller's environment may redirect which libzmq is loaded.
unset LD_LIBRARY_PATH LD_PRELOAD

OURS_LIB=$(cd "$OURS_LIB" 2>/dev/null && pwd) || { echo "run.sh: no directory $OURS_LIB" >&2; exit 2; }
CXX=${CXX:-g++}
CXXFLAGS="-std=c++17 -O1 -g -Wall -Wextra"
mkdir -p "$BUILD/logs" || exit 2

# Debian's libzmq: where the loader finds it without LD_LIBRARY_PATH.
ref_libdir() {
    local path
    path=$(ldconfig -p | awk '/libzmq\.so\.5 .*x86-64|libzmq\.so\.5 \(libc6\)/ {print $NF; exit}')
    [ -n "$path" ] || path=$(ldconfig -p | awk '/libzmq\.so\.5 / {print $NF; exit}')
    [ -n "$path" ] && dirname "$(readlink -f "$path")"
}

PASSED=0
FAILED=0

# build MODE: compile every program for MODE into $BUILD/MODE/.
build() {
    local mode=$1 out=$BUILD/$1 flags libs t
    mkdir -p "$out" || return 1
    if [ "$mode" = ours ]; then
        [ -d "$OURS_LIB/pkgconfig" ] || { echo "run.sh: no $OURS_LIB/pkgconfig" >&2; return 1; }
        export PKG_CONFIG_PATH=$OURS_LIB/pkgconfig
    else
        unset PKG_CONFIG_PATH
    fi
    flags=$(pkg-config --cflags libzmq) && libs=$(pkg-config --libs libzmq) || return 1
    BUILT=
    local programs=$PROGRAMS extra
    if [ "$POLLER" = 1 ]; then
        if [ "$mode" = ours ]; then
            programs="$programs poller"
        else
            echo "INFO libzmq/cppzmq.poller: not run: Debian's libzmq is not a draft build (no zmq_poller_*)"
        fi
    fi
    for t in $programs; do
        extra=
        [ "$t" = poller ] && extra=-DZMQ_BUILD_DRAFT_API
        if $CXX $CXXFLAGS $extra $flags -o "$out/$t" "$HERE/$t.cpp" $libs -pthread \
                >"$BUILD/logs/build-$mode-$t.log" 2>&1; then
            BUILT="$BUILT $t"
        else
            echo "FAIL $(label "$mode")/cppzmq.${t#test_}.build: compile failed, see $BUILD/logs/build-$mode-$t.log"
            FAILED=$((FAILED + 1))
            [ "$VERBOSE" = 1 ] && cat "$BUILD/logs/build-$mode-$t.log"
        fi
    done
    unset PKG_CONFIG_PATH
}

label() { if [ "$1" = ours ]; then echo ferrozmq; else echo libzmq; fi; }

# run_one MODE PROGRAM
run_one() {
    local mode=$1 t=$2 lib env_lib expect_dir expect_version bin out rc log nfail npass
    lib=$(label "$mode")
    bin=$BUILD/$mode/$t
    log=$BUILD/logs/run-$mode-$t.log
    if [ "$mode" = ours ]; then
        expect_dir=$OURS_LIB
        expect_version=$(PKG_CONFIG_PATH=$OURS_LIB/pkgconfig pkg-config --modversion libzmq)
        env_lib=(LD_LIBRARY_PATH="$OURS_LIB")
    else
        expect_dir=$REF_LIB
        expect_version=$(pkg-config --modversion libzmq)
        env_lib=()
    fi
    out=$(cd "$BUILD" && env "${env_lib[@]}" FERRO_EXPECT_LIBDIR="$expect_dir" \
          FERRO_EXPECT_VERSION="$expect_version" \
          timeout -k 5 "$TIMEOUT" "$bin" 2>"$log")
    rc=$?
    # Name every check after the library it ran on
    out=$(printf '%s\n' "$out" | sed -E "s#^(PASS|FAIL|INFO) #\1 $lib/#")
    [ -n "$out" ] && printf '%s\n' "$out"
    npass=$(printf '%s\n' "$out" | grep -c '^PASS ')
    nfail=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    PASSED=$((PASSED + npass))
    FAILED=$((FAILED + nfail))
    # The process itself: killed, crashed, or failed without saying why
    local why=
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        why="timed out after ${TIMEOUT}s"
    elif [ "$rc" -gt 128 ]; then
        why="killed by signal $((rc - 128))"
    elif [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
        why="exited with status $rc and no FAIL line"
    elif [ "$rc" = 0 ] && [ "$npass" = 0 ]; then
        why="ran no check"
    elif [ "$rc" != 0 ] && [ "$rc" != 1 ] && [ "$rc" != 3 ]; then
        why="exited with status $rc"
    fi
    if [ -n "$why" ]; then
        echo "FAIL $lib/cppzmq.${t#test_}: the program $why (stderr: $log)"
        FAILED=$((FAILED + 1))
    fi
    if [ "$VERBOSE" = 1 ] && [ -s "$log" ]; then
        tail -20 "$log" | sed "s#^#    $lib/$t stderr: #"
    fi
}

REF_LIB=$(ref_libdir)
for mode in $MODES; do
    if [ "$mode" = ref ] && [ -z "$REF_LIB" ]; then
        echo "run.sh: Debian's libzmq.so.5 not found by ldconfig" >&2; exit 2
    fi
    if [ "$mode" = ours ] && [ ! -e "$OURS_LIB/libzmq.so.5" ]; then
        echo "run.sh: no libzmq.so.5 in $OURS_LIB (build ferrozmq first)" >&2; exit 2
    fi
    build "$mode" || { echo "run.sh: cannot set up the build for $(label "$mode")" >&2; exit 2; }
    for t in $BUILT; do
        if [ -n "$ONLY" ] && ! [[ "cppzmq.${t#test_}" =~ $ONLY ]]; then
            continue
        fi
        run_one "$mode" "$t"
    done
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
