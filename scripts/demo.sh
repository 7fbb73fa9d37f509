#!/usr/bin/env bash
# `make demo`: builds examples/demo.c against the staged prefix and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/examples
cc -std=c99 -Wall -Wextra -Ibuild/include examples/demo.c -o build/examples/demo -Lbuild/lib -Wl,-rpath,"$PWD/build/lib" -lzmq
echo "== running build/examples/demo (linked against $(readlink -f build/lib/libzmq.so.5)) =="
build/examples/demo
