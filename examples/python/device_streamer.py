#!/usr/bin/env python3
"""STREAMER device: PUSH producers -> PULL | zmq.device(STREAMER) | PUSH -> PULL consumers.

Two producers push numbered items into the device's PULL side; the device
(a thread) pushes them on to three consumers in turn. Exits 0 when every
item arrived exactly once and every consumer got a share.
"""

import os
import queue
import sys
import threading
import time

import zmq

PRODUCERS, CONSUMERS, ITEMS = 2, 3, 30
TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
ctx = zmq.Context()
endpoints = queue.Queue()


def device():
    frontend, backend = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    for s in (frontend, backend):
        s.linger = 0
        s.bind("tcp://127.0.0.1:*")
    endpoints.put((frontend.last_endpoint.decode(), backend.last_endpoint.decode(),
                   backend.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)))
    try:
        zmq.device(zmq.STREAMER, frontend, backend)
    except zmq.ContextTerminated:
        pass
    finally:
        frontend.close()
        backend.close()


got = {c: [] for c in range(CONSUMERS)}


def consumer(cid, ep):
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    pull.connect(ep)
    try:
        while True:
            got[cid].append(pull.recv_string())
    except zmq.ContextTerminated:
        pass
    finally:
        pull.close()


def producer(pid, ep):
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = TIMEOUT_MS
    push.connect(ep)
    for n in range(ITEMS // PRODUCERS):
        push.send_string(f"item {pid}.{n}")
    push.close()  # default linger: what is queued still goes out


threading.Thread(target=device, daemon=True).start()
frontend_ep, backend_ep, monitor = endpoints.get(timeout=5)
print(f"STREAMER device: frontend (PULL) {frontend_ep}, backend (PUSH) {backend_ep}")
consumers = [threading.Thread(target=consumer, args=(c, backend_ep)) for c in range(CONSUMERS)]
for t in consumers:
    t.start()
# the device's PUSH deals only among connected consumers: wait for all of them
for _ in consumers:
    if not monitor.poll(TIMEOUT_MS):
        print("FAILED: consumers did not connect", flush=True)
        os._exit(1)
    monitor.recv_multipart()
monitor.close()
producers = [threading.Thread(target=producer, args=(p, frontend_ep)) for p in range(PRODUCERS)]
for t in producers:
    t.start()
for t in producers:
    t.join(10)
deadline = time.monotonic() + 5
while sum(map(len, got.values())) < ITEMS and time.monotonic() < deadline:
    time.sleep(0.01)

items = sorted(i for v in got.values() for i in v)
want = sorted(f"item {p}.{n}" for p in range(PRODUCERS) for n in range(ITEMS // PRODUCERS))
for c, v in got.items():
    print(f"  consumer {c} got {len(v):2} items, e.g. {v[:3]}")
ok = items == want and all(got.values())
ctx.term()
for t in consumers:
    t.join(5)
print(f"OK: all {ITEMS} items streamed through once, spread over {CONSUMERS} consumers" if ok else "FAILED")
sys.exit(0 if ok else 1)
