/* ZMQ_CONFLATE: a conflating socket keeps only the newest message. Over
 * inproc the sends land synchronously, so "only the newest is left" is
 * checked exactly; over tcp, that what arrives is never older than what
 * came before and ends with the newest. */
#include "testutil.h"

static void *ctx;

static void *make (int type, int conflate)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CONFLATE, &conflate, sizeof conflate));
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t));
    return s;
}

static void send_int (void *s, int v)
{
    CHECK_EQ_INT (zmq_send (s, &v, sizeof v, 0), (int) sizeof v);
}

static int recv_int (void *s, int flags)
{
    int v = -1;
    int n = zmq_recv (s, &v, sizeof v, flags);
    return n == (int) sizeof v ? v : -1;
}

TEST (connecting_conflate_pull_keeps_only_the_newest_inproc_message)
{
    void *push = make (ZMQ_PUSH, 0);
    CHECK_ZMQ (zmq_bind (push, "inproc://c1"));
    void *pull = make (ZMQ_PULL, 1);
    CHECK_ZMQ (zmq_connect (pull, "inproc://c1"));
    for (int i = 0; i < 20; i++)
        send_int (push, i);
    CHECK_EQ_INT (recv_int (pull, 0), 19);
    CHECK_EQ_INT (recv_int (pull, ZMQ_DONTWAIT), -1);
    CHECK_EQ_INT (errno, EAGAIN);
}

TEST (conflate_sub_over_tcp_never_goes_back_and_ends_with_the_newest)
{
    void *pub = make (ZMQ_PUB, 0);
    CHECK_ZMQ (zmq_bind (pub, "tcp://127.0.0.1:*"));
    char ep[128];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, ep, &len));
    void *sub = make (ZMQ_SUB, 1);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK_ZMQ (zmq_connect (sub, ep));
    /* Wait for the subscription to arrive: publish -1 until seen. */
    int seen = -2;
    for (int i = 0; i < 500 && seen != -1; i++) {
        send_int (pub, -1);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 10) == 1)
            seen = recv_int (sub, 0);
    }
    CHECK_EQ_INT (seen, -1);
    /* Well under the PUB's HWM, so the publisher itself drops nothing. */
    for (int i = 0; i < 100; i++)
        send_int (pub, i);
    int last = -1;
    while (last != 99) {
        int v = recv_int (sub, 0);
        CHECK (v != -1 || last == -1); /* a timeout or a late sync is a failure */
        CHECK (v >= last);
        last = v;
    }
}

TEST_MAIN ()
