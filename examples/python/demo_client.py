#!/usr/bin/env python3
"""The client half of examples/demo.c, in Python: pyzmq on ferrozmq asks a
REP server three questions, then reads three "weather" updates from its PUB
through a prefix subscription, then says stop. `make demo` runs it against
the demo server built on Debian's libzmq, so Python on our library talks to
a real libzmq peer.

    python demo_client.py REP-ENDPOINT PUB-ENDPOINT
"""
import sys

import zmq


def loaded_libzmq():
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libzmq" in line:
                return line.split()[-1]
    return "?"


def main(rep_ep, pub_ep):
    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    sub = ctx.socket(zmq.SUB)
    for s in (req, sub):
        s.rcvtimeo = 10000
        s.linger = 0
    req.connect(rep_ep)
    sub.connect(pub_ep)
    where = f"pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()} from {loaded_libzmq()}"
    for question in ("hello", "how are you?", "third question"):
        req.send_string(question)
        print(f"[python client, {where}] got: {req.recv_string()}", file=sys.stderr)
    sub.setsockopt(zmq.SUBSCRIBE, b"weather")
    for _ in range(3):
        update = sub.recv_string()
        if not update.startswith("weather"):
            sys.exit("the filter let a non-matching topic through")
        print(f"[python client] update: {update}", file=sys.stderr)
    req.send_string("stop")
    req.recv()
    req.close()
    sub.close()
    ctx.term()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
