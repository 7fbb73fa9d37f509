"""How soon after SUB's setsockopt(SUBSCRIBE) does a PUB over tcp honour it?

The shape of pyzmq's test_log.py::test_blank_root_topic: a PUB/SUB pair over
tcp is connected and in use (subscribed to "zmq"); the SUB then subscribes
to "" and, a moment later, the PUB publishes "DEBUG". Subscriptions travel
asynchronously, so a message published before the subscription reaches the
PUB is dropped; the test's recv has no timeout, so a drop is a hang.
Prints, for each delay between subscribe and publish, how many of N
messages arrived.

    python late_subscription.py [N]
"""
import sys
import time

import zmq

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ctx = zmq.Context()
row = []
for delay_us in (0, 100, 200, 500, 1000, 2000, 5000):
    got = 0
    for i in range(N):
        pub, sub = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
        pub.linger = sub.linger = 0
        port = pub.bind_to_random_port("tcp://127.0.0.1")
        sub.connect(f"tcp://127.0.0.1:{port}")
        sub.subscribe(b"zmq")
        # wait until the connection and the first subscription are live
        while True:
            pub.send(b"zmq.hello")
            if sub.poll(5):
                sub.recv()
                break
        sub.subscribe(b"")  # the new subscription ...
        t0 = time.perf_counter()
        while (time.perf_counter() - t0) * 1e6 < delay_us:
            pass
        pub.send_multipart([b"DEBUG", b"x"])  # ... and the message it should let through
        if sub.poll(50):
            got += 1
        pub.close()
        sub.close()
    row.append(f"{delay_us}us:{got}/{N}")
print(f"libzmq {zmq.zmq_version()} ({zmq.__file__.split('/venv-')[1].split('/')[0] if '/venv-' in zmq.__file__ else '?'}): delivered " + "  ".join(row))
ctx.term()
