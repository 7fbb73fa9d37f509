# ferrozmq: build, stage, install, test and demo.
#   make            build the library and stage a usable prefix in build/
#   make test       everything CI runs (installs its own prerequisites)
#   make test-bindings  make test, then pyzmq's whole suite (ours and Debian's)
#   make demo       build the library and run a real program with it
#   make header     regenerate include/zmq.h from the Rust sources
#   make bench      perf tools against Debian's libzmq and ferrozmq (~5 min)
#   make bench-quick  a subset in under a minute
#   make soak       10^8 messages PUSH/PULL with churn, then PUB/SUB with a slow
#                   subscriber; RSS and fds sampled (minutes; not in make test)
#                   make soak SOAK_ARGS="--count 1000000" SOAK_LIB=/usr/lib/x86_64-linux-gnu
#   make fuzz-smoke   every fuzz target on its seeds and a few seconds of
#                     mutations (stable; fuzz/README.md for real fuzzing)
#   make install PREFIX=/usr/local
# Nightly Rust only (not in make test; see docs/RELIABILITY.md):
#   make sanitize   make asan, then make tsan
#   make asan       capi-tests + interop against an AddressSanitizer build
#   make tsan       the same under ThreadSanitizer
#   make miri       the pure modules' unit tests under Miri

PREFIX  ?= /usr/local
CARGO   ?= cargo
BUILD   := $(CURDIR)/build
TARGET  := $(CURDIR)/target/release
VERSION := 4.3.5

.PHONY: all lib stage header install deps test test-bindings bindings-python demo clean lint perf-tools bench bench-quick soak fuzz-smoke sanitize asan tsan miri

all: stage

lib:
	$(CARGO) build --release --locked

stage: lib
	@mkdir -p $(BUILD)/lib/pkgconfig $(BUILD)/include
	@# A new file renamed over the old one: programs that have the library
	@# mapped keep their copy (cp over it would change it under them).
	@cp -f $(TARGET)/libzmq.so $(BUILD)/lib/.libzmq.so.5.new && mv -f $(BUILD)/lib/.libzmq.so.5.new $(BUILD)/lib/libzmq.so.5
	@ln -sf libzmq.so.5 $(BUILD)/lib/libzmq.so
	@cp -f $(TARGET)/libzmq.a $(BUILD)/lib/libzmq.a
	@cp -f include/zmq.h include/zmq_utils.h $(BUILD)/include/
	@scripts/gen-pc.sh $(BUILD) $(VERSION) > $(BUILD)/lib/pkgconfig/libzmq.pc
	@echo "staged $(BUILD): lib/libzmq.so.5 lib/libzmq.so lib/libzmq.a include/zmq.h lib/pkgconfig/libzmq.pc"

header: lib
	cp -f $(TARGET)/zmq.h include/zmq.h
	@echo "include/zmq.h regenerated"

install: stage
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(BUILD)/lib/libzmq.so.5 $(DESTDIR)$(PREFIX)/lib/libzmq.so.5
	ln -sf libzmq.so.5 $(DESTDIR)$(PREFIX)/lib/libzmq.so
	install -m 0644 $(BUILD)/lib/libzmq.a $(DESTDIR)$(PREFIX)/lib/libzmq.a
	install -m 0644 include/zmq.h include/zmq_utils.h $(DESTDIR)$(PREFIX)/include/
	scripts/gen-pc.sh $(PREFIX) $(VERSION) > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libzmq.pc
	-ldconfig 2>/dev/null || true

deps:
	@scripts/deps.sh

test: deps stage
	@scripts/run-tests.sh

# Everything in `make test`, then pyzmq's whole test suite against ours and
# against Debian's libzmq (about 6 minutes more).
test-bindings: test
	@bindings/python/run-suite.sh

# pyzmq's suite alone (builds pyzmq against build/ and Debian's libzmq first).
bindings-python: deps stage
	@bindings/python/run-suite.sh

demo: deps stage
	@scripts/demo.sh

perf-tools: deps stage
	@$(MAKE) --no-print-directory -C perf

bench: perf-tools
	@python3 perf/bench.py

bench-quick: perf-tools
	@python3 perf/bench.py --quick

# The library soak/soak.c runs on: ours unless SOAK_LIB names another
# directory holding a libzmq.so.5 (LD_LIBRARY_PATH decides, as for perf/).
SOAK_LIB  ?= $(BUILD)/lib
SOAK_ARGS ?=
soak: SHELL := /bin/bash
soak: stage
	@mkdir -p $(BUILD)/soak
	$(CC) -O2 -Wall -Wextra -Iinclude soak/soak.c -o $(BUILD)/soak/soak -L$(BUILD)/lib -lzmq -lpthread
	LD_LIBRARY_PATH=$(SOAK_LIB) nice -n 10 $(BUILD)/soak/soak $(SOAK_ARGS) 2>&1 | tee $(BUILD)/soak/soak.log; exit $${PIPESTATUS[0]}

# The fuzz targets (zmq::fuzzing) on the stable toolchain: their captured
# seeds, their past crashes (fuzz/regressions/), then FUZZ_SMOKE_SECS
# (default 2) of random mutations each. libFuzzer runs: fuzz/README.md.
fuzz-smoke:
	$(CARGO) test --release --locked --test fuzz_smoke

sanitize: asan tsan

asan: deps
	@scripts/sanitize.sh address

tsan: deps
	@scripts/sanitize.sh thread

miri:
	@scripts/miri.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
