#!/usr/bin/env bash
# The staged prefix is usable as libzmq: pkg-config finds version 4.3.5, a C
# program builds with its flags and runs against our library (shared and
# static), the soname is libzmq.so.5 and only zmq_* symbols are exported.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export PKG_CONFIG_PATH=$B/lib/pkgconfig

v=$(pkg-config --modversion libzmq)
[ "$v" = "4.3.5" ] || { echo "pkg-config --modversion libzmq gave '$v', want 4.3.5"; exit 1; }
echo "pkg-config --modversion libzmq: $v"

cat > "$W/prog.c" <<'C'
#include <zmq.h>
#include <stdio.h>
#include <string.h>
int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    void *ctx = zmq_ctx_new ();
    zmq_msg_t msg;
    if (!ctx || zmq_msg_init_size (&msg, 5) != 0) return 1;
    memcpy (zmq_msg_data (&msg), "hello", 5);
    int ok = zmq_msg_size (&msg) == 5 && zmq_ctx_get (ctx, ZMQ_IO_THREADS) == 1;
    zmq_msg_close (&msg);
    if (zmq_ctx_term (ctx) != 0) return 1;
    printf ("zmq %d.%d.%d %s\n", major, minor, patch, ok ? "ok" : "BAD");
    return !(ok && major == 4 && minor == 3 && patch == 5);
}
C
# shellcheck disable=SC2046
cc "$W/prog.c" -o "$W/prog" $(pkg-config --cflags --libs libzmq)
LD_LIBRARY_PATH=$B/lib "$W/prog"
# (ldd's output is captured first: grep -q exiting early would SIGPIPE ldd.)
deps=$(LD_LIBRARY_PATH=$B/lib ldd "$W/prog")
grep -q "$B/lib/libzmq.so.5" <<<"$deps" || { echo "prog did not load build/lib/libzmq.so.5"; echo "$deps"; exit 1; }
# shellcheck disable=SC2046
cc "$W/prog.c" -o "$W/prog-static" $(pkg-config --cflags libzmq) "$B/lib/libzmq.a" -lpthread -ldl -lm
"$W/prog-static"

soname=$(readelf -d "$B/lib/libzmq.so.5" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libzmq.so.5" ] || { echo "SONAME is '$soname'"; exit 1; }
echo "SONAME: $soname"
bad=$(nm -D --defined-only "$B/lib/libzmq.so.5" | awk '{print $3}' | grep -v '^zmq_' || true)
[ -z "$bad" ] || { echo "non-zmq_ exports:"; echo "$bad"; exit 1; }
echo "exports: $(nm -D --defined-only "$B/lib/libzmq.so.5" | grep -c ' zmq_') zmq_* symbols, nothing else"
