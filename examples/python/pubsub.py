#!/usr/bin/env python3
"""PUB/SUB broadcaster with prefix subscriptions.

One publisher broadcasts "topic payload" messages on three topics; three
subscribers (threads) each filter by prefix: "weather." only, "sports." and
"news.", and "" (everything). Each must receive exactly what it subscribed
to. The publisher first waits until every subscriber is listening (a
subscriber says so on a REQ/REP side channel once its SUB has seen a
warm-up message), since PUB drops what it sends before a SUB has joined.
"""

import os
import sys
import threading
import time

import zmq

TOPICS = [b"weather.rome", b"sports.football", b"news.world", b"weather.oslo", b"traffic.a1"]
ROUNDS = 20
TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
ctx = zmq.Context()

pub = ctx.socket(zmq.PUB)
pub.linger = 0
pub.bind("tcp://127.0.0.1:*")
pub_ep = pub.last_endpoint.decode()
sync = ctx.socket(zmq.REP)
sync.linger = 0
sync.rcvtimeo = sync.sndtimeo = TIMEOUT_MS
sync.bind("inproc://sync")

SUBSCRIBERS = {"weather-only": [b"weather."], "sports+news": [b"sports.", b"news."], "everything": [b""]}
received = {name: [] for name in SUBSCRIBERS}


def subscriber(name, prefixes):
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    sub.rcvtimeo = TIMEOUT_MS
    sub.setsockopt(zmq.SUBSCRIBE, b"warmup")  # the control topics
    sub.setsockopt(zmq.SUBSCRIBE, b"END")
    for p in prefixes:
        sub.setsockopt(zmq.SUBSCRIBE, p)
    sub.connect(pub_ep)
    while sub.recv_multipart()[0] != b"warmup":
        pass
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect("inproc://sync")
    req.send(b"ready")
    req.recv()
    req.close()
    while True:
        topic, payload = sub.recv_multipart()
        if topic == b"warmup":
            continue
        if topic == b"END":
            break
        received[name].append(topic)
    sub.close()


threads = [threading.Thread(target=subscriber, args=item) for item in SUBSCRIBERS.items()]
for t in threads:
    t.start()
# warm up until all three subscribers report in
ready = 0
deadline = time.monotonic() + 10
while ready < len(threads) and time.monotonic() < deadline:
    pub.send_multipart([b"warmup", b""])
    if sync.poll(50):
        sync.recv()
        sync.send(b"go")
        ready += 1
if ready < len(threads):
    print("FAILED: subscribers did not join", flush=True)
    os._exit(1)
print(f"publisher at {pub_ep}, {ready} subscribers joined")

sent = []
for i in range(ROUNDS):
    topic = TOPICS[i % len(TOPICS)]
    pub.send_multipart([topic, f"update {i}".encode()])
    sent.append(topic)
pub.send_multipart([b"END", b""])
for t in threads:
    t.join(5)

ok = True
for name, prefixes in SUBSCRIBERS.items():
    want = [t for t in sent if any(t.startswith(p) for p in prefixes)]
    got = received[name]
    good = got == want
    ok &= good
    counts = {t.decode(): got.count(t) for t in dict.fromkeys(got)}
    print(f"  {name:13} subscribed {[p.decode() for p in prefixes]!s:24} got {len(got):2} messages {counts} {'ok' if good else 'WRONG'}")
pub.close()
sync.close()
ctx.term()
print("OK: every subscriber got exactly its prefixes" if ok else "FAILED")
sys.exit(0 if ok else 1)
