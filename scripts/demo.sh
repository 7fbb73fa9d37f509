#!/usr/bin/env bash
# `make demo`: the same program built twice, against ferrozmq (build/) and
# against Debian's libzmq, talking over tcp in both arrangements.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/examples
cc -std=c99 -Wall -Wextra -Ibuild/include examples/demo.c -o build/examples/demo-ferrozmq \
    -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lzmq
cc -std=c99 -Wall -Wextra -I/usr/include examples/demo.c -o build/examples/demo-libzmq -lzmq

run() { # run SERVER-BINARY CLIENT-BINARY
    local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
    timeout 30 "build/examples/$1" server >"$fifo" &
    local pid=$!
    read -r rep pub <"$fifo"; rm -f "$fifo"
    timeout 30 "build/examples/$2" client "$rep" "$pub"
    wait "$pid"
}
echo "== ferrozmq server, libzmq client =="
run demo-ferrozmq demo-libzmq
echo
echo "== libzmq server, ferrozmq client =="
run demo-libzmq demo-ferrozmq
echo
echo "== the classic examples in Python (pyzmq built against ferrozmq) =="
examples/python/run-all.sh
echo
echo "== libzmq server (C), Python client on ferrozmq =="
fifo=$(mktemp -u); mkfifo "$fifo"
timeout 30 build/examples/demo-libzmq server >"$fifo" &
pid=$!
read -r rep pub <"$fifo"; rm -f "$fifo"
env -u LD_LIBRARY_PATH timeout 30 build/bindings/python/venv-ours/bin/python \
    examples/python/demo_client.py "$rep" "$pub"
wait "$pid"
