#!/usr/bin/env bash
# Builds the library under a sanitizer (nightly Rust) and runs the C API tests
# and the interop suite (ours vs Debian's libzmq) against it.
#
# usage: scripts/sanitize.sh address|thread [--no-build] [--no-capi]
#                            [--no-interop] [--quick] [capi test names...]
#
#   address        AddressSanitizer (+ LeakSanitizer at exit)
#   thread         ThreadSanitizer (std rebuilt with it: -Zbuild-std)
#   --no-build     reuse target/<san>/ from an earlier run
#   --no-capi      skip capi-tests/*.c
#   --no-interop   skip interop/run.sh
#   --quick        interop: the basic/filter scenario only
#
# Needs: `rustup toolchain install nightly` and, for thread,
# `rustup component add rust-src --toolchain nightly`; gcc's libasan/libtsan
# (Debian: libgcc-12-dev, already there with gcc). Not part of `make test`:
# CI has stable Rust only. See docs/RELIABILITY.md, "Sanitizers, Miri and
# model checks".
#
# The library goes to target/<san>/ and build/<san>/lib (the normal build is
# untouched). The C programs are compiled with gcc's -fsanitize=<san>, so
# the sanitizer runtime is gcc's, loaded by the executable; our library's
# instrumentation (rustc's) calls into it. Reports are written to
# build/<san>/reports/ (one file per process that reported) and summarised
# at the end; a process that reports exits non-zero, so its test FAILs.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
san="${1:-}"
case "$san" in
    address) short=asan ;;
    thread) short=tsan ;;
    *) sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
shift
build=1 capi=1 interop=1 quick=()
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --no-capi) capi=0 ;;
        --no-interop) interop=0 ;;
        --quick) quick=(--quick) ;;
        -*) echo "sanitize.sh: unknown option $1" >&2; exit 2 ;;
        *) names+=("$1") ;;
    esac
    shift
done

triple=x86_64-unknown-linux-gnu
tdir="$root/target/$short"
out="$root/build/$short"
reports="$out/reports"
supp="$root/scripts/sanitize/$short.supp"
lsan_supp="$root/scripts/sanitize/lsan.supp"

if [ $build -eq 1 ]; then
    flags="-Zsanitizer=$san -Cforce-frame-pointers=yes"
    std=()
    if [ "$san" = thread ]; then
        # TSan must see std's atomics and locks too, or every handoff through
        # them (Arc, Mutex, channels) is reported as a race.
        std=(-Zbuild-std)
    else
        # ASan of our code only: std stays prebuilt (its own memory errors
        # are not what we look for); rustc wants the mismatch acknowledged.
        flags="$flags -Cunsafe-allow-abi-mismatch=sanitizer"
    fi
    # --target keeps build scripts and proc-macros unsanitized. No LTO and
    # more codegen units: the build is what takes time here, not the run.
    # cc-rs passes -Zsanitizer on to the C it builds (libsodium, ring's
    # assembly glue); that C is not ours, and gcc's non-PIC sanitizer
    # references break the shared library's link: leave it uninstrumented.
    (cd "$root" && RUSTFLAGS="$flags" CFLAGS_x86_64_unknown_linux_gnu="-fno-sanitize=all" \
        CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo +nightly build --release --locked --target "$triple" \
        --target-dir "$tdir" "${std[@]}") || exit 2
fi
so="$tdir/$triple/release/libzmq.so"
[ -f "$so" ] || { echo "sanitize.sh: no $so (build first)" >&2; exit 2; }
mkdir -p "$out/lib" "$reports"
cp -f "$so" "$out/lib/.libzmq.so.5.new" && mv -f "$out/lib/.libzmq.so.5.new" "$out/lib/libzmq.so.5"
ln -sf libzmq.so.5 "$out/lib/libzmq.so"
rm -f "$reports"/*

# A compiler wrapper: capi-tests/run.sh runs "$CC" as one word. Under
# thread, gcc's libtsan lacks three entry points rustc's code calls: the
# programs carry them (scripts/sanitize/tsan_mem.c), exported.
extra=""
[ "$san" = thread ] && extra="$root/scripts/sanitize/tsan_mem.c -rdynamic"
cat > "$out/cc" <<EOF
#!/bin/sh
exec cc -fsanitize=$san -fno-omit-frame-pointer -g "\$@" $extra
EOF
chmod +x "$out/cc"

common="log_path=$reports/$short:exitcode=66"
if [ "$san" = address ]; then
    # allocator_may_return_null: msg_misuse and others ask for impossible
    # sizes and expect ENOMEM, as glibc's malloc returns NULL for them.
    export ASAN_OPTIONS="$common:detect_leaks=1:allocator_may_return_null=1"
    export LSAN_OPTIONS="suppressions=$lsan_supp:print_suppressions=0"
else
    export TSAN_OPTIONS="$common:allocator_may_return_null=1:suppressions=$supp:print_suppressions=0:halt_on_error=0:second_deadlock_stack=1"
fi

status=0
if [ $capi -eq 1 ]; then
    echo "== capi-tests under $san sanitizer"
    CC="$out/cc" bash "$root/capi-tests/run.sh" --include "$root/include" \
        --libdir "$out/lib" --out "$out/capi-tests" "${names[@]}" | tee "$out/capi.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
if [ $interop -eq 1 ]; then
    echo "== interop (ours vs Debian's libzmq) under $san sanitizer"
    # Only the peer that loads ours is instrumented (it carries the runtime:
    # run.sh unsets LD_PRELOAD). Debian's libzmq peer is left as CI runs it:
    # under TSan's interceptors its uninstrumented library shows false races
    # and crawls through the large-message cases.
    OURS_CC="$out/cc" bash "$root/interop/run.sh" --ours "$out/lib" --build "$out/interop" \
        "${quick[@]}" > "$out/interop.log" 2>&1
    [ $? -eq 0 ] || status=1
    grep -v '^PASS' "$out/interop.log" | tail -n 40
fi

# Every real report (an ASan error, a leak, a TSan warning) ends with a
# SUMMARY line; files without one hold notes such as "failed to allocate"
# (allocator_may_return_null at work), listed but not counted.
n=0
for f in "$reports"/*; do
    [ -f "$f" ] || continue
    if grep -q '^SUMMARY: ' "$f"; then
        n=$((n + 1))
        grep '^SUMMARY: ' "$f" | sort | uniq -c | sed "s|^|  $(basename "$f"): |"
    else
        head -n 1 "$f" | sed "s|^|  note, $(basename "$f"): |"
    fi
done
echo "== $n sanitizer report file(s) in $reports"
[ "$n" -eq 0 ] || status=1
exit $status
