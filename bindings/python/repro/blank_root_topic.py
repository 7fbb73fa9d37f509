"""pyzmq's test_log.py::test_blank_root_topic, step by step, with timeouts.

A PUB bound on tcp (its SUB subscribed to "zmq", 0.1 s to settle) then
subscribes the SUB to "" as well, binds the PUB to inproc too, connects a
second SUB over inproc subscribed to "INFO", and publishes "DEBUG" then
"INFO" through pyzmq's PUBHandler. Counts which step loses its message.

    python blank_root_topic.py [rounds]
"""
import logging
import sys
import time

import zmq
from zmq.log import handlers

N = int(sys.argv[1]) if len(sys.argv) > 1 else 30
fails = {}
for i in range(N):
    ctx = zmq.Context()
    pub, sub_everything = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
    for s in (pub, sub_everything):
        s.linger = 0
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub_everything.connect(f"tcp://127.0.0.1:{port}")
    logger = logging.getLogger(f"blank{i}")
    logger.setLevel(logging.DEBUG)
    handler = handlers.PUBHandler(pub)
    handler.setLevel(logging.DEBUG)
    handler.root_topic = "zmq"
    logger.addHandler(handler)
    sub_everything.setsockopt(zmq.SUBSCRIBE, b"zmq")
    time.sleep(0.1)
    sub_everything.setsockopt(zmq.SUBSCRIBE, b"")
    pub.bind(f"inproc://zmqlog{i}")
    sub_only_info = ctx.socket(zmq.SUB)
    sub_only_info.linger = 0
    sub_only_info.connect(f"inproc://zmqlog{i}")
    sub_only_info.setsockopt(zmq.SUBSCRIBE, b"INFO")
    handler.setRootTopic(b"")
    logger.debug("debug_message")
    step = None
    if not sub_everything.poll(1000):
        step = "DEBUG over tcp (subscribed '' just before)"
    else:
        sub_everything.recv_multipart()
        logger.info("info_message")
        if not sub_everything.poll(1000):
            step = "INFO over tcp"
        else:
            sub_everything.recv_multipart()
            if not sub_only_info.poll(1000):
                step = "INFO over inproc"
    if step:
        fails[step] = fails.get(step, 0) + 1
    logger.removeHandler(handler)
    for s in (pub, sub_everything, sub_only_info):
        s.close()
    ctx.term()
print(f"libzmq {zmq.zmq_version()}: {N - sum(fails.values())}/{N} rounds complete; lost: {fails or 'none'}")
