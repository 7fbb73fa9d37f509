/* Draft session options: ZMQ_HELLO_MSG (each new peer's first message),
 * ZMQ_DISCONNECT_MSG (delivered when a peer goes), ZMQ_RECONNECT_STOP with
 * ZMQ_RECONNECT_STOP_CONN_REFUSED (a refused connect is not retried). */
#include "testutil.h"

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t));
    t = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &t, sizeof t));
    return s;
}

static void expect (void *s, const char *want)
{
    char buf[64];
    int n = CHECK_ZMQ (zmq_recv (s, buf, sizeof buf - 1, 0));
    buf[n] = 0;
    CHECK_EQ_STR (buf, want);
}

static void bind_tcp (void *s, char *ep, size_t len)
{
    CHECK_ZMQ (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
}

TEST (hello_msg_is_the_first_message_of_every_new_peer)
{
    void *router = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_HELLO_MSG, "HELLO", 5));
    char ep[64];
    bind_tcp (router, ep, sizeof ep);
    for (int i = 0; i < 2; i++) {
        void *dealer = make (ZMQ_DEALER);
        CHECK_ZMQ (zmq_connect (dealer, ep));
        expect (dealer, "HELLO");
        zmq_close (dealer);
    }
    zmq_close (router);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (disconnect_msg_is_delivered_when_a_peer_goes)
{
    void *router = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_DISCONNECT_MSG, "GONE", 4));
    char ep[64];
    bind_tcp (router, ep, sizeof ep);
    void *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1));
    CHECK_ZMQ (zmq_connect (dealer, ep));
    CHECK_EQ_INT (zmq_send (dealer, "hi", 2, 0), 2);
    expect (router, "D");
    expect (router, "hi");
    zmq_close (dealer);
    expect (router, "D");
    expect (router, "GONE");
    zmq_close (router);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (reconnect_stop_conn_refused_ends_the_connecter)
{
    void *probe = make (ZMQ_PULL);
    char ep[64];
    bind_tcp (probe, ep, sizeof ep);
    zmq_close (probe);
    void *push = make (ZMQ_PUSH);
    int v = ZMQ_RECONNECT_STOP_CONN_REFUSED;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_RECONNECT_STOP, &v, sizeof v));
    v = 20;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_RECONNECT_IVL, &v, sizeof v));
    CHECK_ZMQ (zmq_socket_monitor (push, "inproc://stop", ZMQ_EVENT_ALL));
    void *mon = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://stop"));
    CHECK_ZMQ (zmq_connect (push, ep));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_CONNECT_DELAYED);
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_CLOSED);
    /* No CONNECT_RETRIED, no second attempt. */
    int t = 300;
    CHECK_ZMQ (zmq_setsockopt (mon, ZMQ_RCVTIMEO, &t, sizeof t));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), -1);
    zmq_close (push);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (router_notify_announces_peers_connecting_and_leaving)
{
    void *router = make (ZMQ_ROUTER);
    int v = ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT;
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_ROUTER_NOTIFY, &v, sizeof v));
    char ep[64];
    bind_tcp (router, ep, sizeof ep);
    void *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1));
    CHECK_ZMQ (zmq_connect (dealer, ep));
    expect (router, "D");
    expect (router, "");
    CHECK_EQ_INT (zmq_send (dealer, "hi", 2, 0), 2);
    expect (router, "D");
    expect (router, "hi");
    zmq_close (dealer);
    expect (router, "D");
    expect (router, "");
    zmq_close (router);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (only_first_subscribe_reads_later_frames_as_data)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_XSUB);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_ONLY_FIRST_SUBSCRIBE, &one, sizeof one));
    CHECK_ZMQ (zmq_bind (pub, "inproc://first-only"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://first-only"));
    /* [subscribe A][looks like subscribe B] in one message. */
    CHECK_EQ_INT (zmq_send (sub, "\1A", 2, ZMQ_SNDMORE), 2);
    CHECK_EQ_INT (zmq_send (sub, "\1B", 2, 0), 2);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    /* Only A took effect. */
    CHECK_EQ_INT (zmq_send (pub, "B", 1, 0), 1);
    CHECK_EQ_INT (zmq_send (pub, "A", 1, 0), 1);
    CHECK_EQ_INT (zmq_recv (sub, buf, sizeof buf, 0), 1);
    CHECK_EQ_MEM (buf, "A", 1);
    zmq_close (pub);
    zmq_close (sub);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (xpub_manual_last_value_sends_the_next_message_to_the_new_subscriber_only)
{
    void *pub = make (ZMQ_XPUB), *old_sub = make (ZMQ_XSUB), *new_sub = make (ZMQ_XSUB);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_XPUB_MANUAL_LAST_VALUE, &one, sizeof one));
    CHECK_ZMQ (zmq_bind (pub, "inproc://last-value"));
    char buf[8];
    void *subs[2] = {old_sub, new_sub};
    for (int k = 0; k < 2; k++) {
        CHECK_ZMQ (zmq_connect (subs[k], "inproc://last-value"));
        CHECK_EQ_INT (zmq_send (subs[k], "\1A", 2, 0), 2);
        CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
        CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_SUBSCRIBE, "A", 1));
        /* The last value goes to the subscriber just admitted... */
        CHECK_EQ_INT (zmq_send (pub, "A1", 2, 0), 2);
        CHECK_EQ_INT (zmq_recv (subs[k], buf, sizeof buf, 0), 2);
    }
    /* ...so the first subscriber did not get the second last value, and
     * later messages go to both. */
    CHECK_EQ_INT (zmq_send (pub, "A2", 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (old_sub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "A2", 2);
    CHECK_EQ_INT (zmq_recv (new_sub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "A2", 2);
    zmq_close (pub);
    zmq_close (old_sub);
    zmq_close (new_sub);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (hiccup_msg_tells_a_dealer_its_connection_dropped)
{
    void *router = make (ZMQ_ROUTER);
    char ep[64];
    bind_tcp (router, ep, sizeof ep);
    void *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (dealer, 114 /* ZMQ_HICCUP_MSG, libzmq 4.3.5 */, "HICCUP", 6));
    CHECK_ZMQ (zmq_connect (dealer, ep));
    CHECK_EQ_INT (zmq_send (dealer, "hi", 2, 0), 2);
    char buf[16];
    CHECK_ZMQ (zmq_recv (router, buf, sizeof buf, 0)); /* routing id */
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 2);
    /* The connection drops (the router goes): the dealer hears it. */
    zmq_close (router);
    expect (dealer, "HICCUP");
    zmq_close (dealer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (hello_and_disconnect_msgs_work_over_inproc_in_both_bind_orders)
{
    /* libzmq 4.3.5: over inproc each side's hello reaches the other, and
     * the binder's DISCONNECT_MSG arrives when the connecter leaves. */
    for (int late = 0; late < 2; late++) {
        void *router = make (ZMQ_ROUTER);
        CHECK_ZMQ (zmq_setsockopt (router, ZMQ_HELLO_MSG, "W", 1));
        CHECK_ZMQ (zmq_setsockopt (router, ZMQ_DISCONNECT_MSG, "BYE", 3));
        void *dealer = make (ZMQ_DEALER);
        CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_HELLO_MSG, "H", 1));
        CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1));
        if (late) {
            CHECK_ZMQ (zmq_connect (dealer, "inproc://hello-late"));
            CHECK_ZMQ (zmq_bind (router, "inproc://hello-late"));
        } else {
            CHECK_ZMQ (zmq_bind (router, "inproc://hello"));
            CHECK_ZMQ (zmq_connect (dealer, "inproc://hello"));
        }
        expect (dealer, "W");
        expect (router, "D");
        expect (router, "H");
        CHECK_EQ_INT (zmq_send (dealer, "x", 1, 0), 1);
        expect (router, "D");
        expect (router, "x");
        zmq_close (dealer);
        expect (router, "D");
        expect (router, "BYE");
        zmq_close (router);
    }
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (libzmq_435_draft_options_busy_poll_topics_count_xsub_verbose)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_XSUB);
    int v = 0;
    size_t len = sizeof v;
    CHECK_ZMQ (zmq_getsockopt (pub, ZMQ_BUSY_POLL, &v, &len));
    CHECK_EQ_INT (v, 0);
    v = 50;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_BUSY_POLL, &v, sizeof v));
    CHECK_ZMQ (zmq_getsockopt (pub, ZMQ_BUSY_POLL, &v, &len));
    CHECK_EQ_INT (v, 50);
    v = 1; /* XPUB passes up every unsubscription it gets */
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_XPUB_VERBOSER, &v, sizeof v));
    CHECK_ZMQ (zmq_bind (pub, "inproc://topics"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://topics"));
    CHECK_EQ_INT (zmq_send (sub, "\1a", 2, 0), 2);
    CHECK_EQ_INT (zmq_send (sub, "\1b", 2, 0), 2);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_ZMQ (zmq_getsockopt (pub, ZMQ_TOPICS_COUNT, &v, &len));
    CHECK_EQ_INT (v, 2);
    CHECK_ZMQ (zmq_getsockopt (sub, ZMQ_TOPICS_COUNT, &v, &len));
    CHECK_EQ_INT (v, 2);
    void *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ_FAILS (zmq_getsockopt (dealer, ZMQ_TOPICS_COUNT, &v, &len), EINVAL);
    /* An unsubscription of a topic never subscribed goes upstream only
     * with XSUB_VERBOSE_UNSUBSCRIBE. */
    CHECK_EQ_INT (zmq_send (sub, "\0z", 2, 0), 2);
    int t = 100;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_RCVTIMEO, &t, sizeof t));
    CHECK_ZMQ_FAILS (zmq_recv (pub, buf, sizeof buf, 0), EAGAIN);
    v = 1;
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, &v, sizeof v));
    CHECK_ZMQ_FAILS (zmq_setsockopt (dealer, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, &v, sizeof v), EINVAL);
    CHECK_EQ_INT (zmq_send (sub, "\0z", 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\0z", 2);
    zmq_close (dealer);
    zmq_close (sub);
    zmq_close (pub);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
