/* compat_details.c: details a binding's test suite found different from
 * libzmq 4.3 (bindings/lua): CONNECT_ROUTING_ID over inproc, the empty
 * message a failed zmq_msg_recv leaves, connect to port 0, and the random
 * part of the reconnect interval. */
#include "testutil.h"

static void *ctx;

static void *make (int type)
{
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v));
    v = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &v, sizeof v));
    return s;
}

TEST (connect_routing_id_names_the_peer_over_inproc)
{
    ctx = zmq_ctx_new ();
    void *srv = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (srv, "inproc://named"));
    void *cli = make (ZMQ_ROUTER);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (cli, ZMQ_CONNECT_ROUTING_ID, "peer", 4));
    CHECK_ZMQ (zmq_setsockopt (cli, ZMQ_ROUTER_MANDATORY, &one, sizeof one));
    CHECK_ZMQ (zmq_connect (cli, "inproc://named"));
    CHECK_EQ_INT (zmq_send (cli, "peer", 4, ZMQ_SNDMORE), 4);
    CHECK_EQ_INT (zmq_send (cli, "hi", 2, 0), 2);
    char buf[16];
    int n = CHECK_ZMQ (zmq_recv (srv, buf, sizeof buf, 0)); /* the client's id */
    CHECK (n > 0);
    CHECK_EQ_INT (zmq_recv (srv, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "hi", 2);
    /* Used once: the next connect is not named by it. */
    CHECK_ZMQ (zmq_close (cli));
    CHECK_ZMQ (zmq_close (srv));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_failed_msg_recv_leaves_an_empty_message)
{
    ctx = zmq_ctx_new ();
    void *a = make (ZMQ_PAIR), *b = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (a, "inproc://empty"));
    CHECK_ZMQ (zmq_connect (b, "inproc://empty"));
    CHECK_EQ_INT (zmq_send (a, "previous", 8, 0), 8);
    zmq_msg_t m;
    CHECK_ZMQ (zmq_msg_init (&m));
    CHECK_EQ_INT (zmq_msg_recv (&m, b, 0), 8);
    CHECK_ZMQ_FAILS (zmq_msg_recv (&m, b, ZMQ_DONTWAIT), EAGAIN);
    CHECK_EQ_SIZE (zmq_msg_size (&m), 0);
    /* And after a timed-out blocking receive. */
    CHECK_EQ_INT (zmq_send (a, "again", 5, 0), 5);
    CHECK_EQ_INT (zmq_msg_recv (&m, b, 0), 5);
    int v = 20;
    CHECK_ZMQ (zmq_setsockopt (b, ZMQ_RCVTIMEO, &v, sizeof v));
    CHECK_ZMQ_FAILS (zmq_msg_recv (&m, b, 0), EAGAIN);
    CHECK_EQ_SIZE (zmq_msg_size (&m), 0);
    CHECK_ZMQ (zmq_msg_close (&m));
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (connect_to_port_0_is_accepted_wildcard_is_not)
{
    ctx = zmq_ctx_new ();
    void *s = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_connect (s, "tcp://127.0.0.1:0"));
    CHECK_ZMQ_FAILS (zmq_connect (s, "tcp://127.0.0.1:*"), EINVAL);
    CHECK_ZMQ (zmq_close (s));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (reconnect_intervals_carry_a_random_part)
{
    ctx = zmq_ctx_new ();
    void *probe = make (ZMQ_PULL);
    char ep[64];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_bind (probe, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (probe, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_ZMQ (zmq_close (probe));
    void *client = make (ZMQ_PUSH);
    int ivl = 40;
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl));
    CHECK_ZMQ (zmq_socket_monitor (client, "inproc://jitter",
                                   ZMQ_EVENT_CONNECT_RETRIED));
    void *mon = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://jitter"));
    CHECK_ZMQ (zmq_connect (client, ep));
    uint32_t first = 0, value;
    int differs = 0;
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT (tu_monitor_event (mon, &value, NULL, 0),
                      ZMQ_EVENT_CONNECT_RETRIED);
        CHECK (value >= 40 && value < 80);
        if (i == 0)
            first = value;
        else if (value != first)
            differs = 1;
    }
    CHECK (differs);
    CHECK_ZMQ (zmq_close (client));
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (tcp_ports_are_read_as_libzmq_reads_them)
{
    /* atoi, kept as 16 bits, 0 refused (bindings/cpp found it). */
    ctx = zmq_ctx_new ();
    const char *in[] = {"tcp://127.0.0.1:-5", "tcp://127.0.0.1:23456abc",
                        "tcp://127.0.0.1: 23457"};
    const char *want[] = {"tcp://127.0.0.1:65531", "tcp://127.0.0.1:23456",
                          "tcp://127.0.0.1:23457"};
    for (int i = 0; i < 3; i++) {
        void *s = make (ZMQ_PULL);
        if (zmq_bind (s, in[i]) == 0) {
            char ep[64];
            size_t len = sizeof ep;
            CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
            CHECK_EQ_STR (ep, want[i]);
        } else {
            /* The port may be taken by someone else: that is all we allow. */
            CHECK_EQ_INT (zmq_errno (), EADDRINUSE);
        }
        CHECK_ZMQ (zmq_close (s));
    }
    void *s = make (ZMQ_PULL);
    CHECK_ZMQ_FAILS (zmq_bind (s, "tcp://127.0.0.1:65536"), EINVAL);
    CHECK_ZMQ_FAILS (zmq_bind (s, "tcp://127.0.0.1:abc"), EINVAL);
    CHECK_ZMQ (zmq_close (s));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (req_relaxed_drops_a_late_reply_that_already_arrived)
{
    /* libzmq's REQ drops the replies already queued when a new request
     * starts, so a late answer to a request given up under REQ_RELAXED is
     * not taken for the new one's. */
    ctx = zmq_ctx_new ();
    void *router = make (ZMQ_ROUTER), *req = make (ZMQ_REQ);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_REQ_RELAXED, &one, sizeof one));
    CHECK_ZMQ (zmq_bind (router, "inproc://relaxed"));
    CHECK_ZMQ (zmq_connect (req, "inproc://relaxed"));
    char id[32], buf[32];
    CHECK_EQ_INT (zmq_send (req, "r1", 2, 0), 2);
    int idn = CHECK_ZMQ (zmq_recv (router, id, sizeof id, 0));
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 2);
    /* The late answer to r1 reaches the REQ before it asks again. */
    CHECK_EQ_INT (zmq_send (router, id, idn, ZMQ_SNDMORE), idn);
    CHECK_EQ_INT (zmq_send (router, "", 0, ZMQ_SNDMORE), 0);
    CHECK_EQ_INT (zmq_send (router, "late1", 5, 0), 5);
    zmq_pollitem_t it = {req, 0, ZMQ_POLLIN, 0};
    CHECK_EQ_INT (zmq_poll (&it, 1, 5000), 1);
    CHECK_EQ_INT (zmq_send (req, "r2", 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (router, id, sizeof id, 0), idn);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "r2", 2);
    CHECK_EQ_INT (zmq_send (router, id, idn, ZMQ_SNDMORE), idn);
    CHECK_EQ_INT (zmq_send (router, "", 0, ZMQ_SNDMORE), 0);
    CHECK_EQ_INT (zmq_send (router, "ans2", 4, 0), 4);
    int n = CHECK_ZMQ (zmq_recv (req, buf, sizeof buf, 0));
    CHECK_EQ_INT (n, 4);
    CHECK_EQ_MEM (buf, "ans2", 4);
    CHECK_ZMQ (zmq_close (req));
    CHECK_ZMQ (zmq_close (router));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
