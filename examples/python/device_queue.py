#!/usr/bin/env python3
"""QUEUE device: REQ clients -> ROUTER | zmq.device(QUEUE) | DEALER -> REP workers.

The device (a thread) shares the clients' requests among the workers and
routes every reply back to the client that asked. Clients and workers only
know the device's two endpoints, never each other. Exits 0 when each client
got the right reply to each request and every worker served some.
"""

import os
import queue
import sys
import threading

import zmq

CLIENTS, WORKERS, REQUESTS = 3, 2, 6
TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
ctx = zmq.Context()
endpoints = queue.Queue()


def device():
    frontend, backend = ctx.socket(zmq.ROUTER), ctx.socket(zmq.DEALER)
    for s in (frontend, backend):
        s.linger = 0
        s.bind("tcp://127.0.0.1:*")
    endpoints.put((frontend.last_endpoint.decode(), backend.last_endpoint.decode()))
    try:
        zmq.device(zmq.QUEUE, frontend, backend)  # runs until the context ends
    except zmq.ContextTerminated:
        pass
    finally:
        frontend.close()
        backend.close()


def worker(wid, backend_ep, served):
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.connect(backend_ep)
    try:
        while True:
            req = rep.recv_string()
            served[wid] += 1
            rep.send_string(f"{req} -> done by worker {wid}")
    except zmq.ContextTerminated:
        pass
    finally:
        rep.close()


def client(cid, frontend_ep, results):
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.rcvtimeo = req.sndtimeo = TIMEOUT_MS
    req.connect(frontend_ep)
    for n in range(REQUESTS):
        req.send_string(f"client {cid} job {n}")
        results.append(req.recv_string())
    req.close()


threading.Thread(target=device, daemon=True).start()
frontend_ep, backend_ep = endpoints.get(timeout=5)
print(f"QUEUE device: frontend (ROUTER) {frontend_ep}, backend (DEALER) {backend_ep}")
served = [0] * WORKERS
workers = [threading.Thread(target=worker, args=(w, backend_ep, served)) for w in range(WORKERS)]
for t in workers:
    t.start()
results = {c: [] for c in range(CLIENTS)}
clients = [threading.Thread(target=client, args=(c, frontend_ep, results[c])) for c in range(CLIENTS)]
for t in clients:
    t.start()
for t in clients:
    t.join(10)

ok = True
for c, replies in results.items():
    good = len(replies) == REQUESTS and all(r.startswith(f"client {c} job {n} ->") for n, r in enumerate(replies))
    ok &= good
    print(f"  client {c}: {len(replies)} replies, in order and its own: {good}; last: {replies[-1] if replies else None!r}")
print(f"  requests served per worker: {served}")
ok &= all(served) and sum(served) == CLIENTS * REQUESTS

ctx.term()  # ends the device and the workers (ETERM), which close their sockets
for t in workers:
    t.join(5)
print("OK: the QUEUE device balanced the requests and routed every reply" if ok else "FAILED")
sys.exit(0 if ok else 1)
