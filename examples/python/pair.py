#!/usr/bin/env python3
"""PAIR: a relay of three threads signalling each other over inproc.

Step 1 tells step 2 it is ready, step 2 tells step 3, and step 3 (the main
thread) then runs a ping-pong of a few messages with step 2 over the same
exclusive PAIR connection, in both directions. Also shows that a PAIR
accepts one peer only: a second connecter gets nothing through.
"""

import os
import sys
import threading

import zmq

TIMEOUT_MS = 3000

watchdog = threading.Timer(20, lambda: (print("FAILED: timed out", flush=True), os._exit(1)))
watchdog.daemon = True
watchdog.start()
print(f"pyzmq {zmq.pyzmq_version()} on libzmq {zmq.zmq_version()}")
ctx = zmq.Context()


def pair(endpoint, bind):
    s = ctx.socket(zmq.PAIR)
    s.linger = 0
    s.rcvtimeo = s.sndtimeo = TIMEOUT_MS
    (s.bind if bind else s.connect)(endpoint)
    return s


def step1():
    out = pair("inproc://step2", bind=False)
    print("  step 1 ready, signalling step 2")
    out.send(b"READY from step 1")
    out.close()


def step2():
    inbound = pair("inproc://step2", bind=True)
    threading.Thread(target=step1).start()
    msg = inbound.recv()
    print(f"  step 2 got {msg.decode()!r}, signalling step 3")
    inbound.close()
    out = pair("inproc://step3", bind=False)
    out.send(b"READY from step 2")
    # then echo whatever step 3 says, until it says STOP
    while (m := out.recv()) != b"STOP":
        out.send(m[::-1])
    out.close()


main = pair("inproc://step3", bind=True)
worker = threading.Thread(target=step2)
worker.start()
print(f"  step 3 got {main.recv().decode()!r}")
ok = True
for word in (b"alpha", b"bravo", b"charlie"):
    main.send(word)
    back = main.recv()
    print(f"  step 3 sent {word.decode()!r:10} got {back.decode()!r}")
    ok &= back == word[::-1]

# exclusive: a second PAIR connecting to the same endpoint is not served
intruder = pair("inproc://step3", bind=False)
try:
    intruder.send(b"me too", zmq.NOBLOCK)
    queued = True
except zmq.Again:
    queued = False
got_intruder = main.poll(200) and main.recv() == b"me too"
print(f"  a second peer's message {'reached step 3 (WRONG)' if got_intruder else 'did not reach step 3'}"
      f" (its send {'was queued' if queued else 'found no pipe'})")
ok &= not got_intruder
intruder.close()

main.send(b"STOP")
worker.join(5)
main.close()
ctx.term()
print("OK: the relay ran and PAIR stayed exclusive" if ok and not worker.is_alive() else "FAILED")
sys.exit(0 if ok and not worker.is_alive() else 1)
