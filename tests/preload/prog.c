/*  Built against Debian's own zmq.h and libzmq.so.5 and never rebuilt: run
    under LD_PRELOAD or LD_LIBRARY_PATH it must pick up ferrozmq and work.
    Prints the runtime version (ours says 4.3.5, Debian's 4.3.4) and
    exchanges messages over inproc with REQ/REP and PUB/SUB.               */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

static int fail (const char *what)
{
    printf ("FAIL %s: %s\n", what, zmq_strerror (zmq_errno ()));
    return 1;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("version %d.%d.%d\n", major, minor, patch);

    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP), *req = zmq_socket (ctx, ZMQ_REQ);
    if (!rep || !req) return fail ("zmq_socket");
    if (zmq_bind (rep, "inproc://preload") || zmq_connect (req, "inproc://preload"))
        return fail ("bind/connect");
    char buf[32];
    if (zmq_send (req, "ping", 4, 0) != 4) return fail ("send ping");
    if (zmq_recv (rep, buf, sizeof buf, 0) != 4 || memcmp (buf, "ping", 4)) return fail ("recv ping");
    if (zmq_send (rep, "pong", 4, 0) != 4) return fail ("send pong");
    if (zmq_recv (req, buf, sizeof buf, 0) != 4 || memcmp (buf, "pong", 4)) return fail ("recv pong");

    void *pub = zmq_socket (ctx, ZMQ_PUB), *sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "t", 1);
    if (zmq_bind (pub, "inproc://preload-ps") || zmq_connect (sub, "inproc://preload-ps"))
        return fail ("pubsub bind/connect");
    int got = 0;
    for (int i = 0; i < 500 && !got; i++) {
        zmq_send (pub, "t-msg", 5, 0);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 10) == 1 && zmq_recv (sub, buf, sizeof buf, 0) == 5)
            got = 1;
    }
    if (!got) return fail ("pubsub");
    zmq_close (req); zmq_close (rep); zmq_close (pub); zmq_close (sub);
    if (zmq_ctx_term (ctx)) return fail ("ctx_term");
    printf ("req/rep and pub/sub ok\n");
    return 0;
}
