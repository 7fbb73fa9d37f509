#!/usr/bin/env python3
"""PUSH/PULL pipeline: a ventilator, three workers, a collector.

The ventilator PUSHes tasks, which PUSH deals out to the workers (separate
processes here) in turn; each worker PULLs a task, "works" (sleeps for the
task's milliseconds) and PUSHes the result to the collector, which PULLs
them all. Exits 0 when every task came back once and all workers took part.
"""

import multiprocessing as mp
import os
import sys
import threading
import time

import zmq

TASKS = 30
WORKERS = 3
TIMEOUT_MS = 5000


def worker(wid, tasks_ep, results_ep):
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.rcvtimeo = TIMEOUT_MS
    pull.connect(tasks_ep)
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = TIMEOUT_MS
    push.connect(results_ep)
    while True:
        task = pull.recv_json()
        if task is None:
            break
        time.sleep(task["ms"] / 1000)
        push.send_json({"task": task["id"], "worker": wid, "pid": os.getpid()})
    push.close()  # default linger: results still queued get delivered
    pull.close()
    ctx.term()


def main():
    watchdog = threading.Timer(25, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
    watchdog.daemon = True
    watchdog.start()
    print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
    ctx = zmq.Context()
    ventilator = ctx.socket(zmq.PUSH)
    ventilator.linger = 0
    ventilator.sndtimeo = TIMEOUT_MS
    ventilator.bind("tcp://127.0.0.1:*")
    collector = ctx.socket(zmq.PULL)
    collector.linger = 0
    collector.rcvtimeo = TIMEOUT_MS
    collector.bind("tcp://127.0.0.1:*")
    tasks_ep, results_ep = ventilator.last_endpoint.decode(), collector.last_endpoint.decode()

    # PUSH deals only among peers that are connected: watch them connect
    monitor = ventilator.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    # each worker is its own process with its own context
    mp_ctx = mp.get_context("spawn")
    procs = [mp_ctx.Process(target=worker, args=(i, tasks_ep, results_ep)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    for _ in procs:
        if not monitor.poll(10000):
            print("FAILED: workers did not connect", flush=True)
            for p in procs:
                p.kill()
            os._exit(1)
        monitor.recv_multipart()
    ventilator.disable_monitor()
    monitor.close()
    print(f"ventilator {tasks_ep}, collector {results_ep}, {WORKERS} worker processes connected")

    t0 = time.monotonic()
    for i in range(TASKS):
        ventilator.send_json({"id": i, "ms": 10 + (i * 7) % 20})
    done = {}
    for _ in range(TASKS):
        r = collector.recv_json()
        done[r["task"]] = r["worker"]
    elapsed = time.monotonic() - t0
    for _ in procs:
        ventilator.send_json(None)  # one stop per worker, dealt in turn
    for p in procs:
        p.join(10)
    total_ms = sum(10 + (i * 7) % 20 for i in range(TASKS))
    share = {w: list(done.values()).count(w) for w in range(WORKERS)}
    print(f"  {len(done)} of {TASKS} results collected in {elapsed * 1000:.0f} ms "
          f"({total_ms} ms of work): tasks per worker {share}")
    ok = sorted(done) == list(range(TASKS)) and all(share.values()) \
        and all(p.exitcode == 0 for p in procs)
    ventilator.close()
    collector.close()
    ctx.term()
    print("OK: the work was spread over every worker and all of it came back" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
