#!/usr/bin/env python3
"""Generates the API misuse sweep (a C program) from include/zmq.h.

usage: gen.py HEADER OUT.c [--draft]

Every non-draft ZMQ_EXPORT function of the header must have an entry in
SPEC below (the generator fails on one that has none, so a new function
cannot slip through). For each function it emits:
  * the baseline call (every argument valid), unless the function blocks
    when used correctly (zmq_proxy, zmq_device);
  * one call per hostile value of each argument, the others at baseline
    (NULL, a closed socket / terminated context / destroyed handle, a
    pointer to zero-filled or 0xA5-filled memory that is no zmq object,
    lengths 0/1/huge/mismatched, option ids -1/0/huge);
  * the extra combinations listed for it (every socket option id with
    several values and lengths for zmq_setsockopt/zmq_getsockopt, every
    context option for zmq_ctx_set/zmq_ctx_get, ...).
Option ids come from the header too: every ZMQ_* socket option and context
option it defines.

With --draft it does the same for the draft functions only (every one must
have an entry), in a program built with ZMQ_BUILD_DRAFT_API.

Each case becomes a `case N:` of run_case() in OUT.c, after prelude.c (the
fixtures and the fork/report machinery). Python 3 standard library only.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- header --


def parse_header(path):
    """Returns ({name: (ret, [(type, name)], draft)}, {macro: value})."""
    text = open(path, encoding="utf-8").read()
    funcs = {}
    draft = False
    for line in text.splitlines():
        s = line.strip()
        if re.match(r"#if(def)?\s.*ZMQ_BUILD_DRAFT_API", s):
            draft = True
        elif s == "#endif":
            draft = False
        m = re.match(r"ZMQ_EXPORT\s+(.+?)\s*\b(zmq_\w+)\s*\((.*)\);", s)
        if not m:
            continue
        ret, name, params = m.group(1).strip(), m.group(2), m.group(3).strip()
        args = []
        if params and params != "void":
            for p in params.split(","):
                p = p.strip()
                pm = re.match(r"(.*?)(\w+)$", p)
                ctype = re.sub(r"\s+", " ", pm.group(1)).strip()
                args.append((ctype, pm.group(2)))
        funcs[name] = (ret, args, draft)
    macros = {}
    for m in re.finditer(r"^#define\s+(ZMQ_\w+)\s+(-?\d+)\s*$", text, re.M):
        macros.setdefault(m.group(1), int(m.group(2)))
    return funcs, macros


def sockopt_ids(macros):
    """Every socket option id the header defines (ZMQ_AFFINITY up to the
    first non-option after them, plus the deprecated aliases block)."""
    names = list(macros)
    start = names.index("ZMQ_AFFINITY")
    end = names.index("ZMQ_MORE")
    ids = {macros[n] for n in names[start:end]}
    for n in ("ZMQ_TCP_ACCEPT_FILTER", "ZMQ_IPC_FILTER_PID", "ZMQ_IPC_FILTER_UID",
              "ZMQ_IPC_FILTER_GID", "ZMQ_IPV4ONLY"):
        ids.add(macros[n])
    return sorted(ids)


def ctxopt_ids(macros):
    names = list(macros)
    start = names.index("ZMQ_IO_THREADS")
    end = names.index("ZMQ_IO_THREADS_DFLT")
    ids = {macros[n] for n in names[start:end]}
    ids.update({macros["ZMQ_IPV6"], macros["ZMQ_BLOCKY"]})
    return sorted(ids)


# -------------------------------------------------------------- variants --
# A variant is (label, C expression); the first of each list is the
# baseline (valid) value.

def q(s):
    return '"' + s + '"'


CTX = [("valid", "ctx_valid ()"), ("NULL", "NULL"), ("terminated", "ctx_terminated ()"),
       ("shut-down", "ctx_shut ()"), ("zeros", "GARBAGE"), ("junk", "JUNK"),
       ("a-socket", "sock_valid ()")]
SOCK = [("valid", "sock_valid ()"), ("NULL", "NULL"), ("closed", "sock_closed ()"),
        ("zeros", "GARBAGE"), ("junk", "JUNK"), ("a-context", "ctx_valid ()"),
        ("of-shut-ctx", "sock_of_shut_ctx ()")]
MSG = [("valid", "msg_valid ()"), ("NULL", "NULL"), ("closed", "msg_closed ()"),
       ("zeros", "MSG_ZEROS"), ("junk", "MSG_JUNK"), ("empty", "msg_empty ()")]
# The target of zmq_msg_init*: any writable memory is fine, NULL is not.
MSG_OUT = [("junk-memory", "MSG_JUNK"), ("NULL", "NULL")]
SIZES = [("5", "5"), ("0", "0"), ("1", "1"), ("SIZE_MAX", "SIZE_MAX"),
         ("SIZE_MAX/2", "SIZE_MAX / 2"), ("2^40", "(size_t) 1 << 40")]
ADDR_BAD = [("NULL", "NULL"), ("empty", q("")), ("tcp-no-host", q("tcp://")),
            ("tcp-no-port", q("tcp://127.0.0.1:")), ("tcp-port-99999", q("tcp://127.0.0.1:99999")),
            ("tcp-port-neg", q("tcp://127.0.0.1:-1")), ("tcp-bad-ip", q("tcp://256.1.1.1:5555")),
            ("tcp-open-bracket", q("tcp://[::1:5555")), ("inproc-empty", q("inproc://")),
            ("ipc-empty", q("ipc://")), ("ipc-path-too-long", "LONG_IPC"),
            ("tcp-64k-host", "LONG_TCP"), ("64k-string", "LONG_STR"),
            ("unknown-transport", q("foo://bar")), ("no-scheme", q("127.0.0.1:5555")),
            ("udp-on-pair", q("udp://127.0.0.1:5555")), ("pgm", q("pgm://eth0;239.1.1.1:5555"))]
FLAGS = [("0", "0"), ("-1", "-1"), ("INT_MAX", "INT_MAX"), ("DONTWAIT", "ZMQ_DONTWAIT"),
         ("SNDMORE", "ZMQ_SNDMORE"), ("0x100", "0x100")]
INTS = [("-1", "-1"), ("0", "0"), ("1", "1"), ("INT_MAX", "INT_MAX"), ("INT_MIN", "INT_MIN")]
COUNTER = [("valid", "counter_valid ()"), ("NULL", "NULL"), ("destroyed", "counter_destroyed ()"),
           ("zeros", "GARBAGE"), ("junk", "JUNK")]
TIMERS = [("valid", "timers_with_one ()"), ("NULL", "NULL"), ("destroyed", "timers_destroyed ()"),
          ("zeros", "GARBAGE"), ("junk", "JUNK"), ("a-socket", "sock_valid ()")]
TIMER_IDS = [("1", "1"), ("-1", "-1"), ("0", "0"), ("2", "2"), ("INT_MAX", "INT_MAX")]
INTERVALS = [("10", "10"), ("0", "0"), ("SIZE_MAX", "SIZE_MAX")]
WATCH = [("valid", "watch_valid ()"), ("NULL", "NULL"), ("zeros", "GARBAGE"), ("junk", "JUNK")]
SLOT_COUNTER = [("valid", "counter_slot ()"), ("NULL", "NULL"), ("slot-NULL", "null_slot ()"),
                ("slot-zeros", "garbage_slot ()")]
SLOT_TIMERS = [("valid", "timers_slot ()"), ("NULL", "NULL"), ("slot-NULL", "null_slot ()"),
               ("slot-zeros", "garbage_slot ()")]
BUF_IN = [("buf", "BUF"), ("NULL", "NULL")]


def spec(macros, draft=False):
    """{function: {"args": [variants per argument], "extra": [[expr...]],
    "ret": reporter, "no_baseline": bool}}."""
    sockopts = sockopt_ids(macros)
    ctxopts = ctxopt_ids(macros)
    s = {}

    def f(name, args, ret, extra=(), no_baseline=False, skip=()):
        s[name] = {"args": args, "ret": ret, "extra": list(extra),
                   "no_baseline": no_baseline, "skip": set(skip)}

    # --- contexts
    f("zmq_ctx_new", [], "R_PTR")
    for name in ("zmq_ctx_term", "zmq_ctx_shutdown", "zmq_term", "zmq_ctx_destroy"):
        f(name, [CTX], "R_INT")
    copts = [(str(o), str(o)) for o in ctxopts] + [("-1", "-1"), ("0", "0"), ("INT_MAX", "INT_MAX")]
    cvals = [("-1", "-1"), ("0", "0"), ("1", "1"), ("INT_MAX", "INT_MAX")]
    f("zmq_ctx_set", [CTX, [("1", "ZMQ_IO_THREADS")] + copts, [("1", "1")] + cvals], "R_INT",
      extra=[[("valid", "ctx_valid ()"), o, v] for o in copts for v in cvals])
    f("zmq_ctx_get", [CTX, [("2", "ZMQ_MAX_SOCKETS")] + copts], "R_INT")
    f("zmq_init", [[("1", "1")] + INTS], "R_PTR")

    # --- messages
    f("zmq_msg_init", [MSG_OUT], "R_INT")
    f("zmq_msg_init_size", [MSG_OUT, SIZES], "R_INT")
    f("zmq_msg_init_data",
      [MSG_OUT, BUF_IN, SIZES[:3], [("free-fn", "sw_free_fn"), ("NULL", "NULL")],
       [("NULL", "NULL"), ("hint", "BUF")]], "R_INT",
      extra=[[MSG_OUT[0], ("NULL", "NULL"), ("0", "0"), ("NULL", "NULL"), ("NULL", "NULL")]])
    f("zmq_msg_close", [MSG], "R_INT")
    f("zmq_msg_move", [MSG, MSG], "R_INT")
    f("zmq_msg_copy", [MSG, MSG], "R_INT")
    f("zmq_msg_data", [MSG], "R_PTR")
    f("zmq_msg_size", [MSG], "R_SIZE")
    f("zmq_msg_more", [MSG], "R_INT")
    props = [("MORE", "ZMQ_MORE"), ("-1", "-1"), ("0", "0"), ("SRCFD", "ZMQ_SRCFD"),
             ("SHARED", "ZMQ_SHARED"), ("4", "4"), ("INT_MAX", "INT_MAX")]
    f("zmq_msg_get", [MSG, props], "R_INT")
    f("zmq_msg_set", [MSG, props, [("0", "0"), ("1", "1"), ("-1", "-1")]], "R_INT")
    f("zmq_msg_gets",
      [MSG, [("Socket-Type", q("Socket-Type")), ("NULL", "NULL"), ("empty", q("")),
             ("Routing-Id", q("Routing-Id")), ("Peer-Address", q("Peer-Address")),
             ("User-Id", q("User-Id")), ("unknown", q("X-Unknown")), ("64k", "LONG_STR")]],
      "R_STR")
    f("zmq_msg_send", [MSG, SOCK, FLAGS], "R_INT")
    f("zmq_msg_recv", [MSG, [("ready", "sock_ready ()")] + SOCK, FLAGS], "R_INT")
    f("zmq_sendmsg", [SOCK, MSG, FLAGS], "R_INT")
    f("zmq_recvmsg", [[("ready", "sock_ready ()")] + SOCK, MSG, FLAGS], "R_INT")

    # --- sockets
    types = [("PAIR", "ZMQ_PAIR"), ("-1", "-1"), ("INT_MAX", "INT_MAX"), ("INT_MIN", "INT_MIN")] + [
        (str(t), str(t)) for t in range(1, 21)]
    f("zmq_socket", [CTX, types], "R_PTR")
    f("zmq_close", [SOCK], "R_INT")

    opt_ids = [(str(o), str(o)) for o in sockopts]
    bad_ids = [("-1", "-1"), ("0", "0"), ("3", "3"), ("INT_MAX", "INT_MAX"), ("INT_MIN", "INT_MIN")]
    set_vals = [[("zeros", "BUF"), ("4", "4")], [("int-1", "int_ptr (1)"), ("4", "4")],
                [("int-minus-1", "int_ptr (-1)"), ("4", "4")], [("zeros", "BUF"), ("8", "8")],
                [("zeros", "BUF"), ("0", "0")], [("zeros", "BUF"), ("1", "1")],
                [("zeros", "BUF"), ("32", "32")], [("zeros", "BUF"), ("40", "40")],
                [("zeros", "BUF"), ("256", "256")], [("NULL", "NULL"), ("0", "0")],
                [("NULL", "NULL"), ("4", "4")], [("zeros", "BUF"), ("SIZE_MAX", "SIZE_MAX")]]
    setx = [[SOCK[0], o, v, n] for o in opt_ids + bad_ids for v, n in set_vals]
    # The options only some socket types take, on those types.
    typed = {"SUB": ("ZMQ_SUBSCRIBE", "ZMQ_UNSUBSCRIBE", "ZMQ_INVERT_MATCHING"),
             "ROUTER": ("ZMQ_ROUTER_MANDATORY", "ZMQ_ROUTER_RAW", "ZMQ_PROBE_ROUTER",
                        "ZMQ_ROUTER_HANDOVER", "ZMQ_CONNECT_ROUTING_ID"),
             "XPUB": ("ZMQ_XPUB_VERBOSE", "ZMQ_XPUB_VERBOSER", "ZMQ_XPUB_NODROP",
                      "ZMQ_XPUB_MANUAL", "ZMQ_XPUB_WELCOME_MSG", "ZMQ_SUBSCRIBE"),
             "REQ": ("ZMQ_REQ_CORRELATE", "ZMQ_REQ_RELAXED"),
             "STREAM": ("ZMQ_STREAM_NOTIFY", "ZMQ_CONNECT_ROUTING_ID")}
    for t, names in typed.items():
        for o in names:
            for v, n in set_vals:
                setx.append([(t, f"sock_typed (ZMQ_{t})"), (str(macros[o]), str(macros[o])), v, n])
    f("zmq_setsockopt", [SOCK, [("LINGER", "ZMQ_LINGER")], BUF_IN, [("4", "4")]], "R_INT",
      extra=setx)
    get_lens = [("len-256", "len_ptr (256)"), ("NULL", "NULL"), ("len-0", "len_ptr (0)"),
                ("len-1", "len_ptr (1)"), ("len-4", "len_ptr (4)"), ("len-SIZE_MAX", "len_ptr (SIZE_MAX)")]
    getx = []
    for o in opt_ids + bad_ids:
        for n in get_lens:
            getx.append([SOCK[0], o, ("buf", "BUF"), n])
        getx.append([SOCK[0], o, ("NULL", "NULL"), ("len-256", "len_ptr (256)")])
    f("zmq_getsockopt", [SOCK, [("LINGER", "ZMQ_LINGER")], BUF_IN, [get_lens[0]] + get_lens[1:]],
      "R_INT", extra=getx)
    f("zmq_bind", [SOCK, [("tcp-wildcard", q("tcp://127.0.0.1:*"))] + ADDR_BAD
                   + [("inproc-in-use", q("inproc://sweep-peer")),
                      ("tcp-wildcard-any", q("tcp://*:*"))]], "R_INT")
    f("zmq_connect", [SOCK, [("inproc", q("inproc://sweep-x"))] + ADDR_BAD
                      + [("tcp-wildcard", q("tcp://127.0.0.1:*")),
                         ("tcp-port-0", q("tcp://127.0.0.1:0"))]], "R_INT")
    for name in ("zmq_unbind", "zmq_disconnect"):
        f(name, [SOCK, [("inproc-sweep-peer", q("inproc://sweep-peer"))] + ADDR_BAD
                 + [("never-used", q("tcp://127.0.0.1:1"))]], "R_INT")
    sizes = SIZES[:4] + [("2^40", "(size_t) 1 << 40")]
    for name in ("zmq_send", "zmq_send_const"):
        f(name, [SOCK, BUF_IN, sizes, FLAGS], "R_INT",
          extra=[[SOCK[0], ("NULL", "NULL"), ("0", "0"), ("0", "0")]])
    f("zmq_recv", [[("ready", "sock_ready ()")] + SOCK, BUF_IN, sizes, FLAGS], "R_INT",
      extra=[[("ready", "sock_ready ()"), ("NULL", "NULL"), ("0", "0"), ("0", "0")]])
    iov = [("valid", "iov_valid ()"), ("NULL", "NULL"), ("null-bases", "iov_null_bases ()")]
    f("zmq_sendiov", [SOCK, iov, [("2", "2"), ("0", "0"), ("1", "1"), ("SIZE_MAX", "SIZE_MAX"),
                                  ("2^40", "(size_t) 1 << 40")], FLAGS], "R_INT")
    f("zmq_recviov", [[("ready", "sock_ready ()")] + SOCK, iov,
                      [("count-2", "len_ptr (2)"), ("NULL", "NULL"), ("count-0", "len_ptr (0)"),
                       ("count-SIZE_MAX", "len_ptr (SIZE_MAX)")], FLAGS], "R_INT")
    f("zmq_socket_monitor",
      [SOCK, [("inproc", q("inproc://sweep-mon")), ("NULL", "NULL"), ("empty", q("")),
              ("tcp", q("tcp://127.0.0.1:5555")), ("inproc-empty", q("inproc://")),
              ("64k", "LONG_STR")],
       [("ALL", "ZMQ_EVENT_ALL"), ("0", "0"), ("-1", "-1"), ("INT_MAX", "INT_MAX")]], "R_INT")

    # --- proxies: used correctly they block until the context ends, so only
    # calls with a bad socket are made (a correct zmq_proxy_steerable gets a
    # control socket with TERMINATE queued, and returns).
    bad_socks = SOCK[1:]
    proxy_sock = [("valid", "sock_valid ()")] + bad_socks
    cap = [("NULL", "NULL")] + [v for v in bad_socks if v[0] != "NULL"]
    f("zmq_proxy", [proxy_sock, [("valid2", "sock_typed (ZMQ_PAIR)")] + bad_socks, cap],
      "R_INT", no_baseline=True)
    f("zmq_proxy_steerable",
      [proxy_sock, [("valid2", "sock_typed (ZMQ_PAIR)")] + bad_socks, cap,
       [("terminate", "sock_control ()")] + [v for v in bad_socks if v[0] != "NULL"]], "R_INT")
    f("zmq_device",
      [[("QUEUE", "ZMQ_QUEUE")], proxy_sock, [("valid2", "sock_typed (ZMQ_PAIR)")] + bad_socks],
      "R_INT", no_baseline=True,
      extra=[[t, ("NULL", "NULL"), ("NULL", "NULL")] for t in
             [("-1", "-1"), ("0", "0"), ("INT_MAX", "INT_MAX")]])
    f("zmq_poll",
      [[("valid-socket", "items_with (sock_valid (), 0, ZMQ_POLLIN)"), ("NULL", "NULL"),
        ("closed-socket", "items_with (sock_closed (), 0, ZMQ_POLLIN)"),
        ("zeros-socket", "items_with (GARBAGE, 0, ZMQ_POLLIN)"),
        ("junk-socket", "items_with (JUNK, 0, ZMQ_POLLIN)"),
        ("context-as-socket", "items_with (ctx_valid (), 0, ZMQ_POLLIN)"),
        ("fd-minus-1", "items_with (NULL, -1, ZMQ_POLLIN)"),
        ("fd-999999", "items_with (NULL, 999999, ZMQ_POLLIN)"),
        ("events-minus-1", "items_with (sock_valid (), 0, -1)"),
        ("events-0", "items_with (sock_valid (), 0, 0)")],
       [("1", "1"), ("0", "0"), ("-1", "-1"), ("4096", "4096"), ("INT_MIN", "INT_MIN")],
       [("0", "0"), ("1", "1")]], "R_INT",
      extra=[[("ready-socket", "items_with (sock_ready (), 0, ZMQ_POLLIN)"), ("1", "1"),
              ("-1", "-1")],
             [("NULL", "NULL"), ("0", "0"), ("1", "1")]])

    # --- utilities
    f("zmq_errno", [], "R_INT")
    f("zmq_strerror", [[("EINVAL", "EINVAL"), ("0", "0"), ("-1", "-1"), ("EFSM", "EFSM"),
                        ("ETERM", "ETERM"), ("HAUSNUMERO+100", "ZMQ_HAUSNUMERO + 100"),
                        ("INT_MAX", "INT_MAX"), ("INT_MIN", "INT_MIN")]], "R_STR")
    intp = [("valid", "(int *) BUF"), ("NULL", "NULL")]
    f("zmq_version", [intp, intp, intp], "R_VOID")
    f("zmq_has", [[("ipc", q("ipc")), ("NULL", "NULL"), ("empty", q("")), ("curve", q("curve")),
                   ("draft", q("draft")), ("tcp", q("tcp")), ("unknown", q("zzz")),
                   ("64k", "LONG_STR")]], "R_INT")
    f("zmq_z85_encode",
      [[("dest", "z85_dest ()"), ("NULL", "NULL")], [("data", "(const uint8_t *) BUF"), ("NULL", "NULL")],
       [("8", "8"), ("0", "0"), ("1", "1"), ("3", "3"), ("SIZE_MAX", "SIZE_MAX"),
        ("SIZE_MAX-3", "SIZE_MAX - 3")]], "R_PTR")
    f("zmq_z85_decode",
      [[("dest", "(uint8_t *) z85_dest ()"), ("NULL", "NULL")],
       [("valid", q("HelloWorld")), ("NULL", "NULL"), ("empty", q("")), ("len-3", q("abc")),
        ("bad-chars", q("\\x7f\\x7f\\x7f\\x7f\\x7f")), ("space", q("     ")),
        ("high-bytes", q("\\xff\\xfe\\xfd\\xfc\\xfb"))]], "R_PTR")
    keybuf = [("buf", "(char *) BUF"), ("NULL", "NULL")]
    f("zmq_curve_keypair", [keybuf, keybuf], "R_INT")
    f("zmq_curve_public",
      [keybuf, [("valid", q("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")), ("NULL", "NULL"),
                ("empty", q("")), ("short", q("abcde")), ("bad-chars", q("\\x7f" * 40))]],
      "R_INT")
    f("zmq_atomic_counter_new", [], "R_PTR")
    f("zmq_atomic_counter_set", [COUNTER, [("7", "7")] + INTS], "R_VOID")
    for name in ("zmq_atomic_counter_inc", "zmq_atomic_counter_dec", "zmq_atomic_counter_value"):
        f(name, [COUNTER], "R_INT")
    f("zmq_atomic_counter_destroy", [SLOT_COUNTER], "R_VOID")
    f("zmq_timers_new", [], "R_PTR")
    f("zmq_timers_destroy", [SLOT_TIMERS], "R_INT")
    f("zmq_timers_add", [TIMERS, INTERVALS, [("handler", "sw_timer_fn"), ("NULL", "NULL")],
                         [("NULL", "NULL"), ("arg", "BUF")]], "R_INT")
    for name in ("zmq_timers_cancel", "zmq_timers_reset"):
        f(name, [TIMERS, TIMER_IDS], "R_INT")
    f("zmq_timers_set_interval", [TIMERS, TIMER_IDS, INTERVALS], "R_INT")
    f("zmq_timers_timeout", [TIMERS], "R_INT")
    f("zmq_timers_execute", [TIMERS], "R_INT")
    f("zmq_stopwatch_start", [], "R_PTR")
    f("zmq_stopwatch_intermediate", [WATCH], "R_ELAPSED")
    f("zmq_stopwatch_stop", [WATCH], "R_ELAPSED")
    f("zmq_sleep", [[("0", "0"), ("-1", "-1"), ("INT_MIN", "INT_MIN")]], "R_VOID")
    f("zmq_threadstart", [[("fn", "sw_thread_fn"), ("NULL", "NULL")], [("NULL", "NULL"), ("arg", "BUF")]],
      "R_PTR")
    f("zmq_threadclose", [[("valid", "thread_valid ()"), ("NULL", "NULL"), ("zeros", "GARBAGE"),
                           ("junk", "JUNK")]], "R_VOID")
    if draft:
        draft_spec(f, macros)
    return s


def draft_spec(f, macros):
    """The draft API (ZMQ_BUILD_DRAFT_API)."""
    poller = [("NULL", "NULL"), ("destroyed", "poller_destroyed ()"), ("zeros", "GARBAGE"),
              ("junk", "JUNK"), ("a-socket", "sock_valid ()")]
    events = [("POLLIN", "ZMQ_POLLIN"), ("0", "0"), ("-1", "-1"), ("0x7fff", "0x7fff")]
    timeouts = [("0", "0"), ("1", "1")]
    f("zmq_poller_new", [], "R_PTR")
    f("zmq_poller_destroy", [[("valid", "poller_slot ()"), ("NULL", "NULL"), ("slot-NULL", "null_slot ()"),
                             ("slot-zeros", "garbage_slot ()"),
                             ("slot-destroyed", "destroyed_poller_slot ()")]], "R_INT")
    f("zmq_poller_size", [[("valid", "poller_with_sock ()")] + poller], "R_INT")
    f("zmq_poller_add", [[("empty", "poller_empty ()")] + poller,
                         SOCK, [("NULL", "NULL"), ("data", "BUF")], events], "R_INT",
      extra=[[("has-it", "poller_with_sock ()"), SOCK[0], ("NULL", "NULL"), events[0]]])
    f("zmq_poller_modify", [[("has-it", "poller_with_sock ()")] + poller,
                            SOCK + [("not-added", "sock_typed (ZMQ_PAIR)")], events], "R_INT")
    f("zmq_poller_remove", [[("has-it", "poller_with_sock ()")] + poller,
                            SOCK + [("not-added", "sock_typed (ZMQ_PAIR)")]], "R_INT")
    f("zmq_poller_wait", [[("has-it", "poller_with_sock ()")] + poller + [("empty", "poller_empty ()")],
                          [("event", "EVENTS"), ("NULL", "NULL")], timeouts], "R_INT",
      extra=[[("ready", "poller_ready ()"), ("event", "EVENTS"), ("-1", "-1")]])
    f("zmq_poller_wait_all",
      [[("has-it", "poller_with_sock ()")] + poller + [("empty", "poller_empty ()")],
       [("events", "EVENTS"), ("NULL", "NULL")],
       [("1", "1"), ("0", "0"), ("-1", "-1"), ("INT_MAX", "INT_MAX")], timeouts], "R_INT",
      extra=[[("ready", "poller_ready ()"), ("events", "EVENTS"), ("8", "8"), ("-1", "-1")]])
    f("zmq_poller_fd", [[("has-it", "poller_with_sock ()")] + poller,
                        [("fd", "(zmq_fd_t *) BUF"), ("NULL", "NULL")]], "R_INT")
    fds = [("pipe", "pipe_fd ()"), ("-1", "-1"), ("999999", "999999")]
    f("zmq_poller_add_fd", [[("empty", "poller_empty ()")] + poller, fds,
                            [("NULL", "NULL"), ("data", "BUF")], events], "R_INT",
      extra=[[("has-it", "poller_with_fd ()"), fds[0], ("NULL", "NULL"), events[0]]])
    f("zmq_poller_modify_fd", [[("has-it", "poller_with_fd ()")] + poller, fds, events], "R_INT")
    f("zmq_poller_remove_fd", [[("has-it", "poller_with_fd ()")] + poller, fds], "R_INT")
    f("zmq_ppoll",
      [[("valid-socket", "items_with (sock_valid (), 0, ZMQ_POLLIN)"), ("NULL", "NULL"),
        ("closed-socket", "items_with (sock_closed (), 0, ZMQ_POLLIN)"),
        ("zeros-socket", "items_with (GARBAGE, 0, ZMQ_POLLIN)"),
        ("fd-999999", "items_with (NULL, 999999, ZMQ_POLLIN)")],
       [("1", "1"), ("0", "0"), ("-1", "-1")], timeouts,
       [("NULL", "NULL"), ("empty-set", "empty_sigset ()")]], "R_INT")
    f("zmq_ctx_set_ext",
      [CTX, [("NAME_PREFIX", "ZMQ_THREAD_NAME_PREFIX"), ("-1", "-1"), ("0", "0"),
             ("IO_THREADS", "ZMQ_IO_THREADS"), ("INT_MAX", "INT_MAX")],
       [("abc", q("abc")), ("NULL", "NULL"), ("zeros", "BUF")],
       [("3", "3"), ("0", "0"), ("4", "4"), ("256", "256"), ("SIZE_MAX", "SIZE_MAX")]], "R_INT")
    f("zmq_ctx_get_ext",
      [CTX, [("NAME_PREFIX", "ZMQ_THREAD_NAME_PREFIX"), ("-1", "-1"), ("0", "0"),
             ("IO_THREADS", "ZMQ_IO_THREADS"), ("INT_MAX", "INT_MAX")],
       [("buf", "BUF"), ("NULL", "NULL")],
       [("len-256", "len_ptr (256)"), ("NULL", "NULL"), ("len-0", "len_ptr (0)"),
        ("len-1", "len_ptr (1)"), ("len-SIZE_MAX", "len_ptr (SIZE_MAX)")]], "R_INT")
    f("zmq_msg_init_buffer", [MSG_OUT, BUF_IN, SIZES], "R_INT")
    f("zmq_msg_set_routing_id", [MSG, [("1", "1"), ("0", "0"), ("UINT32_MAX", "UINT32_MAX")]], "R_INT")
    f("zmq_msg_routing_id", [MSG], "R_SIZE")
    groups = [("g", q("g")), ("NULL", "NULL"), ("empty", q("")), ("255", "group_of (255)"),
              ("256", "group_of (256)"), ("64k", "LONG_STR")]
    f("zmq_msg_set_group", [MSG, groups], "R_INT")
    f("zmq_msg_group", [MSG], "R_STR")
    dish = [("DISH", "sock_typed (ZMQ_DISH)")] + SOCK
    f("zmq_join", [dish, groups], "R_INT")
    f("zmq_leave", [dish, groups], "R_INT")
    f("zmq_connect_peer", [[("PEER", "sock_typed (ZMQ_PEER)")] + SOCK,
                           [("inproc", q("inproc://sweep-x"))] + ADDR_BAD], "R_U32")
    f("zmq_socket_get_peer_state",
      [[("ROUTER", "sock_typed (ZMQ_ROUTER)")] + SOCK, [("id", "BUF"), ("NULL", "NULL")],
       [("5", "5"), ("0", "0"), ("1", "1"), ("256", "256"), ("SIZE_MAX", "SIZE_MAX")]], "R_INT")
    f("zmq_socket_monitor_versioned",
      [SOCK, [("inproc", q("inproc://sweep-mon")), ("NULL", "NULL"), ("empty", q("")),
              ("tcp", q("tcp://127.0.0.1:5555")), ("64k", "LONG_STR")],
       [("ALL", "ZMQ_EVENT_ALL"), ("0", "0"), ("UINT64_MAX", "UINT64_MAX"),
        ("PIPES_STATS", "ZMQ_EVENT_PIPES_STATS")],
       [("1", "1"), ("2", "2"), ("0", "0"), ("-1", "-1"), ("3", "3")],
       [("PAIR", "ZMQ_PAIR"), ("PUB", "ZMQ_PUB"), ("PUSH", "ZMQ_PUSH"), ("-1", "-1"),
        ("ROUTER", "ZMQ_ROUTER")]], "R_INT")
    f("zmq_socket_monitor_pipes_stats", [SOCK], "R_INT",
      extra=[[("monitored", "monitored_socket ()")]])


# ------------------------------------------------------------------ emit --

def cases_for(name, entry):
    """Yields (label, [expr per argument])."""
    args = entry["args"]
    seen = set()
    labels = set()

    def out(values):
        key = tuple(v[1] for v in values)
        if key in seen:
            return None
        seen.add(key)
        label = " ".join(f"{i}={v[0]}" for i, v in enumerate(values)) or "()"
        # Labels name cases in the report and the allow-list: unique.
        k, unique = 2, label
        while unique in labels:
            unique, k = f"{label} #{k}", k + 1
        labels.add(unique)
        return unique, [v[1] for v in values]

    base = [a[0] for a in args]
    if not entry["no_baseline"]:
        c = out(base)
        if c:
            yield c
    for i, variants in enumerate(args):
        for v in variants[1:]:
            if (i, v[0]) in entry["skip"]:
                continue
            values = list(base)
            values[i] = v
            c = out(values)
            if c:
                yield c
    for values in entry["extra"]:
        c = out(values)
        if c:
            yield c


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    header, out_path = sys.argv[1], sys.argv[2]
    # --draft: the draft functions only, built with ZMQ_BUILD_DRAFT_API.
    draft = "--draft" in sys.argv[3:]
    funcs, macros = parse_header(header)
    specs = spec(macros, draft)
    if draft:
        specs = {n: e for n, e in specs.items() if funcs.get(n, (0, 0, False))[2]}
    missing = [n for n, (_, _, d) in funcs.items() if d == draft and n not in specs]
    if missing:
        sys.exit("gen.py: no sweep spec for: " + ", ".join(missing))
    unknown = [n for n in specs if n not in funcs]
    if unknown:
        sys.exit("gen.py: spec for functions the header lacks: " + ", ".join(unknown))
    lines = []
    table = []
    n = 0
    for name in sorted(specs):
        entry = specs[name]
        nargs = len(funcs[name][1])
        if nargs != len(entry["args"]):
            sys.exit(f"gen.py: {name} takes {nargs} arguments, spec has {len(entry['args'])}")
        params = funcs[name][1]
        for label, exprs in cases_for(name, entry):
            # Arguments are built left to right, objects that must be dead
            # (closed, terminated, destroyed) last: a library that recycles
            # a dead handle's memory for the next new object (ours does)
            # would otherwise hand the "closed" argument a live object.
            order = sorted(range(len(exprs)), key=lambda i: any(
                w in exprs[i] for w in ("closed", "terminated", "destroyed")))
            body = "".join(f"{params[i][0]} a{i} = {exprs[i]}; " for i in order)
            call = f"{name} ({', '.join(f'a{i}' for i in range(len(exprs)))})"
            lines.append(f"    case {n}: {{ {body}{entry['ret']} ({call}); }} break;")
            table.append(f'    {{"{name}", "{label}"}},')
            n += 1
    prelude = open(os.path.join(HERE, "prelude.c"), encoding="utf-8").read()
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("/* Generated by capi-tests/sweep/gen.py from " + os.path.basename(header)
                + ": do not edit. */\n")
        if draft:
            f.write("#define ZMQ_BUILD_DRAFT_API\n")
        f.write(prelude)
        f.write("\nstatic const struct { const char *fn, *args; } sw_cases[] = {\n")
        f.write("\n".join(table) + "\n};\n")
        f.write(f"#define SW_NCASES {n}\n\n")
        f.write("static void run_case (int n_)\n{\n    switch (n_) {\n")
        f.write("\n".join(lines) + "\n")
        f.write("    default: sw_emit (\"no-such-case\");\n    }\n}\n")
        f.write(open(os.path.join(HERE, "runner.c"), encoding="utf-8").read())
    print(f"gen.py: {n} cases over {len(specs)} functions -> {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
