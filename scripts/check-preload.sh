#!/usr/bin/env bash
# An unmodified binary, compiled and linked against Debian's libzmq, uses
# ferrozmq when run with LD_PRELOAD or LD_LIBRARY_PATH pointing at build/lib,
# and works. The runtime version proves which library answered.
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cc -I/usr/include tests/preload/prog.c -o "$W/prog" -lzmq
deps=$(ldd "$W/prog")
grep -Eq '/(usr/)?lib/x86_64-linux-gnu/libzmq.so.5' <<<"$deps" || { echo "prog is not linked against Debian's libzmq"; exit 1; }
plain=$("$W/prog" | head -1)
[ "$plain" = "version 4.3.4" ] || { echo "without preload the binary reports '$plain', want Debian's 4.3.4"; exit 1; }
echo "as built: $plain (Debian's libzmq)"
for how in "LD_PRELOAD=$PWD/build/lib/libzmq.so.5" "LD_LIBRARY_PATH=$PWD/build/lib"; do
    out=$(env "$how" "$W/prog")
    echo "$out" | sed "s|^|  ${how%%=*}: |"
    echo "$out" | grep -qx "version 4.3.5" || { echo "${how%%=*}: ferrozmq was not used"; exit 1; }
    echo "$out" | grep -qx "req/rep and pub/sub ok" || { echo "${how%%=*}: exchange failed"; exit 1; }
done
