#!/usr/bin/env bash
# Builds pyzmq from its sdist twice, the same version both times:
#   build/bindings/python/venv-ours    linked against ferrozmq (build/lib/libzmq.so.5)
#   build/bindings/python/venv-debian  linked against Debian's libzmq (/usr)
# and checks which libzmq each one really loads.
#
# Usage: bindings/python/build.sh [ours|debian|all]     (default: all)
# Env:   PYTHON=python3         interpreter the venvs are made from
#        PYZMQ_VERSION=27.3.0   a pinned pyzmq instead of the newest one
#        PYZMQ_REFRESH=1        ask PyPI again for the newest sdist
#        FORCE=1                rebuild even when the stamp says it is built
#
# Idempotent: a venv whose stamp matches (pyzmq version, prefix, zmq.h) and
# whose check passes is left alone, so a re-run takes a couple of seconds.
#
# What pyzmq (scikit-build-core + CMake) needs to build against a given
# libzmq: ZMQ_PREFIX=<prefix> in the environment (or -Ccmake.define.ZMQ_PREFIX).
# With an explicit prefix its CMakeLists looks only in <prefix>/include and
# <prefix>/lib, stops with an error when libzmq is not there (it never falls
# back to bundling), and puts <prefix>/lib into the extension's RUNPATH, so
# no LD_LIBRARY_PATH is needed at run time. PYZMQ_NO_BUNDLE=1 is set too, so
# that even the 'auto' search could not quietly fetch and bundle a libzmq.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/build/bindings/python
PREFIX_OURS=$ROOT/build
PREFIX_DEBIAN=/usr
PYTHON=${PYTHON:-python3}
WHICH=${1:-all}
mkdir -p "$OUT/dl" "$OUT/src" "$OUT/logs"

log() { echo "build.sh: $*"; }
die() { echo "build.sh: error: $*" >&2; exit 1; }

case "$WHICH" in ours|debian|all) ;; *) die "usage: $0 [ours|debian|all]";; esac
[ -f "$PREFIX_OURS/lib/libzmq.so.5" ] && [ -f "$PREFIX_OURS/include/zmq.h" ] \
    || die "$PREFIX_OURS has no lib/libzmq.so.5 + include/zmq.h: run 'make stage' first"

