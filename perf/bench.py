#!/usr/bin/env python3
"""ferrozmq benchmark driver: ferrozmq against the reference libzmq.

Runs the perf tools in build/perf (see perf/Makefile) against two libraries,
switching only LD_LIBRARY_PATH: the reference libzmq (Debian's libzmq5,
installed through apt-get when missing) and ferrozmq (build/lib).  For every
case and repetition the reference runs first, then ferrozmq (A B A B ...),
and the table shows medians.  Every case is run twice over: pinned to one CPU
(taskset -c 0, the stable table) and unpinned (the scheduler may use every
CPU; on small shared VMs expect up to ~20 % run-to-run noise here).

Every process states which libzmq the loader gave it; a mismatch aborts the
whole run.  A case that fails, crashes or times out is reported as FAIL and
the run goes on.

The draft-API cases (CLIENT/SERVER over tcp, RADIO/DISH over udp) need a
reference libzmq built with the draft API, which Debian's is not: they run
only with --draft-reference DIR (a directory holding such a libzmq.so.5),
against that library, in tables of their own; without it they are skipped
with a one-line note.

The "scale" cases (perf/scale_perf.c) measure many peers, many topics,
connection setup and memory, one process each; their units vary (round
trips, subscriptions or connections per second, microseconds, KiB of peak
RSS) and the table says which way is better.

    python3 perf/bench.py            # full run, ~7 min on 2 cores
    python3 perf/bench.py --cases scale   # the scale cases alone
    python3 perf/bench.py --quick    # a subset, < 1 min
    python3 perf/bench.py --draft-reference /opt/zmq-draft/lib --cases 'client|radio'
    python3 perf/bench.py --help

The human table goes to stdout, the same data (all samples, CPU time and
peak RSS of every process, machine information) to bench/results.json.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------
# Cases.  Counts are chosen so that one run of the reference libzmq takes
# roughly 0.3-1 s on a 2-core x86-64 VM (pinned runs are usually faster for
# small messages, slower for large ones).
# --------------------------------------------------------------------------

THR_COUNTS = {  # (transport, size) -> message count
    ("tcp", 1): 1500000, ("tcp", 64): 1500000,
    ("tcp", 1024): 400000, ("tcp", 65536): 15000,
    ("ipc", 1): 1500000, ("ipc", 64): 1500000,
    ("ipc", 1024): 400000, ("ipc", 65536): 15000,
    ("inproc", 1): 3000000, ("inproc", 64): 2000000,
    ("inproc", 1024): 1000000, ("inproc", 65536): 400000,
}
LAT_COUNTS = {  # (transport, size) -> roundtrip count
    # Pinned round trips take ~15-20 us (tcp/ipc) and ~2.5 us (inproc): these
    # counts keep a pinned run near 0.3 s, so one burst of hypervisor steal
    # does not decide a median (10,000 and 20,000 gave 0.05-0.2 s runs).
    ("tcp", 1): 20000, ("tcp", 1024): 20000,
    ("ipc", 1): 20000, ("ipc", 1024): 20000,
    ("inproc", 1): 60000, ("inproc", 1024): 60000,
}
PUBSUB_COUNTS = {1: 500000, 4: 300000}  # subscribers -> messages sent
# One hop through zmq_proxy over tcp (perf/proxy_perf.c): PUSH -> PULL|proxy|
# PUSH -> PULL throughput, REQ -> ROUTER|proxy|DEALER -> REP latency.
PROXY_COUNTS = {("proxy-thr", 64): 800000, ("proxy-thr", 1024): 300000,
                ("proxy-lat", 1): 15000}
# CURVE on both sides over tcp (PERF_CURVE=1 makes the perf tools set the
# keys): every message boxed and unboxed.
CURVE_COUNTS = {("thr", 64): 400000, ("thr", 1024): 200000, ("lat", 1): 15000}
# Scale cases (perf/scale_perf.c, one process, a server and a client
# context): name -> (arguments, unit, better). Many peers, many topics,
# connection setup and memory (issue 14).
SCALE_CASES = {
    "scale router 1000 dealers": (["router-dealers", "1000", "20"],
                                  "roundtrips/s", "higher"),
    "scale router 10 dealers": (["router-dealers", "10", "2000"],
                                "roundtrips/s", "higher"),
    "scale push 100 pulls 64B": (["push-pulls", "100", "400000"],
                                 "msg/s", "higher"),
    "scale sub 10x10000 topics": (["topics-sub", "10", "10000"],
                                  "subscriptions/s", "higher"),
    "scale unsub 10x10000 topics": (["topics-unsub", "10", "10000"],
                                    "unsubscriptions/s", "higher"),
    "scale pub 10x10000 topics 64B": (["topics-pub", "10", "10000",
                                       "400000"], "msg/s", "higher"),
    "scale pub 10x10 topics 64B": (["topics-pub", "10", "10", "400000"],
                                   "msg/s", "higher"),
    "scale connect tcp": (["connect-rate", "tcp", "500"],
                          "connections/s", "higher"),
    "scale connect ipc": (["connect-rate", "ipc", "500"],
                          "connections/s", "higher"),
    "scale first message tcp": (["first-message", "tcp", "500"], "us",
                                "lower"),
    "scale rss 1000 idle conns": (["idle-conns", "1000"], "KiB", "lower"),
    "scale rss 64KiB backlog": (["backlog", "65536"], "KiB", "lower"),
}

# The kernel's own figures (perf/raw_perf.c, no library): a tcp/ipc
# ping-pong, a futex ping-pong between two threads (inproc's floor) and a
# stream of 64 KiB writes, measured in the same run as the
# library cases they bound (issue 14: "how far from a raw socket"). The
# stream twice: from one buffer (always in cache), and from 1,000 in turn,
# as a sender whose queue is at its HWM writes (64 MB of payloads, more
# than the last-level cache: each is read from memory).
RAW_CASES = [("lat", "tcp", 1, 20000, 1), ("lat", "ipc", 1, 20000, 1),
             ("lat", "inproc", 1, 60000, 1),
             ("thr", "tcp", 65536, 15000, 1), ("thr", "ipc", 65536, 15000, 1),
             ("thr", "tcp", 65536, 15000, 1000),
             ("thr", "ipc", 65536, 15000, 1000)]

# Draft-API cases (only with --draft-reference): the same local_*/remote_*
# tools given a pattern.  CLIENT -> SERVER and CLIENT <-> SERVER over tcp;
# RADIO -> DISH over udp, the sender unpaced (RADIO with ZMQ_XPUB_NODROP,
# so it goes as fast as its own I/O thread), the receiver counting what
# arrives: the figure is the delivered rate (see perf/local_thr.c).
DRAFT_COUNTS = {  # (kind, transport, pattern, size) -> count
    ("thr", "tcp", "client-server", 64): 1500000,
    ("thr", "tcp", "client-server", 1024): 400000,
    ("lat", "tcp", "client-server", 1): 20000,
    ("thr", "udp", "radio-dish", 64): 200000,
    ("thr", "udp", "radio-dish", 1024): 150000,
}

QUICK_CASES = ["thr tcp 64B", "thr inproc 64B", "lat tcp 1B",
               "pubsub tcp 64B x4", "thr tcp client-server 64B",
               "lat tcp client-server 1B", "thr udp radio-dish 64B"]


class Case:
    def __init__(self, kind, transport, size, count, subs=0, curve=False,
                 pattern=None):
        self.kind = kind  # "thr", "lat", "pubsub", "proxy-thr", "proxy-lat"
        self.transport = transport  # "tcp", "ipc", "inproc" or "udp"
        self.size = size
        self.count = count
        self.subs = subs
        self.curve = curve
        # A draft pattern ("client-server", "radio-dish") for the local_* and
        # remote_* tools, or None for their classic PUSH/PULL and REQ/REP.
        self.pattern = pattern
        self.raw_buffers = 1
        self.draft = pattern is not None
        # kind "scale": scale_perf's arguments and what its result means.
        self.scale_args = None
        self.name = "%s %s%s%s %dB" % (kind, transport,
                                       "+curve" if curve else "",
                                       " " + pattern if pattern else "", size)
        if kind == "pubsub":
            self.name += " x%d" % subs
        # Throughput: msg/s, higher is better.  Latency: us, lower is better.
        self.latency = kind in ("lat", "proxy-lat")
        self.unit = "us" if self.latency else "msg/s"
        self.better = "lower" if self.latency else "higher"
        # Extra table rows (CPU time, peak RSS) for this case.
        self.resources = (kind == "thr" and transport == "tcp" and size == 64)

    def describe(self):
        return {"name": self.name, "kind": self.kind,
                "transport": self.transport, "message_size": self.size,
                "count": self.count, "subscribers": self.subs or None,
                "pattern": self.pattern, "draft": self.draft,
                "unit": self.unit, "better": self.better}


def all_cases(draft):
    """Every case; the draft-API ones only when `draft`."""
    cases = []
    for transport in ("tcp", "ipc", "inproc"):
        for size in (1, 64, 1024, 65536):
            cases.append(Case("thr", transport, size,
                              THR_COUNTS[(transport, size)]))
    for transport in ("tcp", "ipc", "inproc"):
        for size in (1, 1024):
            cases.append(Case("lat", transport, size,
                              LAT_COUNTS[(transport, size)]))
    for subs in (1, 4):
        cases.append(Case("pubsub", "tcp", 64, PUBSUB_COUNTS[subs], subs))
    for (kind, size), count in PROXY_COUNTS.items():
        cases.append(Case(kind, "tcp", size, count))
    for (kind, size), count in CURVE_COUNTS.items():
        cases.append(Case(kind, "tcp", size, count, curve=True))
    for name, (args, unit, better) in SCALE_CASES.items():
        c = Case("scale", "tcp", 0, 0)
        c.name, c.scale_args, c.unit, c.better = name, args, unit, better
        c.latency = better == "lower"
        c.resources = False
        cases.append(c)
    for kind, transport, size, count, buffers in RAW_CASES:
        c = Case("raw-" + kind, transport, size, count)
        c.name = "raw %s %s %dB" % (kind, transport, size)
        c.raw_buffers = buffers
        if buffers > 1:
            c.name += " from %d buffers" % buffers
        c.latency = kind == "lat"
        c.unit = "us" if c.latency else "msg/s"
        c.better = "lower" if c.latency else "higher"
        c.resources = False
        cases.append(c)
    if draft:
        for (kind, transport, pattern, size), count in DRAFT_COUNTS.items():
            cases.append(Case(kind, transport, size, count, pattern=pattern))
    return cases


# --------------------------------------------------------------------------
# Libraries
# --------------------------------------------------------------------------

class Library:
    def __init__(self, key, label, libdir, soname="libzmq.so.5"):
        self.key = key          # "libzmq" or "ferrozmq"
        self.label = label
        self.libdir = libdir
        self.file = os.path.realpath(os.path.join(libdir, soname))
        self.version = None     # as reported by zmq_version in the runs

    def env(self):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env["LD_LIBRARY_PATH"] = self.libdir
        return env


def run_quiet(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def find_reference_libdir():
    """Directory holding the system (Debian) libzmq.so.5, or None."""
    candidates = []
    multiarch = run_quiet(["gcc", "-print-multiarch"]) \
        if shutil.which("gcc") else None
    if multiarch and multiarch.returncode == 0 and multiarch.stdout.strip():
        candidates.append("/usr/lib/" + multiarch.stdout.strip())
    candidates += ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                   "/usr/lib64", "/usr/lib"]
    for d in candidates:
        if os.path.exists(os.path.join(d, "libzmq.so.5")):
            return d
    return None


def ensure_reference_libdir():
    libdir = find_reference_libdir()
    if libdir:
        return libdir
    print("bench: reference libzmq not found, installing Debian's libzmq5",
          file=sys.stderr)
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = prefix + ["apt-get", "install", "-y", "-q", "libzmq5"]
    if subprocess.run(cmd, env=env).returncode != 0:
        subprocess.run(prefix + ["apt-get", "update", "-q"], env=env)
        subprocess.run(cmd, env=env)
    libdir = find_reference_libdir()
    if not libdir:
        sys.exit("bench: FATAL: could not find or install libzmq5")
    return libdir


def has_draft_api(path):
    """Does the libzmq at `path` export the draft functions the tools use?"""
    import ctypes
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return False
    return all(hasattr(lib, name) for name in
               ("zmq_join", "zmq_msg_set_group", "zmq_msg_group",
                "zmq_msg_routing_id", "zmq_msg_set_routing_id"))


def free_udp_port():
    """A udp port on 127.0.0.1 that nothing holds right now (libzmq's udp
    has no wildcard port); the DISH binds it a moment later."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LibraryMismatch(Exception):
    pass


