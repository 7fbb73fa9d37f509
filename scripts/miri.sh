#!/usr/bin/env bash
# Runs the unit tests of the pure modules under Miri (nightly), which checks
# every unsafe block they reach for undefined behaviour: out-of-bounds and
# use-after-free, uninitialised reads, aliasing (Stacked Borrows), data races
# and weak-memory effects between the tests' threads, leaks.
#
# usage: scripts/miri.sh [extra test filters...]
#
# Needs: rustup component add miri rust-src --toolchain nightly. Not part of
# `make test` (CI has stable Rust only). Tests that reach FFI (libsodium,
# sockets, epoll) or inline assembly are marked #[cfg_attr(miri, ignore)]
# and reported as ignored. See docs/RELIABILITY.md, "Sanitizers, Miri and
# model checks".
set -eu
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The pure modules: queue, message, codecs, subscriptions, handles.
filters=(
    ypipe::
    msg::tests msg::pool::tests
    util::z85::
    socket::subscriptions::
    zmtp::frame:: zmtp::command:: zmtp::greeting:: zmtp::mechanism::
    zmtp::plain:: zmtp::ws:: zmtp::zap::
    pipe::tests
    handle::tests
    metadata::
)
[ $# -eq 0 ] || filters=("$@")

cd "$root"
# Isolation stays on (no host files, clock or randomness); an isolated call
# fails with an error instead of stopping the run, so fence::available()
# reads no /proc and says false (the biased call lock is then never biased
# under Miri; thread_token is 0 there too, having no inline assembly). The
# model checks (ypipe::model, handle::model) explore state spaces of their
# own; Miri adds nothing there.
MIRIFLAGS="${MIRIFLAGS:--Zmiri-isolation-error=warn-nobacktrace}" cargo +nightly miri test --locked --lib \
    --target-dir target/miri -- --skip ::model:: "${filters[@]}"