# Debian's libzmq and the toolchain (idempotent: only missing packages).
need=()
for pkg in libzmq3-dev libzmq5 pkg-config gcc g++ cmake python3-dev python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 $SUDO apt-get update -qq
    timeout 900 $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A venv with its build requirements (pyzmq's [build-system] requires), so
# that the build itself runs without isolation and can be repeated offline.
make_venv() { # DIR
    local dir=$1
    if [ ! -x "$dir/bin/python" ]; then
        log "creating venv $dir"
        "$PYTHON" -m venv "$dir"
    fi
    if ! "$dir/bin/python" -c 'import Cython, scikit_build_core, packaging' 2>/dev/null; then
        log "installing build requirements into $dir"
        timeout 600 "$dir/bin/python" -m pip install -q --disable-pip-version-check \
            'cython>=3.0.0' 'scikit-build-core>=0.10' packaging
    fi
}

# --- the sdist: newest on PyPI (once), or PYZMQ_VERSION ---------------------
make_venv "$OUT/venv-ours"
PIP_DL=("$OUT/venv-ours/bin/python" -m pip download --disable-pip-version-check
        --no-binary :all: --no-deps --no-build-isolation -d "$OUT/dl")
if [ -n "${PYZMQ_VERSION:-}" ]; then
    SDIST=$OUT/dl/pyzmq-$PYZMQ_VERSION.tar.gz
    [ -f "$SDIST" ] || timeout 300 "${PIP_DL[@]}" "pyzmq==$PYZMQ_VERSION" >"$OUT/logs/download.log" 2>&1 \
        || { cat "$OUT/logs/download.log"; die "pip download pyzmq==$PYZMQ_VERSION failed"; }
else
    if [ "${PYZMQ_REFRESH:-0}" = 1 ] || ! ls "$OUT"/dl/pyzmq-*.tar.gz >/dev/null 2>&1; then
        log "downloading the newest pyzmq sdist from PyPI"
        timeout 300 "${PIP_DL[@]}" pyzmq >"$OUT/logs/download.log" 2>&1 \
            || { cat "$OUT/logs/download.log"; die "pip download pyzmq failed"; }
    fi
    SDIST=$(ls "$OUT"/dl/pyzmq-*.tar.gz | sort -V | tail -1)
fi
[ -f "$SDIST" ] || die "no sdist $SDIST"
VERSION=$(basename "$SDIST" .tar.gz); VERSION=${VERSION#pyzmq-}
SRC=$OUT/src/pyzmq-$VERSION
if [ ! -f "$SRC/pyproject.toml" ]; then
    log "unpacking $(basename "$SDIST")"
    rm -rf "$SRC"; tar xzf "$SDIST" -C "$OUT/src"
fi
echo "$VERSION" >"$OUT/pyzmq-version"

# --- the check: which libzmq does `import zmq` map? --------------------------
# Prints "VERSION PATH" of the libzmq the process really loaded.
probe() { # VENV
    env -u LD_LIBRARY_PATH -u LD_PRELOAD -C /tmp "$1/bin/python" -c '
import os, zmq
paths = set()
with open("/proc/self/maps") as f:
    for line in f:
        p = line.split()[-1]
        if os.path.basename(p).startswith("libzmq.so"):
            paths.add(os.path.realpath(p))
assert len(paths) == 1, paths
print(zmq.zmq_version(), zmq.pyzmq_version(), paths.pop())
'
}

check() { # KIND VENV
    local kind=$1 venv=$2 got ver pyver path
    got=$(probe "$venv" 2>&1) || { echo "$got"; return 1; }
    read -r ver pyver path <<<"$got"
    [ "$pyver" = "$VERSION" ] || { echo "pyzmq $pyver, expected $VERSION"; return 1; }
    if [ "$kind" = ours ]; then
        [ "$ver" = 4.3.5 ] || { echo "zmq_version $ver, expected 4.3.5"; return 1; }
        [ "$path" = "$(realpath "$PREFIX_OURS/lib/libzmq.so.5")" ] || { echo "loaded $path, expected $PREFIX_OURS/lib/libzmq.so.5"; return 1; }
    else
        case "$path" in "$PREFIX_OURS"/*) echo "debian venv loaded ours: $path"; return 1;; esac
    fi
    # Not statically bundled: the extension defines no zmq_* symbol itself.
    local ext
    ext=$(ls "$venv"/lib/python3*/site-packages/zmq/backend/cython/_zmq*.so)
    if nm -D --defined-only "$ext" | grep -q ' zmq_'; then echo "$ext contains a bundled libzmq"; return 1; fi
    echo "$kind: pyzmq $pyver, zmq_version() $ver, loaded $path"
}

stamp_of() { # PREFIX
    echo "pyzmq=$VERSION prefix=$1 python=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])') header=$(sha256sum "$1/include/zmq.h" | cut -c1-16)"
}

build_one() { # KIND PREFIX
    local kind=$1 prefix=$2 venv=$OUT/venv-$1 stamp
    stamp=$(stamp_of "$prefix")
    if [ "${FORCE:-0}" != 1 ] && [ "$(cat "$venv/.ferrozmq-stamp" 2>/dev/null)" = "$stamp" ] \
        && check "$kind" "$venv" >/dev/null 2>&1; then
        log "$(check "$kind" "$venv") (already built)"
        return 0
    fi
    make_venv "$venv"
    log "building pyzmq $VERSION against $prefix into $venv (log: $OUT/logs/build-$kind.log)"
    local t0=$SECONDS
    rm -f "$venv/.ferrozmq-stamp"
    # The extension links <prefix>/lib/libzmq.so (the .so, not the .a:
    # CMake prefers shared) and gets RUNPATH=<prefix>/lib.
    # Debian's libzmq lives in /usr/lib/<multiarch>, where ZMQ_PREFIX=/usr
    # does not look (it searches <prefix>/lib only): that one is found by
    # pyzmq's 'auto' search through pkg-config, with ours kept off its path.
    local zprefix=$prefix
    [ "$kind" = debian ] && zprefix=auto
    if ! env -u PKG_CONFIG_PATH -u LD_LIBRARY_PATH ZMQ_PREFIX=$zprefix PYZMQ_NO_BUNDLE=1 ZMQ_DRAFT_API=0 PYZMQ_LIBZMQ_RPATH=ON \
        CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
        timeout 1200 "$venv/bin/python" -m pip install --disable-pip-version-check --no-deps \
            --no-build-isolation --no-cache-dir --force-reinstall -v \
            -Cbuild-dir="$OUT/skbuild-$kind" "$SDIST" >"$OUT/logs/build-$kind.log" 2>&1; then
        tail -40 "$OUT/logs/build-$kind.log"
        die "building pyzmq against $prefix failed"
    fi
    grep -E "Looking for libzmq|found: |Adding .* to RPATH|Bundling" "$OUT/logs/build-$kind.log" | sed 's/^/    cmake: /' || true
    local msg
    msg=$(check "$kind" "$venv") || { echo "$msg"; die "$kind venv check failed"; }
    echo "$stamp" >"$venv/.ferrozmq-stamp"
    log "$msg (built in $((SECONDS - t0)) s)"
}

if [ "$WHICH" = ours ] || [ "$WHICH" = all ]; then build_one ours "$PREFIX_OURS"; fi
if [ "$WHICH" = debian ] || [ "$WHICH" = all ]; then build_one debian "$PREFIX_DEBIAN"; fi