LIB_LINE = re.compile(r"^perf: zmq_version (\S+) from (.*)$", re.M)


def verify_library(lib, stderr_text, who):
    """Every perf tool prints the libzmq it got; insist on the right one."""
    found = LIB_LINE.findall(stderr_text)
    if not found:
        return False  # the process died before reporting: a plain failure
    version, path = found[0]
    if os.path.realpath(path) != lib.file:
        raise LibraryMismatch(
            "%s ran with %s (zmq_version %s) but should have used %s (%s)"
            % (who, path, version, lib.file, lib.label))
    if lib.version is None:
        lib.version = version
    elif lib.version != version:
        raise LibraryMismatch("%s reported zmq_version %s, earlier runs %s"
                              % (who, version, lib.version))
    return True


# --------------------------------------------------------------------------
# Running one case once
# --------------------------------------------------------------------------

class RunFailed(Exception):
    pass


class Proc:
    """A perf tool process with its output in files (no pipe can fill up)."""

    def __init__(self, name, argv, env, workdir, pin):
        self.name = name
        self.out_path = os.path.join(workdir, name + ".out")
        self.err_path = os.path.join(workdir, name + ".err")
        cmd = (["taskset", "-c", "0"] if pin else []) + argv
        with open(self.out_path, "wb") as out, \
                open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(cmd, stdout=out, stderr=err,
                                          stdin=subprocess.DEVNULL, env=env,
                                          start_new_session=True)
        self.status = None
        self.rusage = None

    def stdout(self):
        with open(self.out_path, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def poll(self):
        """Reap without blocking; taskset execs, so the rusage is the tool's
        own (all its threads)."""
        if self.status is None:
            pid, status, rusage = os.wait4(self.popen.pid, os.WNOHANG)
            if pid == self.popen.pid:
                self.status = status
                self.rusage = rusage
                self.popen.returncode = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def kill(self):
        if self.status is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, self.status, self.rusage = os.wait4(self.popen.pid, 0)
            self.popen.returncode = os.waitstatus_to_exitcode(self.status)

    def describe_exit(self):
        if os.WIFSIGNALED(self.status):
            sig = os.WTERMSIG(self.status)
            return "%s killed by %s" % (self.name, signal.Signals(sig).name)
        return "%s exited with status %d" % (self.name,
                                             os.WEXITSTATUS(self.status))

    def resources(self):
        """CPU time from wait4(); peak RSS as the tool reports it at exit
        (VmHWM): ru_maxrss would include the forking Python's own RSS."""
        if self.rusage is None:
            return None
        m = PEAK_RSS.search(self.stderr())
        return {"user_s": round(self.rusage.ru_utime, 4),
                "sys_s": round(self.rusage.ru_stime, 4),
                "maxrss_kib": int(m.group(1)) if m else None}


def wait_for(predicate, deadline, step=0.005):
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


BOUND = re.compile(r"^perf: bound to (\S+)$", re.M)
PEAK_RSS = re.compile(r"^perf: peak RSS (\d+) kB$", re.M)


def last_line(text):
    text = text.strip()
    return text.splitlines()[-1][:160] if text else ""


# Where stacks of hung processes go (None: don't collect them).
HANG_DIR = None


def dump_stacks(proc, label):
    """Attach gdb to a hung tool and save every thread's backtrace."""
    gdb = shutil.which("gdb")
    if not HANG_DIR or not gdb:
        return None
    os.makedirs(HANG_DIR, exist_ok=True)
    path = os.path.join(HANG_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_",
                                         "%s-%s.txt" % (label, proc.name)))
    try:
        r = subprocess.run([gdb, "-q", "-batch", "-p", str(proc.popen.pid),
                            "-ex", "info threads",
                            "-ex", "thread apply all bt 40"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, text=True, timeout=30)
        text = r.stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        text = "gdb failed: %s\n" % e
    with open(path, "w") as f:
        f.write(proc.stderr())
        f.write(proc.stdout())
        f.write(text)
    return path


def run_once(case, lib, pin, bindir, workdir, timeout, label):
    """Run one case once (lib None: a raw case, no library).  Returns a
    sample dict; raises RunFailed."""
    if lib is None:
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        env.pop("LD_LIBRARY_PATH", None)
    else:
        env = lib.env()
    if case.curve:
        env["PERF_CURVE"] = "1"
    tool = lambda name: os.path.join(bindir, name)
    procs = []
    started = time.monotonic()
    deadline = started + timeout
    try:
        if case.kind.startswith("raw-"):
            extra = [str(case.raw_buffers)] if case.raw_buffers > 1 else []
            main = Proc("raw", [tool("raw_perf"), case.kind[len("raw-"):],
                                case.transport, str(case.size),
                                str(case.count)] + extra, env, workdir, pin)
            procs.append(main)
        elif case.kind == "scale":
            main = Proc("scale", [tool("scale_perf")] + case.scale_args,
                        env, workdir, pin)
            procs.append(main)
        elif case.kind.startswith("proxy-"):
            argv = [tool("proxy_perf"), case.kind[len("proxy-"):],
                    str(case.size), str(case.count)]
            main = Proc(case.kind, argv, env, workdir, pin)
            procs.append(main)
        elif case.transport == "inproc" or case.kind == "pubsub":
            if case.kind == "pubsub":
                argv = [tool("pubsub_thr"), "tcp://127.0.0.1:*",
                        str(case.subs), str(case.size), str(case.count)]
            else:
                argv = [tool("inproc_" + case.kind), str(case.size),
                        str(case.count)]
            main = Proc(case.kind, argv, env, workdir, pin)
            procs.append(main)
        else:
            local_tool, remote_tool = ("local_" + case.kind,
                                       "remote_" + case.kind)
            pattern = [case.pattern] if case.pattern else []
            if case.transport == "tcp":
                endpoint = "tcp://127.0.0.1:*"
            elif case.transport == "udp":
                endpoint = "udp://127.0.0.1:%d" % free_udp_port()
            else:
                endpoint = "ipc://" + os.path.join(workdir, "perf.ipc")
            local = Proc("local", [tool(local_tool), endpoint, str(case.size),
                                   str(case.count)] + pattern,
                         env, workdir, pin)
            procs.append(local)
            # Wait for the bound endpoint (the tool resolves the wildcard
            # port), so no port has to be guessed.
            bound = []

            def is_bound():
                m = BOUND.search(local.stderr())
                if m:
                    bound.append(m.group(1))
                    return True
                return local.poll()
            if not wait_for(is_bound, min(deadline, started + 10)) \
                    or not bound:
                verify_library(lib, local.stderr(), "local")
                raise RunFailed("%s: never reported its endpoint; %s"
                                % (local_tool, last_line(local.stdout() +
                                                          local.stderr())))
            # libzmq reports a udp endpoint without its scheme: there the
            # report only says "bound", and the remote gets our endpoint.
            target = endpoint if case.transport == "udp" else bound[0]
            remote = Proc("remote", [tool(remote_tool), target,
                                     str(case.size), str(case.count)]
                          + pattern, env, workdir, pin)
            procs.append(remote)
            main = local if case.kind == "thr" else remote

        if not wait_for(lambda: all(p.poll() for p in procs), deadline,
                        step=0.02):
            stuck = [p for p in procs if not p.poll()]
            dumps = [dump_stacks(p, label) for p in stuck]
            for p in procs:
                p.kill()
            for p in procs:
                if lib is not None:
                    verify_library(lib, p.stderr(), p.name)
            exited = ["%s: %s" % (p.name, p.describe_exit())
                      for p in procs if p not in stuck]
            dumps = [d for d in dumps if d]
            shown = [os.path.relpath(d, ROOT)
                     if d.startswith(ROOT + os.sep) else d for d in dumps]
            raise RunFailed("timeout after %gs (hung: %s%s)%s"
                            % (timeout, ", ".join(p.name for p in stuck),
                               "; " + ", ".join(exited) if exited else "",
                               "; stacks in " + ", ".join(shown)
                               if shown else ""))
        wall = time.monotonic() - started

        for p in procs:
            if lib is not None and not verify_library(lib, p.stderr(),
                                                      p.name):
                raise RunFailed("%s: %s before reporting its library; %s"
                                % (p.name, p.describe_exit(),
                                   last_line(p.stderr())))
        for p in procs:
            if not os.WIFEXITED(p.status) or os.WEXITSTATUS(p.status) != 0:
                raise RunFailed("%s; %s" % (p.describe_exit(),
                                            last_line(p.stdout() +
                                                       p.stderr())))

        text = main.stdout()
        if case.kind == "scale":
            m = re.search(r"result: ([0-9.]+) \[", text)
        elif case.latency:
            m = re.search(r"average latency: ([0-9.]+) \[us\]", text)
        else:
            m = re.search(r"mean throughput: ([0-9]+) \[msg/s\]", text)
        if not m:
            raise RunFailed("no result in output: %s" % last_line(text))
        sample = {"value": float(m.group(1)), "wall_s": round(wall, 3),
                  "processes": {p.name: p.resources() for p in procs}}
        if case.kind == "pubsub" or case.transport == "udp":
            d = re.search(r"messages delivered: \d+ of \d+ \(([0-9.]+) %\)",
                          text)
            sample["delivered_pct"] = float(d.group(1)) if d else None
        if case.transport == "udp":
            # The RADIO's own rate (its sends, unpaced, until the last one
            # returned): with the delivered rate, what was offered.
            d = re.search(r"messages sent: \d+ in [0-9.]+ \[s\], "
                          r"([0-9]+) \[msg/s\]", procs[-1].stdout())
            sample["sent_rate"] = float(d.group(1)) if d else None
        return sample
    finally:
        for p in procs:
            p.kill()
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))


