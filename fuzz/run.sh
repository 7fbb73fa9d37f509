#!/usr/bin/env bash
# One libFuzzer run of a target (needs the nightly toolchain and cargo-fuzz:
# `cargo install cargo-fuzz`). New inputs go to fuzz/work/<target>/ (not
# committed); the captured seeds in fuzz/corpus/<target>/ and the past
# crashes in fuzz/regressions/<target>/ are read, never written.
#
#   fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]
#   fuzz/run.sh session 600
#   fuzz/run.sh frame 60 -only_ascii=0
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags]}
secs=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
mkdir -p "work/$target" "artifacts/$target"
dirs=("work/$target" "corpus/$target")
[ -d "regressions/$target" ] && dirs+=("regressions/$target")
# -a: debug assertions (overflow checks) on, as a fuzzer should run.
# libsodium's C (libsodium-sys-stable) is built without the cc crate's
# defaults: those add -fsanitize=address, and libsodium's configure adds
# -fPIE after -fPIC, which leaves ASan references the cdylib cannot link.
# The sanitizer still covers every line of Rust.
export CRATE_CC_NO_DEFAULTS=1 CFLAGS="${FUZZ_CFLAGS:--O2 -fPIC}"
exec nice -n 10 cargo +nightly fuzz run -a --features libfuzzer "$target" "${dirs[@]}" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$@"
