"""A REQ client whose CURVE key the ZAP handler denies (400): then what does a send do?

libzmq (4.3.4 and 4.3.5 alike) mostly still reports POLLOUT and queues the
send (into a connection that is gone and does not come back), but not
always: about 1 run in 8 it has dropped the pipe, ZMQ_EVENTS is 0 and the
send waits out SNDTIMEO (EAGAIN). ferrozmq always takes the second branch.
No reconnect follows in any of them; nothing is ever delivered.

    python denied_send.py          (one run; loop it to see libzmq's mix)
"""
import time, zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message
ctx = zmq.Context()
auth = ThreadAuthenticator(ctx); auth.start()
sp, ss = zmq.curve_keypair(); bp, bs = zmq.curve_keypair()
auth.configure_curve_callback(domain="*", credentials_provider=type("P", (), {"callback": lambda self, d, k: False})())
srv = ctx.socket(zmq.REP); srv.curve_server = True; srv.curve_secretkey = ss; srv.linger = 0
srv.bind("tcp://127.0.0.1:*"); ep = srv.last_endpoint.decode()
bad = ctx.socket(zmq.REQ); bad.linger = 0; bad.sndtimeo = 1000
bad.curve_serverkey = sp; bad.curve_publickey = bp; bad.curve_secretkey = bs
mon = bad.get_monitor_socket()
bad.connect(ep)
t0 = time.monotonic(); evs = []
while time.monotonic() - t0 < 0.5:
    if mon.poll(50):
        e = recv_monitor_message(mon); evs.append(f"{zmq.Event(e['event']).name}({e['value']})@{time.monotonic()-t0:.2f}")
print(zmq.zmq_version(), "client events in 0.5 s:", " ".join(evs))
print("  client EVENTS:", bad.get(zmq.EVENTS))
t0 = time.monotonic()
try:
    bad.send(b"hello"); print(f"  send: queued after {time.monotonic()-t0:.3f} s")
except zmq.Again:
    print(f"  send: EAGAIN after {time.monotonic()-t0:.3f} s (SNDTIMEO 1000)")
evs = []
while mon.poll(300):
    e = recv_monitor_message(mon); evs.append(zmq.Event(e['event']).name)
print("  later events:", " ".join(evs))
bad.disable_monitor(); mon.close(0); bad.close(0); srv.close(0); auth.stop(); ctx.term()