# --------------------------------------------------------------------------
# Statistics and formatting
# --------------------------------------------------------------------------

def median(values):
    return statistics.median(values) if values else None


def summarise(samples, failures, strict=True):
    """strict (ferrozmq): any failed run fails the case.  Not strict (the
    reference): its own failures are listed, and the case still compares
    when most runs succeeded (libzmq 4.3.4 occasionally hangs in
    zmq_ctx_term after printing its result, which is not ours to judge)."""
    values = [s["value"] for s in samples]
    failed = bool(failures) if strict else len(values) <= len(failures)
    out = {"samples": values, "median": median(values),
           "failures": failures, "status": "FAIL" if failed else "ok"}
    if values:
        med = out["median"]
        out["spread_pct"] = round(100.0 * max(abs(v - med) for v in values)
                                  / med, 1) if med else 0.0
        cpu = [sum(p["user_s"] + p["sys_s"]
                   for p in s["processes"].values() if p) for s in samples]
        out["cpu_s_median"] = round(median(cpu), 3)
        out["cpu_s_samples"] = [round(c, 3) for c in cpu]
        rss = {}
        for s in samples:
            for name, p in s["processes"].items():
                if p and p["maxrss_kib"] is not None:
                    rss.setdefault(name, []).append(p["maxrss_kib"])
        out["maxrss_kib_median"] = {n: median(v) for n, v in rss.items()}
        out["runs"] = samples
        for key in ("delivered_pct", "sent_rate"):
            if any(key in s for s in samples):
                out[key] = [s.get(key) for s in samples]
                known = [v for v in out[key] if v is not None]
                out[key + "_median"] = median(known) if known else None
    return out


