#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from real traffic.

Runs real exchanges between two sockets of Debian's libzmq (NULL, PLAIN
with a ZAP handler, CURVE with libzmq's test keys, heartbeats, several
socket types, a SOCKS5 connect) through a small recording TCP relay, and
writes what each side sent, shaped for each target (see the target's doc in
src/fuzzing/), into fuzz/corpus/<target>/. ws:// and RADIO/DISH, which
Debian's libzmq 4.3.4 lacks, are captured between two ferrozmq sockets
(target/release/libzmq.so; `cargo build --release` first).

    fuzz/capture-seeds.py            # rewrite fuzz/corpus/
    fuzz/capture-seeds.py --lib PATH --only debian|ferro   (internal)

Each library runs in a process of its own (two libzmq.so.5 in one process
would share symbols). Seed names are a hash of their content.
"""
import argparse
import ctypes
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
DEBIAN = "/usr/lib/x86_64-linux-gnu/libzmq.so.5"
FERRO = os.path.join(HERE, "..", "target", "release", "libzmq.so")

# zmq.h values
PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB, STREAM = range(12)
SERVER, CLIENT, RADIO, DISH = 12, 13, 14, 15
ROUTING_ID, SUBSCRIBE, LINGER, RCVTIMEO, LAST_ENDPOINT = 5, 6, 17, 27, 32
PLAIN_SERVER, PLAIN_USERNAME, PLAIN_PASSWORD = 44, 45, 46
CURVE_SERVER, CURVE_PUBLICKEY, CURVE_SECRETKEY, CURVE_SERVERKEY = 47, 48, 49, 50
ZAP_DOMAIN, SOCKS_PROXY, HEARTBEAT_IVL, METADATA = 55, 68, 75, 95
SNDMORE = 2

# The order of SOCKET_TYPES in src/fuzzing/codec.rs is the zmq.h value.
# libzmq's test keys (as in src/fuzzing/handshake.rs).
SERVER_PUBLIC = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
SERVER_SECRET = b"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
CLIENT_PUBLIC = b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
CLIENT_SECRET = b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"


class Zmq:
    def __init__(self, path):
        z = ctypes.CDLL(path)
        vp, ci, cp = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        z.zmq_ctx_new.restype = vp
        z.zmq_socket.restype = vp
        z.zmq_socket.argtypes = [vp, ci]
        for f in ("zmq_bind", "zmq_connect"):
            getattr(z, f).argtypes = [vp, cp]
        z.zmq_setsockopt.argtypes = [vp, ci, vp, ctypes.c_size_t]
        z.zmq_getsockopt.argtypes = [vp, ci, vp, ctypes.POINTER(ctypes.c_size_t)]
        z.zmq_send.argtypes = [vp, cp, ctypes.c_size_t, ci]
        z.zmq_recv.argtypes = [vp, vp, ctypes.c_size_t, ci]
        z.zmq_close.argtypes = [vp]
        z.zmq_ctx_term.argtypes = [vp]
        z.zmq_z85_encode.argtypes = [cp, cp, ctypes.c_size_t]
        z.zmq_z85_encode.restype = cp
        z.zmq_curve_keypair.argtypes = [cp, cp]
        if hasattr(z, "zmq_join"):
            z.zmq_join.argtypes = [vp, cp]
        self.z = z
        self.ctx = z.zmq_ctx_new()

    def socket(self, kind, **opts):
        s = self.z.zmq_socket(self.ctx, kind)
        assert s, "zmq_socket(%d)" % kind
        self.opt(s, LINGER, 0)
        self.opt(s, RCVTIMEO, 3000)
        for k, v in opts.items():
            self.opt(s, globals()[k], v)
        return s

    def opt(self, s, name, value):
        if isinstance(value, int):
            b = ctypes.c_int(value)
            rc = self.z.zmq_setsockopt(s, name, ctypes.byref(b), 4)
        else:
            rc = self.z.zmq_setsockopt(s, name, value, len(value))
        assert rc == 0, "setsockopt %d" % name

    def last_endpoint(self, s):
        buf = ctypes.create_string_buffer(256)
        n = ctypes.c_size_t(256)
        self.z.zmq_getsockopt(s, LAST_ENDPOINT, buf, ctypes.byref(n))
        return buf.value

    def bind(self, s, ep):
        assert self.z.zmq_bind(s, ep) == 0, ep
        return self.last_endpoint(s)

    def connect(self, s, ep):
        assert self.z.zmq_connect(s, ep) == 0, ep

    def send(self, s, data, more=False):
        assert self.z.zmq_send(s, data, len(data), SNDMORE if more else 0) >= 0

    def recv(self, s):
        buf = ctypes.create_string_buffer(1 << 17)
        n = self.z.zmq_recv(s, buf, len(buf), 0)
        assert n >= 0, "recv timed out"
        return buf.raw[:n]

    def close(self, *socks):
        for s in socks:
            self.z.zmq_close(s)


class Relay:
    """A TCP relay to 127.0.0.1:target recording each direction of every
    connection: conns[i] = [client_bytes, server_bytes]."""

    def __init__(self, target, socks5=False):
        self.target, self.socks5 = target, socks5
        self.conns = []
        self.proxy_replies = []
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        target = self.target
        if self.socks5:
            # A SOCKS5 proxy (RFC 1928, no authentication): what it answers
            # is a seed for the socks target.
            replies = bytearray()
            hello = c.recv(2)
            c.recv(hello[1])
            replies += b"\x05\x00"
            c.sendall(b"\x05\x00")
            head = c.recv(4)
            if head[3] == 1:
                c.recv(4)
            elif head[3] == 3:
                c.recv(c.recv(1)[0])
            else:
                c.recv(16)
            port = struct.unpack(">H", c.recv(2))[0]
            target = port
            reply = b"\x05\x00\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", port)
            replies += reply
            c.sendall(reply)
            self.proxy_replies.append(bytes(replies))
        u = socket.create_connection(("127.0.0.1", target))
        rec = [bytearray(), bytearray()]
        self.conns.append(rec)

        def pump(a, b, buf):
            while True:
                try:
                    d = a.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    try:
                        b.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                buf += d
                try:
                    b.sendall(d)
                except OSError:
                    return

        threading.Thread(target=pump, args=(u, c, rec[1]), daemon=True).start()
        pump(c, u, rec[0])

    def close(self):
        self.lsock.close()


def zap_handler(zmq, stop):
    """A ZAP handler (RFC 27) answering 200 to everyone; returns the
    request and reply frames it saw."""
    seen = []
    s = zmq.socket(REP, RCVTIMEO=200)
    zmq.bind(s, b"inproc://zeromq.zap.01")

    def run():
        while not stop.is_set():
            frames = []
            try:
                frames.append(zmq.recv(s))
            except AssertionError:
                continue
            more = ctypes.c_int(1)
            n = ctypes.c_size_t(4)
            while True:
                zmq.z.zmq_getsockopt(s, 13, ctypes.byref(more), ctypes.byref(n))
                if not more.value:
                    break
                frames.append(zmq.recv(s))
            reply = [b"1.0", frames[1], b"200", b"OK", b"user", b""]
            for i, f in enumerate(reply):
                zmq.send(s, f, more=i + 1 < len(reply))
            seen.append((frames, reply))
        zmq.close(s)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return seen, t


def exchange(zmq, name, server_type, client_type, server_opts, client_opts, talk):
    """Binds a server socket, connects a client through a relay, lets
    `talk` run, and returns the recorded connections."""
    srv = zmq.socket(server_type, **server_opts)
    ep = zmq.bind(srv, b"tcp://127.0.0.1:*")
    port = int(ep.rsplit(b":", 1)[1])
    relay = Relay(port)
    cli = zmq.socket(client_type, **client_opts)
    zmq.connect(cli, b"tcp://127.0.0.1:%d" % relay.port)
    talk(zmq, srv, cli)
    time.sleep(0.3)
    zmq.close(cli, srv)
    time.sleep(0.2)
    relay.close()
    return [
        {"name": name, "client": client_type, "server": server_type,
         "c2s": bytes(c).hex(), "s2c": bytes(s).hex()}
        for c, s in relay.conns
    ]


def push_pull(zmq, srv, cli):
    for m in (b"hello", b"x" * 300, b"", b"y" * 9000):
        zmq.send(cli, m)
        assert zmq.recv(srv) == m


def req_rep(zmq, srv, cli):
    for m in (b"ping", b"a" * 1000):
        zmq.send(cli, m)
        assert zmq.recv(srv) == m
        zmq.send(srv, m[::-1])
        zmq.recv(cli)


def dealer_router(zmq, srv, cli):
    zmq.send(cli, b"part1", more=True)
    zmq.send(cli, b"part2")
    rid = zmq.recv(srv)
    zmq.recv(srv)
    zmq.recv(srv)
    zmq.send(srv, rid, more=True)
    zmq.send(srv, b"back")
    zmq.recv(cli)
    time.sleep(0.35)  # heartbeats (HEARTBEAT_IVL 100 ms)


def pub_sub(zmq, srv, cli):
    time.sleep(0.3)
    for _ in range(20):
        zmq.send(srv, b"topic.a data")
        time.sleep(0.02)
    zmq.recv(cli)


def run_library(path, which):
    zmq = Zmq(path)
    out = []
    if which == "debian":
        out += exchange(zmq, "null-push-pull", PULL, PUSH, {}, {}, push_pull)
        out += exchange(zmq, "null-req-rep", REP, REQ, {}, {"ROUTING_ID": b"req-1"}, req_rep)
        out += exchange(zmq, "null-router-dealer-heartbeat", ROUTER, DEALER,
                        {"HEARTBEAT_IVL": 100},
                        {"ROUTING_ID": b"dealer-7", "HEARTBEAT_IVL": 100,
                         "METADATA": b"X-Fuzz:captured"}, dealer_router)
        out += exchange(zmq, "null-pub-sub", PUB, SUB, {}, {"SUBSCRIBE": b"topic"}, pub_sub)
        out += exchange(zmq, "null-xpub-xsub", XPUB, SUB, {}, {"SUBSCRIBE": b""}, pub_sub)
        out += exchange(zmq, "null-pair", PAIR, PAIR, {}, {}, push_pull)
        stop = threading.Event()
        seen, t = zap_handler(zmq, stop)
        out += exchange(zmq, "plain-push-pull", PULL, PUSH,
                        {"PLAIN_SERVER": 1, "ZAP_DOMAIN": b"global"},
                        {"PLAIN_USERNAME": b"admin", "PLAIN_PASSWORD": b"password"}, push_pull)
        out += exchange(zmq, "plain-router-dealer", ROUTER, DEALER,
                        {"PLAIN_SERVER": 1, "ZAP_DOMAIN": b"global"},
                        {"PLAIN_USERNAME": b"admin", "PLAIN_PASSWORD": b"password",
                         "ROUTING_ID": b"d1"}, dealer_router)
        out += exchange(zmq, "curve-push-pull", PULL, PUSH,
                        {"CURVE_SERVER": 1, "CURVE_SECRETKEY": SERVER_SECRET},
                        {"CURVE_SERVERKEY": SERVER_PUBLIC, "CURVE_PUBLICKEY": CLIENT_PUBLIC,
                         "CURVE_SECRETKEY": CLIENT_SECRET}, push_pull)
        out += exchange(zmq, "curve-router-dealer-zap", ROUTER, DEALER,
                        {"CURVE_SERVER": 1, "CURVE_SECRETKEY": SERVER_SECRET,
                         "ZAP_DOMAIN": b"global"},
                        {"CURVE_SERVERKEY": SERVER_PUBLIC, "CURVE_PUBLICKEY": CLIENT_PUBLIC,
                         "CURVE_SECRETKEY": CLIENT_SECRET, "ROUTING_ID": b"d2",
                         "HEARTBEAT_IVL": 100}, dealer_router)
        stop.set()
        t.join()
        zap = [{"request": [f.hex() for f in req], "reply": [f.hex() for f in rep]}
               for req, rep in seen]
        # SOCKS5: a PUSH connects through our recording proxy.
        pull = zmq.socket(PULL)
        port = int(zmq.bind(pull, b"tcp://127.0.0.1:*").rsplit(b":", 1)[1])
        proxy = Relay(None, socks5=True)
        push = zmq.socket(PUSH, SOCKS_PROXY=b"127.0.0.1:%d" % proxy.port)
        zmq.connect(push, b"tcp://127.0.0.1:%d" % port)
        zmq.send(push, b"through the proxy")
        zmq.recv(pull)
        zmq.close(push, pull)
        proxy.close()
        socks = [r.hex() for r in proxy.proxy_replies]
        # Keys and endpoints as libzmq writes them.
        keys = []
        for _ in range(4):
            pub, sec = ctypes.create_string_buffer(41), ctypes.create_string_buffer(41)
            zmq.z.zmq_curve_keypair(pub, sec)
            keys += [pub.value, sec.value]
        for n in (4, 8, 32):
            buf = ctypes.create_string_buffer(n * 5 // 4 + 1)
            zmq.z.zmq_z85_encode(buf, os.urandom(n), n)
            keys.append(buf.value)
        endpoints = []
        for ep in (b"tcp://127.0.0.1:*", b"tcp://*:*", b"ipc://@ferrozmq-fuzz",
                   b"ipc:///tmp/ferrozmq-fuzz.ipc", b"inproc://fuzz",
                   b"tcp://lo:*", b"tcp://[::1]:*"):
            s = zmq.socket(PAIR)
            if ep.startswith(b"tcp://[::1]"):
                zmq.opt(s, 42, 1)  # ZMQ_IPV6
            if zmq.z.zmq_bind(s, ep) == 0:
                endpoints += [ep, zmq.last_endpoint(s)]
            zmq.close(s)
        endpoints += [b"tcp://127.0.0.1:5555;127.0.0.1:5556", b"tcp://localhost:5555",
                      b"udp://239.0.0.1:5555", b"udp://*:5555", b"ws://127.0.0.1:5555/path",
                      b"tcp://eth0;192.168.1.1:80"]
        extra = {"zap": zap, "socks": socks, "z85": [k.decode() for k in keys],
                 "endpoints": [e.decode() for e in endpoints]}
    else:
        def ws_talk(zmq, srv, cli):
            push_pull(zmq, srv, cli)
        srv = zmq.socket(PULL)
        ep = zmq.bind(srv, b"ws://127.0.0.1:*/fuzz")
        port = int(ep.split(b":")[2].split(b"/")[0])
        relay = Relay(port)
        cli = zmq.socket(PUSH)
        zmq.connect(cli, b"ws://127.0.0.1:%d/fuzz" % relay.port)
        ws_talk(zmq, srv, cli)
        time.sleep(0.3)
        zmq.close(cli, srv)
        relay.close()
        out += [{"name": "ws-push-pull", "client": PUSH, "server": PULL,
                 "c2s": bytes(c).hex(), "s2c": bytes(s).hex()} for c, s in relay.conns]

        def radio_dish(zmq, srv, cli):
            z = zmq.z
            z.zmq_msg_data.restype = ctypes.c_void_p
            z.zmq_msg_data.argtypes = [ctypes.c_void_p]
            z.zmq_msg_set_group.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            z.zmq_msg_send.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
            assert z.zmq_join(srv, b"news") == 0
            buf = ctypes.create_string_buffer(1024)
            got = 0
            for i in range(200):
                # The join travels asynchronously: send until some arrive.
                for group in (b"news", b"other"):
                    body = b"w" * (300 if i % 2 else 5)
                    msg = ctypes.create_string_buffer(64)
                    z.zmq_msg_init_size(msg, len(body))
                    ctypes.memmove(z.zmq_msg_data(msg), body, len(body))
                    z.zmq_msg_set_group(msg, group)
                    assert z.zmq_msg_send(msg, cli, 0) >= 0
                time.sleep(0.01)
                while z.zmq_recv(srv, buf, 1024, 1) >= 0:
                    got += 1
                if got >= 3:
                    break
            assert got, "no RADIO message reached the DISH"
        out += exchange(zmq, "radio-dish", DISH, RADIO, {}, {}, radio_dish)
        extra = {}
    zmq.z.zmq_ctx_term(zmq.ctx)
    json.dump({"conns": out, **extra}, sys.stdout)


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frames(stream):
    """ZMTP 3 frames after a 64-byte greeting: (flags, body)."""
    out, i = [], 64
    while i < len(stream):
        f = stream[i]
        if f & 2:
            if i + 9 > len(stream):
                break
            n = struct.unpack(">Q", stream[i + 1:i + 9])[0]
            i += 9
        else:
            if i + 2 > len(stream):
                break
            n = stream[i + 1]
            i += 2
        out.append((f, stream[i:i + n]))
        i += n
    return out


def pieces(parts):
    return b"".join(bytes([min(len(p), 255)]) + p[:255] for p in parts)


def zmtp_frame(flags, body):
    """One ZMTP 3 frame: the short size form up to 255 bytes, else LONG."""
    if len(body) > 255 or flags & 2:
        return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def stream_read_seeds():
    """Synthetic streams of large frames for `stream_read` (no capture has
    them): selector bytes (size limit, piece sizes, hand-over turns), then
    the frames."""
    big = lambda n, c: bytes([c]) * n
    seeds = [
        (b"\x05\x00\x00", [(0, big(20000, 0x41 + i)) for i in range(4)]),
        (b"\x05\x07\x55", [(0, b"a"), (1, big(9000, 0x42)), (0, big(30000, 0x43)),
                            (4, b"\x04PING\x00\x00"), (0, big(12000, 0x44)),
                            (0xF0, b"reserved"), (0, big(40000, 0x45))]),
        (b"\x03\xc8\xff", [(0, big(8000, 0x46)), (0, big(8192, 0x47)),
                            (0, big(8193, 0x48)), (0, b"after")]),
        (b"\x04\x0d\x0f", [(1, big(20000, 0x49)), (1, big(20000, 0x4A)), (0, big(20000, 0x4B)),
                            (1, big(15000, 0x4C)), (0, big(25000, 0x4D))]),
    ]
    for sel, frs in seeds:
        stream = b"".join(zmtp_frame(f, body) for f, body in frs)
        put("stream_read", sel + stream)
        # And cut inside its last frame.
        put("stream_read", sel + stream[:-777])


def write_seeds(data):
    stream_read_seeds()
    for conn in data["conns"]:
        name = conn["name"]
        for direction, sender, receiver in (("c2s", conn["client"], conn["server"]),
                                            ("s2c", conn["server"], conn["client"])):
            stream = bytes.fromhex(conn[direction])
            if not stream:
                continue
            receiver_is_server = direction == "c2s"
            if name.startswith("ws-"):
                # The HTTP head, then WebSocket frames (masked from a client).
                head_end = stream.find(b"\r\n\r\n") + 4
                mode = 0 if receiver_is_server else 1
                put("ws", bytes([mode << 2, 0]) + stream[:head_end])
                masked = 0x10 if receiver_is_server else 0
                for sel in (2 << 2 | masked, 2 << 2 | masked | 0x20, 2 << 2 | masked | 0xE0):
                    put("ws", bytes([sel, 7]) + stream[head_end:])
                continue
            put("greeting", stream[:64])
            put("greeting", stream[:12])
            body = stream[64:]
            for sel in (bytes([7, 0, 0]), bytes([8, 3, 1]), bytes([5, 17, 6])):
                put("frame", sel + body)
            cmd_bodies = [b for f, b in frames(stream) if f & 4]
            for b in cmd_bodies:
                put("command", bytes([receiver]) + b)
                put("command", bytes([receiver | 1]) + b)
            if name.startswith("null") or name.startswith("radio"):
                mech, sec = "null", [0]
                hs_sel = [0x00, 0x08 | 5, 0xC0]
            elif name.startswith("plain"):
                mech = "plain"
                sec = [3 | 5 << 3] if receiver_is_server else [2]
                hs_sel = [5] if receiver_is_server else [0x08]
            else:
                mech = "curve"
                sec = [5 | 5 << 3, 5 | 0x40] if receiver_is_server else [4]
                hs_sel = [5, 0x20] if receiver_is_server else [0x08]
            for s in hs_sel:
                put(mech, bytes([receiver, s]) + body)
            for s in sec:
                for opts, chunk in ((3, 0), (4 | 5 << 3, 9), (5 | 1 << 3, 200)):
                    put("session", bytes([receiver, s, opts, chunk]) + stream)
    if "zap" in data:
        for z in data["zap"]:
            req = [bytes.fromhex(f) for f in z["request"]]
            rep = [bytes.fromhex(f) for f in z["reply"]]
            put("command", b"\x00" + pieces(rep))
            put("command", b"\x00" + pieces(req))
        for r in data["socks"]:
            put("socks", b"\x00" + bytes.fromhex(r))
            put("socks", b"\x01" + bytes.fromhex(r))
        for k in data["z85"]:
            put("z85", k.encode())
        for e in data["endpoints"]:
            put("endpoint", b"\x00" + e.encode())
            put("endpoint", b"\x01" + e.encode())
    # The CURVE pair mode: no tampering, then messages both ways.
    for s in (0x10 | 5, 0x10 | 0x20, 0x10 | 5 | 0x08):
        put("curve", bytes([DEALER, s]) + b"\x00" * 16 + pieces([b"\x00hello", b"\x01more", b"\x02" + b"z" * 200]))
    # The ws round trip of ZMTP frames.
    put("ws", bytes([3 << 2, 5]) + pieces([b"hello", b"x" * 255, b""]))
    put("ws", bytes([3 << 2 | 0x10 | 0x40, 1]) + pieces([b"\x05READY", b"abc"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib")
    ap.add_argument("--only", choices=["debian", "ferro"])
    a = ap.parse_args()
    if a.only:
        run_library(a.lib, a.only)
        return
    for which, lib in (("debian", DEBIAN), ("ferro", FERRO)):
        if not os.path.exists(lib):
            print("skipping %s: no %s" % (which, lib), file=sys.stderr)
            continue
        r = subprocess.run([sys.executable, __file__, "--lib", lib, "--only", which],
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            sys.stderr.write(r.stderr.decode())
            sys.exit("capture with %s failed" % which)
        data = json.loads(r.stdout)
        write_seeds(data)
        print("%s: %d connections" % (which, len(data["conns"])), file=sys.stderr)
    for t in sorted(os.listdir(CORPUS)):
        print("%-10s %d seeds" % (t, len(os.listdir(os.path.join(CORPUS, t)))))


if __name__ == "__main__":
    main()
