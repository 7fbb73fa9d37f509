#!/usr/bin/env python3
"""Echo service, load-balanced: one REQ client connected to two REP servers.

REQ sends each request to the next connected peer in turn, so the two echo
servers (threads here) answer alternately. Exits 0 when every request was
echoed and both servers took a share.
"""

import os
import sys
import threading

import zmq

REQUESTS = 10
TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
ctx = zmq.Context()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")


def echo_server(name, rep):
    served = 0
    try:
        while True:
            msg = rep.recv()
            if msg == b"STOP":
                rep.send(b"bye")
                break
            rep.send(name.encode() + b": " + msg)
            served += 1
    finally:
        print(f"  server {name} echoed {served} requests")
        rep.close()


servers, endpoints = [], []
for name in ("A", "B"):
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.bind("tcp://127.0.0.1:*")
    endpoints.append(rep.last_endpoint.decode())
    t = threading.Thread(target=echo_server, args=(name, rep))
    t.start()
    servers.append(t)
print(f"echo servers A and B bound at {endpoints[0]} and {endpoints[1]}")

req = ctx.socket(zmq.REQ)
req.linger = 0
req.rcvtimeo = req.sndtimeo = TIMEOUT_MS
# wait until both connections are up before the first request, so that
# REQ alternates from the start (the monitor comes first: it sees only what
# happens after it starts)
monitor = req.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
for ep in endpoints:
    req.connect(ep)
for _ in endpoints:
    if not monitor.poll(TIMEOUT_MS):
        print("FAILED: the client could not connect to both servers", flush=True)
        os._exit(1)
    monitor.recv_multipart()
req.disable_monitor()
monitor.close()

by_server = {}
for i in range(REQUESTS):
    text = f"hello #{i}".encode()
    req.send(text)
    reply = req.recv()
    who, _, echoed = reply.partition(b": ")
    assert echoed == text, reply
    by_server[who.decode()] = by_server.get(who.decode(), 0) + 1
    print(f"  sent {text.decode()!r:12} <- {reply.decode()!r}")
# one STOP per server, which REQ also hands out in turn
for _ in servers:
    req.send(b"STOP")
    req.recv()
for t in servers:
    t.join(5)
req.close()
ctx.term()

print(f"replies by server: {by_server}")
ok = sum(by_server.values()) == REQUESTS and len(by_server) == 2
print("OK: both servers shared the load" if ok else "FAILED")
sys.exit(0 if ok else 1)