def fmt_value(v, unit):
    if v is None:
        return "-"
    if unit == "us":
        return "%.2f" % v
    if unit == "msg/s":
        return "{:,.0f}".format(v)
    if unit == "s":
        return "%.3f" % v
    if unit in ("MiB", "%"):
        return "%.1f" % v
    return str(v)


def table_rows(results):
    """Rows of (case, unit, better, libzmq, ferrozmq, ratio, cpu ratio,
    noise)."""
    rows = []
    for r in results:
        a, b = r["libzmq"], r["ferrozmq"]
        ratio = r.get("ratio")
        cpu = r.get("cpu_ratio")
        noise = "±%s%% / ±%s%%" % (a.get("spread_pct", "-"),
                                   b.get("spread_pct", "-"))
        rows.append((r["case"]["name"], r["case"]["unit"],
                     r["case"]["better"],
                     "FAIL" if a["status"] == "FAIL"
                     else fmt_value(a["median"], r["case"]["unit"]),
                     "FAIL" if b["status"] == "FAIL"
                     else fmt_value(b["median"], r["case"]["unit"]),
                     "%.2f" % ratio if ratio is not None else "-",
                     "%.2f" % cpu if cpu is not None else "-", noise,
                     "%s" % r.get("steal_pct", "-")))
        if r["case"]["transport"] == "udp":
            # What the sender offered, and the share of it that arrived.
            for label, unit, key in (
                    ("  sent (RADIO's send rate)", "msg/s", "sent_rate_median"),
                    ("  delivered of sent", "%", "delivered_pct_median")):
                va = a.get(key) if a["status"] != "FAIL" else None
                vb = b.get(key) if b["status"] != "FAIL" else None
                rows.append((label, unit, "higher",
                             "FAIL" if a["status"] == "FAIL"
                             else fmt_value(va, unit),
                             "FAIL" if b["status"] == "FAIL"
                             else fmt_value(vb, unit),
                             "%.2f" % (vb / va) if va and vb else "-", "",
                             "", ""))
        if r["case"].get("resources"):
            for label, unit, better, get in (
                    ("  cpu user+sys, both procs", "s", "lower",
                     lambda x: x.get("cpu_s_median")),
                    ("  peak RSS receiver", "MiB", "lower",
                     lambda x: (x.get("maxrss_kib_median") or {})
                     .get("local", 0) / 1024.0 or None),
                    ("  peak RSS sender", "MiB", "lower",
                     lambda x: (x.get("maxrss_kib_median") or {})
                     .get("remote", 0) / 1024.0 or None)):
                va = get(a) if a["status"] != "FAIL" else None
                vb = get(b) if b["status"] != "FAIL" else None
                rows.append((label, unit, better,
                             "FAIL" if a["status"] == "FAIL"
                             else fmt_value(va, unit),
                             "FAIL" if b["status"] == "FAIL"
                             else fmt_value(vb, unit),
                             "%.2f" % (vb / va) if va and vb else "-", "",
                             "", ""))
    return rows


