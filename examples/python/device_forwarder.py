#!/usr/bin/env python3
"""FORWARDER: PUB publishers -> XSUB | zmq.proxy(capture) | XPUB -> SUB subscribers.

The proxy (a thread) forwards messages downstream and subscriptions upstream,
so each publisher only sends what some subscriber asked for; its capture
socket gets a copy of all the traffic. Two publishers ("eu." and "us."
topics), two subscribers ("eu.paris" only; all of "us."). Exits 0 when each
subscriber saw all of its topics and nothing else, and the capture socket
saw the traffic.
"""

import os
import queue
import sys
import threading
import time

import zmq

TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
ctx = zmq.Context()
endpoints = queue.Queue()


def proxy():
    xsub, xpub, capture = ctx.socket(zmq.XSUB), ctx.socket(zmq.XPUB), ctx.socket(zmq.PUSH)
    for s in (xsub, xpub, capture):
        s.linger = 0
    xsub.bind("tcp://127.0.0.1:*")
    xpub.bind("tcp://127.0.0.1:*")
    capture.bind("inproc://capture")
    endpoints.put((xsub.last_endpoint.decode(), xpub.last_endpoint.decode()))
    try:
        zmq.proxy(xsub, xpub, capture)
    except zmq.ContextTerminated:
        pass
    finally:
        for s in (xsub, xpub, capture):
            s.close()


stop = threading.Event()
sent = {}


def publisher(region, cities, ep):
    pub = ctx.socket(zmq.PUB)
    pub.linger = 0
    pub.connect(ep)
    n = 0
    while not stop.is_set():  # a live feed: publish until told to stop
        for city in cities:
            pub.send_multipart([f"{region}.{city}".encode(), str(n).encode()])
        n += 1
        time.sleep(0.005)
    sent[region] = n
    pub.close()


threading.Thread(target=proxy, daemon=True).start()
xsub_ep, xpub_ep = endpoints.get(timeout=5)
print(f"proxy: XSUB (for publishers) {xsub_ep}, XPUB (for subscribers) {xpub_ep}")
capture = ctx.socket(zmq.PULL)
capture.linger = 0
capture.connect("inproc://capture")

subs = {}
for name, prefix in (("paris-only", b"eu.paris"), ("all-us", b"us.")):
    s = ctx.socket(zmq.SUB)
    s.linger = 0
    s.rcvtimeo = TIMEOUT_MS
    s.setsockopt(zmq.SUBSCRIBE, prefix)
    s.connect(xpub_ep)
    subs[name] = (prefix, s)
pubs = [threading.Thread(target=publisher, args=("eu", ["paris", "rome"], xsub_ep)),
        threading.Thread(target=publisher, args=("us", ["nyc", "sf"], xsub_ep))]
for t in pubs:
    t.start()

# collect until each subscriber has 10 messages of every topic it wants
want = {"paris-only": {b"eu.paris"}, "all-us": {b"us.nyc", b"us.sf"}}
seen = {name: {} for name in subs}
deadline = time.monotonic() + 10
while time.monotonic() < deadline and not all(
        all(seen[n].get(t, 0) >= 10 for t in want[n]) for n in subs):
    for name, (prefix, s) in subs.items():
        while s.poll(0):
            topic, _ = s.recv_multipart()
            seen[name][topic] = seen[name].get(topic, 0) + 1
    time.sleep(0.005)
stop.set()
for t in pubs:
    t.join(5)
captured = 0
while capture.poll(100):
    capture.recv_multipart()
    captured += 1

ok = True
for name, (prefix, s) in subs.items():
    topics = {t.decode(): c for t, c in sorted(seen[name].items())}
    good = set(seen[name]) == want[name] and all(c >= 10 for c in seen[name].values())
    ok &= good
    print(f"  {name:10} subscribed {prefix.decode()!r:11} got {topics} {'ok' if good else 'WRONG'}")
    s.close()
print(f"  publishers sent {sent} rounds; the capture socket saw {captured} messages")
ok &= captured > 0
capture.close()
ctx.term()
print("OK: subscriptions went upstream and only the asked-for topics came down" if ok else "FAILED")
sys.exit(0 if ok else 1)
