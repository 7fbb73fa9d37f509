#!/usr/bin/env bash
# Prints a pkg-config file for a prefix laid out as lib/ + include/.
# usage: gen-pc.sh PREFIX VERSION
set -euo pipefail
cat <<PC
prefix=$1
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: libzmq
Description: ZeroMQ messaging library (ferrozmq, a Rust drop-in for libzmq)
Version: $2
Libs: -L\${libdir} -lzmq
Libs.private: -lpthread -ldl -lm
Cflags: -I\${includedir}
PC