def print_table(title, results, libs, out=sys.stdout):
    head = ("case", "unit", "better", "libzmq " + (libs[0].version or "?"),
            "ferrozmq " + (libs[1].version or "?"), "ratio f/l",
            "cpu f/l", "noise l / f", "steal%")
    rows = [head] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    align = ["<", "<", "<", ">", ">", ">", ">", ">", ">"]
    print(title, file=out)
    for n, row in enumerate(rows):
        print("  ".join("{:{}{}}".format(c, align[i], widths[i])
                        for i, c in enumerate(row)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    failures = [(r["case"]["name"], key, f) for r in results
                for key in ("libzmq", "ferrozmq")
                for f in r[key]["failures"]]
    for name, key, f in failures:
        print("  FAIL %s with %s: %s" % (name, key, f), file=out)
    print(file=out)
    out.flush()


def print_raw_table(title, raw, results, out=sys.stdout):
    """Each raw case next to the library cases it bounds: latency as a
    multiple of the raw ping-pong, throughput as a share of the raw
    stream."""
    by_name = {r["case"]["name"]: r for r in results}
    print(title, file=out)
    width = max([22] + [len(e["case"]["name"]) for e in raw])
    for e in raw:
        c = e["case"]
        v = e["raw"]["median"] if e["raw"]["status"] == "ok" else None
        label = "%-*s %12s %-5s" % (width, c["name"],
                                    fmt_value(v, c["unit"]), c["unit"])
        twin = by_name.get("%s %s %dB" % (c["kind"][len("raw-"):],
                                          c["transport"], c["message_size"]))
        parts = []
        for key in ("libzmq", "ferrozmq"):
            m = twin[key].get("median") if twin and \
                twin[key]["status"] == "ok" else None
            if v and m:
                if c["unit"] == "us":
                    parts.append("%s %.2fx raw" % (key, m / v))
                else:
                    parts.append("%s %.0f%% of raw" % (key, 100.0 * m / v))
        if c["unit"] == "msg/s" and v:
            label += " (%.0f Mb/s)" % (v * c["message_size"] * 8 / 1e6)
        print("  %s  %s" % (label, ", ".join(parts)), file=out)
        for f in e["raw"]["failures"]:
            print("  FAIL %s: %s" % (c["name"], f), file=out)
    print(file=out)
    out.flush()


# Scaling (issue 14): the time per operation at the small and the large
# size of one workload, for each library. (small case, large case, what
# grows, the unit the time is shown in, that unit per second)
SCALING = [("scale pub 10x10 topics 64B", "scale pub 10x10000 topics 64B",
            "topics 10 -> 10,000", "ns/msg", 1e9),
           ("scale router 10 dealers", "scale router 1000 dealers",
            "peers 10 -> 1,000", "us/round trip", 1e6)]


def scaling_rows(results):
    """(what grows, unit, {library: (small, large)}) for each SCALING
    pair whose two cases ran and passed for both libraries: time per
    operation (the inverse of the rate) at each size."""
    by_name = {r["case"]["name"]: r for r in results}
    rows = []
    for small, large, what, unit, scale in SCALING:
        a, b = by_name.get(small), by_name.get(large)
        if not a or not b:
            continue
        times = {}
        for key in ("libzmq", "ferrozmq"):
            ms, ml = a[key].get("median"), b[key].get("median")
            if a[key]["status"] == "ok" and b[key]["status"] == "ok" \
                    and ms and ml:
                times[key] = (scale / ms, scale / ml)
        if len(times) == 2:
            rows.append((what, unit, times))
    return rows


def print_scaling_table(title, results, out=sys.stdout):
    """How much time per operation each library adds from the small size
    of a workload to the large one, absolute and relative."""
    rows = scaling_rows(results)
    if not rows:
        return
    print(title, file=out)
    for what, unit, times in rows:
        parts = []
        for key in ("libzmq", "ferrozmq"):
            t0, t1 = times[key]
            parts.append("%s %.3g -> %.3g %s (%+.3g, %+.1f%%)"
                         % (key, t0, t1, unit, t1 - t0,
                            100.0 * (t1 - t0) / t0))
        print("  %-20s %s" % (what, "; ".join(parts)), file=out)
    print(file=out)
    out.flush()


# --------------------------------------------------------------------------
# Machine information
# --------------------------------------------------------------------------

def cpu_times():
    """(total, steal) jiffies from /proc/stat, or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields[:8]), fields[7]
    except (OSError, ValueError, IndexError):
        return None


def machine_info():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)),
            "cpu_model": model or platform.processor(),
            "kernel": platform.release(), "machine": platform.machine(),
            "mem_mib": mem,
            "loadavg_at_start": [round(x, 2) for x in load] if load else None,
            "date": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="seconds")}


def ferrozmq_info(path, copy):
    """Identify the ferrozmq build being measured."""
    import hashlib
    with open(copy, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    built = datetime.datetime.fromtimestamp(
        os.path.getmtime(path), datetime.timezone.utc) \
        .isoformat(timespec="seconds")
    git = "?"
    try:
        head = run_quiet(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
        dirty = run_quiet(["git", "-C", ROOT, "status", "--porcelain",
                           "--untracked-files=no"])
        if head.returncode == 0:
            git = head.stdout.strip() + \
                ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return {"sha256": digest, "built": built, "git": git}


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a small subset of cases (< 1 min)")
    ap.add_argument("--reps", type=int, default=None,
                    help="repetitions per case and library (default: 5 "
                         "pinned and 3 unpinned; --quick: 3 and 3)")
    ap.add_argument("--modes", default="pinned,unpinned",
                    help="comma-separated: pinned, unpinned")
    ap.add_argument("--cases", default=None,
                    help="regular expression selecting case names")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds before one run counts as hung (default 30)")
    ap.add_argument("--bindir", default=os.path.join(ROOT, "build", "perf"))
    ap.add_argument("--ours", default=os.path.join(ROOT, "build", "lib"),
                    help="directory holding ferrozmq's libzmq.so.5")
    ap.add_argument("--reference", default=None,
                    help="directory holding the reference libzmq.so.5 "
                         "(default: the system's; installs libzmq5 if none)")
    ap.add_argument("--draft-reference", default=None, metavar="DIR",
                    help="directory holding a libzmq.so.5 built with the "
                         "draft API: runs the draft cases (CLIENT/SERVER "
                         "over tcp, RADIO/DISH over udp) against it; "
                         "without it they are skipped")
    ap.add_argument("--json", default=os.path.join(ROOT, "bench",
                                                   "results.json"))
    ap.add_argument("--no-stacks", action="store_true",
                    help="don't attach gdb to hung runs (default: their "
                         "stacks go to bench/hangs/)")
    args = ap.parse_args()
    global HANG_DIR
    if not args.no_stacks:
        HANG_DIR = os.path.join(os.path.dirname(os.path.abspath(args.json)),
                                "hangs")
        if os.path.isdir(HANG_DIR):  # stacks of an earlier run
            for name in os.listdir(HANG_DIR):
                if name.endswith(".txt"):
                    os.unlink(os.path.join(HANG_DIR, name))

    reps = {"pinned": args.reps or (3 if args.quick else 5),
            "unpinned": args.reps or 3}
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in ("pinned", "unpinned"):
            sys.exit("bench: unknown mode %r" % m)
    draft_dir = args.draft_reference
    if draft_dir is None:
        print("bench: draft cases (CLIENT/SERVER over tcp, RADIO/DISH over "
              "udp) skipped: they need --draft-reference DIR, a libzmq.so.5 "
              "built with the draft API", file=sys.stderr, flush=True)
    cases = all_cases(draft=draft_dir is not None)
    if args.quick:
        cases = [c for c in cases if c.name in QUICK_CASES]
    if args.cases:
        cases = [c for c in cases if re.search(args.cases, c.name)]
    if not cases:
        sys.exit("bench: no case selected")
    for name in ("local_thr", "remote_thr", "local_lat", "remote_lat",
                 "inproc_thr", "inproc_lat", "pubsub_thr", "raw_perf"):
        if not os.access(os.path.join(args.bindir, name), os.X_OK):
            sys.exit("bench: %s/%s missing; build with: make -C perf"
                     % (args.bindir, name))
    if "pinned" in modes and not shutil.which("taskset"):
        sys.exit("bench: taskset (util-linux) is needed for pinned runs")

    # The classic cases compare with --reference (default Debian's libzmq),
    # the draft ones with --draft-reference; each is needed only if used.
    ref = draft_ref = None
    if any(not c.draft for c in cases):
        ref = Library("libzmq", "reference libzmq",
                      args.reference or ensure_reference_libdir())
        if not os.path.exists(ref.file):
            sys.exit("bench: FATAL: %s has no libzmq.so.5" % ref.libdir)
    if any(c.draft for c in cases):
        draft_ref = Library("libzmq", "draft reference libzmq",
                            os.path.abspath(draft_dir))
        if not os.path.exists(draft_ref.file):
            sys.exit("bench: FATAL: %s has no libzmq.so.5" % draft_dir)
        if not has_draft_api(draft_ref.file):
            sys.exit("bench: FATAL: %s has no draft API (zmq_join, "
                     "zmq_msg_set_group, zmq_msg_routing_id...): build "
                     "libzmq with --enable-drafts / -DENABLE_DRAFTS=ON"
                     % draft_ref.file)
    ours_dir = os.path.abspath(args.ours)
    ours_file = os.path.realpath(os.path.join(ours_dir, "libzmq.so.5"))
    if not os.path.exists(ours_file):
        sys.exit("bench: FATAL: %s has no libzmq.so.5 (run make stage)"
                 % ours_dir)
    tmproot = tempfile.mkdtemp(prefix="ferrozmq-bench-")
    workdir = os.path.join(tmproot, "run")
    os.mkdir(workdir)
    # Run a private copy of ferrozmq, so that a rebuild of build/lib while
    # the bench runs cannot mix two versions into one table.
    snapshot = os.path.join(tmproot, "ferrozmq-lib")
    os.mkdir(snapshot)
    shutil.copy2(ours_file, os.path.join(snapshot, "libzmq.so.5"))
    ours = Library("ferrozmq", "ferrozmq", snapshot)

    def libs_of(case):
        """(reference, ferrozmq) for a case."""
        return [draft_ref if case.draft else ref, ours]

    info = machine_info()
    print("ferrozmq bench: %d cases x 2 libraries, %s "
          "(A = libzmq, B = ferrozmq, run A B A B ...)"
          % (len(cases), ", ".join("%s x %d reps" % (m, reps[m])
                                   for m in modes)))
    print("machine: %s, %s CPUs, Linux %s, load %s"
          % (info["cpu_model"], info["nproc"], info["kernel"],
             info["loadavg_at_start"]))
    ours_info = ferrozmq_info(ours_file, ours.file)
    if ref:
        print("libzmq:   %s" % ref.file)
    if draft_ref:
        print("libzmq:   %s (draft cases)" % draft_ref.file)
    print("ferrozmq: %s (sha256 %.12s, built %s, git %s; run from a copy)\n"
          % (ours_file, ours_info["sha256"], ours_info["built"],
             ours_info["git"]))
    sys.stdout.flush()

    began = time.monotonic()
    times_at_start = cpu_times()
    tables = {}
    raw_results = {}
    try:
        for mode in modes:
            pin = mode == "pinned"
            results = []
            raw_results[mode] = []
            for case in cases:
                if case.kind.startswith("raw-"):
                    samples, failures = [], []
                    for rep in range(reps[mode]):
                        try:
                            samples.append(run_once(
                                case, None, pin, args.bindir, workdir,
                                args.timeout, "%s-%s-run%d" % (
                                    mode, case.name, rep + 1)))
                        except RunFailed as e:
                            failures.append("run %d: %s" % (rep + 1, e))
                            break
                    entry = {"case": case.describe(),
                             "raw": summarise(samples, failures)}
                    raw_results[mode].append(entry)
                    print("  [%s %5.0fs] %-22s %s" % (
                        mode, time.monotonic() - began, case.name,
                        fmt_value(entry["raw"]["median"], case.unit)
                        if entry["raw"]["status"] == "ok" else "FAIL"),
                        file=sys.stderr, flush=True)
                    continue
                libs = libs_of(case)
                samples = {lib.key: [] for lib in libs}
                failures = {lib.key: [] for lib in libs}
                case_start = cpu_times()
                for rep in range(reps[mode]):
                    for lib in libs:
                        if failures[lib.key]:
                            continue  # failed once: don't burn more time
                        try:
                            samples[lib.key].append(run_once(
                                case, lib, pin, args.bindir, workdir,
                                args.timeout, "%s-%s-%s-run%d" % (
                                    mode, case.name, lib.key, rep + 1)))
                        except RunFailed as e:
                            failures[lib.key].append("run %d: %s"
                                                     % (rep + 1, e))
                entry = {"case": dict(case.describe(),
                                      resources=case.resources),
                         "libzmq": summarise(samples["libzmq"],
                                             failures["libzmq"],
                                             strict=False),
                         "ferrozmq": summarise(samples["ferrozmq"],
                                               failures["ferrozmq"])}
                a, b = entry["libzmq"], entry["ferrozmq"]
                case_end = cpu_times()
                entry["steal_pct"] = (
                    round(100.0 * (case_end[1] - case_start[1])
                          / (case_end[0] - case_start[0]), 1)
                    if case_start and case_end and
                    case_end[0] > case_start[0] else None)
                both = a["status"] == "ok" and b["status"] == "ok"
                entry["ratio"] = (round(b["median"] / a["median"], 3)
                                  if both and a["median"] else None)
                entry["cpu_ratio"] = (
                    round(b["cpu_s_median"] / a["cpu_s_median"], 3)
                    if both and a.get("cpu_s_median") else None)
                results.append(entry)
                print("  [%s %5.0fs] %-22s libzmq %-14s ferrozmq %-14s%s"
                      % (mode, time.monotonic() - began, case.name,
                         fmt_value(a["median"], case.unit)
                         if a["status"] == "ok" else "FAIL",
                         fmt_value(b["median"], case.unit)
                         if b["status"] == "ok" else "FAIL",
                         "" if entry["ratio"] is None
                         else "  ratio %.2f" % entry["ratio"])
                      + "  steal %s%%" % entry["steal_pct"],
                      file=sys.stderr, flush=True)
            tables[mode] = results
    except LibraryMismatch as e:
        sys.exit("bench: FATAL: wrong library loaded: %s" % e)
    except KeyboardInterrupt:
        sys.exit("bench: interrupted")
    finally:
        shutil.rmtree(tmproot, ignore_errors=True)
    elapsed = time.monotonic() - began

    print()
    titles = {
        "pinned": "PINNED (taskset -c 0: every process on CPU 0) - the "
                  "stable table; medians of %d runs" % reps["pinned"],
        "unpinned": "UNPINNED (scheduler's choice of CPUs; noisier on small "
                    "VMs) - medians of %d runs" % reps["unpinned"]}
    for mode in modes:
        classic = [r for r in tables[mode] if not r["case"]["draft"]]
        draft = [r for r in tables[mode] if r["case"]["draft"]]
        if classic:
            print_table(titles[mode], classic, [ref, ours])
        if draft:
            print_table("%s\n  draft API cases, against %s"
                        % (titles[mode], draft_ref.file), draft,
                        [draft_ref, ours])
    for mode in modes:
        if raw_results.get(mode):
            print_raw_table("%s\n  raw sockets (perf/raw_perf.c, no library): "
                            "the kernel's own figures" % titles[mode],
                            raw_results[mode], tables[mode])
    for mode in modes:
        print_scaling_table("%s\n  scaling: time per operation from the small "
                            "to the large size of a workload"
                            % titles[mode], tables[mode])
    print("ratio f/l = ferrozmq / libzmq median: above 1 means ferrozmq is "
          "better on msg/s rows (better = higher),\n  below 1 means "
          "ferrozmq is better on us, s and MiB rows (better = lower).")
    print("cpu f/l = CPU time (user+sys, all processes of the run) "
          "ferrozmq / libzmq for the same work: lower is better.")
    print("noise l / f = largest deviation of one run from the median, "
          "libzmq / ferrozmq.")
    print("steal% = CPU time the hypervisor took from this VM while the "
          "case ran (/proc/stat); high values mean noisy figures.")

    try:
        load_end = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load_end = None
    info["loadavg_at_end"] = load_end
    times_at_end = cpu_times()
    if times_at_start and times_at_end and \
            times_at_end[0] > times_at_start[0]:
        # Time the hypervisor gave our vCPUs to someone else: a high figure
        # means a noisy neighbour and less trustworthy numbers.
        info["steal_pct_during_run"] = round(
            100.0 * (times_at_end[1] - times_at_start[1])
            / (times_at_end[0] - times_at_start[0]), 1)
    doc = {"tool": "ferrozmq perf/bench.py", "quick": args.quick,
           "reps": reps, "modes": modes, "timeout_s": args.timeout,
           "duration_s": round(elapsed, 1), "machine": info,
           "libraries": {
               "libzmq": {"file": ref.file, "version": ref.version}
               if ref else None,
               "libzmq_draft": {"file": draft_ref.file,
                                "version": draft_ref.version,
                                "used_for": "cases with draft: true"}
               if draft_ref else None,
               "ferrozmq": dict(ours_info, file=ours_file,
                                version=ours.version)},
           "ratio": "ferrozmq median / libzmq median; see each case's "
                    "'better' for its direction",
           "tables": tables, "raw": raw_results,
           "scaling": {mode: [{"grows": what, "unit": unit,
                               "libzmq": list(times["libzmq"]),
                               "ferrozmq": list(times["ferrozmq"])}
                              for what, unit, times
                              in scaling_rows(tables[mode])]
                       for mode in modes}}
    print("total bench time %.0f s; CPU steal during the run %s %%; "
          "load at end %s; results in %s"
          % (elapsed, info.get("steal_pct_during_run", "?"), load_end,
             args.json))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
