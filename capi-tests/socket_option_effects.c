/* Options that change what sockets do: XPUB_NODROP, XPUB_WELCOME_MSG,
 * INVERT_MATCHING (PUB and SUB), PROBE_ROUTER (DEALER and ROUTER),
 * ROUTER_HANDOVER, REQ_CORRELATE and REQ_RELAXED, each as libzmq's own
 * tests use it. */
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
    return s;
}

static void set_int (void *s, int opt, int v)
{
    CHECK_ZMQ (zmq_setsockopt (s, opt, &v, sizeof v));
}

static void send_str (void *s, const char *str, int flags)
{
    CHECK_EQ_INT (zmq_send (s, str, strlen (str), flags), (int) strlen (str));
}

static void expect (void *s, const char *want, int more)
{
    char buf[256];
    int n = CHECK_ZMQ (zmq_recv (s, buf, sizeof buf - 1, 0));
    buf[n < 255 ? n : 255] = 0;
    CHECK_EQ_STR (buf, want);
    int m = -1;
    size_t len = sizeof m;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_RCVMORE, &m, &len));
    CHECK_EQ_INT (m, more);
}

static void done (void)
{
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  Sends until the first EAGAIN (at most max); returns how many went.  */
static int send_until_eagain (void *pub, int max)
{
    for (int i = 0; i < max; i++) {
        if (zmq_send (pub, "topic", 5, ZMQ_DONTWAIT) != 5) {
            CHECK_EQ_INT (zmq_errno (), EAGAIN);
            return i;
        }
    }
    return max;
}

TEST (xpub_nodrop_refuses_a_send_a_full_subscriber_cannot_take)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_SUB);
    set_int (pub, ZMQ_XPUB_NODROP, 1);
    set_int (pub, ZMQ_SNDHWM, 10);
    set_int (sub, ZMQ_RCVHWM, 10);
    CHECK_ZMQ (zmq_bind (pub, "inproc://nodrop"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://nodrop"));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    char sub_msg[8];
    CHECK_EQ_INT (zmq_recv (pub, sub_msg, sizeof sub_msg, 0), 1);
    const int sent = send_until_eagain (pub, 1000);
    CHECK (sent >= 10 && sent <= 20); /* the HWMs, not 1000 */
    /* Everything accepted is delivered; then sending works again (a
     * blocking send: the room is announced asynchronously). */
    for (int i = 0; i < sent; i++)
        expect (sub, "topic", 0);
    set_int (pub, ZMQ_SNDTIMEO, 5000);
    CHECK_EQ_INT (zmq_send (pub, "topic", 5, 0), 5);
    expect (sub, "topic", 0);
    zmq_close (pub);
    zmq_close (sub);
    done ();
}

TEST (without_nodrop_a_full_subscriber_loses_messages_and_send_never_fails)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_SUB);
    set_int (pub, ZMQ_SNDHWM, 10);
    set_int (sub, ZMQ_RCVHWM, 10);
    CHECK_ZMQ (zmq_bind (pub, "inproc://drop"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://drop"));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    char sub_msg[8];
    CHECK_EQ_INT (zmq_recv (pub, sub_msg, sizeof sub_msg, 0), 1);
    CHECK_EQ_INT (send_until_eagain (pub, 1000), 1000);
    zmq_close (pub);
    zmq_close (sub);
    done ();
}

TEST (xpub_welcome_msg_greets_each_new_subscriber)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_SUB);
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_XPUB_WELCOME_MSG, "W", 1));
    CHECK_ZMQ (zmq_bind (pub, "inproc://welcome"));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "W", 1));
    CHECK_ZMQ (zmq_connect (sub, "inproc://welcome"));
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2); /* \1W */
    expect (sub, "W", 0);
    zmq_close (pub);
    zmq_close (sub);
    done ();
}

TEST (invert_matching_delivers_what_does_not_match)
{
    void *pub = make (ZMQ_PUB), *sub = make (ZMQ_SUB);
    set_int (pub, ZMQ_INVERT_MATCHING, 1);
    set_int (sub, ZMQ_INVERT_MATCHING, 1);
    CHECK_ZMQ (zmq_bind (pub, "inproc://invert"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://invert"));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "prefix", 6));
    /* The subscription must reach the publisher: publish until the
     * inverted match arrives. */
    set_int (sub, ZMQ_RCVTIMEO, 10);
    char buf[32];
    int n = -1;
    for (int i = 0; i < 500 && n < 0; i++) {
        send_str (pub, "prefix-match", 0);
        send_str (pub, "other", 0);
        n = zmq_recv (sub, buf, sizeof buf, 0);
    }
    CHECK_EQ_INT (n, 5);
    CHECK_EQ_MEM (buf, "other", 5);
    /* Only non-matching messages ever arrive. */
    send_str (pub, "prefix-again", 0);
    send_str (pub, "last", 0);
    set_int (sub, ZMQ_RCVTIMEO, 5000);
    for (;;) {
        n = CHECK_ZMQ (zmq_recv (sub, buf, sizeof buf, 0));
        CHECK (n < 6 || memcmp (buf, "prefix", 6) != 0);
        if (n == 4 && memcmp (buf, "last", 4) == 0)
            break;
    }
    zmq_close (pub);
    zmq_close (sub);
    done ();
}

TEST (probe_router_sends_an_empty_message_on_connect)
{
    char ep[64];
    size_t len = sizeof ep;
    void *server = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (server, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, ep, &len));
    void *client = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_ROUTING_ID, "X", 1));
    set_int (client, ZMQ_PROBE_ROUTER, 1);
    CHECK_ZMQ (zmq_connect (client, ep));
    /* The server learns of the client before it sends anything. */
    expect (server, "X", 1);
    expect (server, "", 0);
    send_str (server, "X", ZMQ_SNDMORE);
    send_str (server, "Hello", 0);
    expect (client, "Hello", 0);
    set_int (client, ZMQ_LINGER, 0);
    zmq_close (client);
    zmq_close (server);
    done ();
}

TEST (probe_router_on_a_router_client)
{
    char ep[64];
    size_t len = sizeof ep;
    void *server = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (server, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, ep, &len));
    void *client = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_ROUTING_ID, "C", 1));
    set_int (client, ZMQ_PROBE_ROUTER, 1);
    CHECK_ZMQ (zmq_connect (client, ep));
    expect (server, "C", 1);
    expect (server, "", 0);
    set_int (client, ZMQ_LINGER, 0);
    zmq_close (client);
    zmq_close (server);
    done ();
}

TEST (router_handover_gives_the_routing_id_to_the_newest_peer)
{
    void *router = make (ZMQ_ROUTER);
    set_int (router, ZMQ_ROUTER_HANDOVER, 1);
    CHECK_ZMQ (zmq_bind (router, "inproc://handover"));
    void *first = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (first, ZMQ_ROUTING_ID, "X", 1));
    CHECK_ZMQ (zmq_connect (first, "inproc://handover"));
    send_str (first, "from first", 0);
    expect (router, "X", 1);
    expect (router, "from first", 0);
    void *second = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (second, ZMQ_ROUTING_ID, "X", 1));
    CHECK_ZMQ (zmq_connect (second, "inproc://handover"));
    send_str (second, "from second", 0);
    expect (router, "X", 1);
    expect (router, "from second", 0);
    /* Replies to X now go to the second peer. */
    send_str (router, "X", ZMQ_SNDMORE);
    send_str (router, "to X", 0);
    expect (second, "to X", 0);
    set_int (first, ZMQ_RCVTIMEO, 100);
    char buf[8];
    CHECK_ZMQ_FAILS (zmq_recv (first, buf, sizeof buf, 0), EAGAIN);
    zmq_close (first);
    zmq_close (second);
    zmq_close (router);
    done ();
}

TEST (without_handover_a_duplicate_routing_id_is_ignored)
{
    void *router = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (router, "inproc://nohandover"));
    void *first = make (ZMQ_DEALER), *second = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (first, ZMQ_ROUTING_ID, "X", 1));
    CHECK_ZMQ (zmq_setsockopt (second, ZMQ_ROUTING_ID, "X", 1));
    CHECK_ZMQ (zmq_connect (first, "inproc://nohandover"));
    send_str (first, "one", 0);
    expect (router, "X", 1);
    expect (router, "one", 0);
    CHECK_ZMQ (zmq_connect (second, "inproc://nohandover"));
    send_str (second, "two", 0);
    send_str (first, "three", 0);
    /* The second peer's message never arrives; the first still works. */
    expect (router, "X", 1);
    expect (router, "three", 0);
    send_str (router, "X", ZMQ_SNDMORE);
    send_str (router, "to X", 0);
    expect (first, "to X", 0);
    zmq_close (first);
    zmq_close (second);
    zmq_close (router);
    done ();
}

/*  ROUTER side of a correlated request: [peer id][request id][""][body].
 *  Returns the request id frame (4 bytes) in reqid.  */
static void recv_correlated (void *router, unsigned char *reqid, const char *body)
{
    char peer[8];
    CHECK_EQ_INT (zmq_recv (router, peer, sizeof peer, 0), 1);
    CHECK_EQ_INT (zmq_recv (router, reqid, 4, 0), 4);
    char buf[16];
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    expect (router, body, 0);
}

static void reply_correlated (void *router, const unsigned char *reqid,
                              const char *body)
{
    send_str (router, "R", ZMQ_SNDMORE);
    CHECK_EQ_INT (zmq_send (router, reqid, 4, ZMQ_SNDMORE), 4);
    send_str (router, "", ZMQ_SNDMORE);
    send_str (router, body, 0);
}

TEST (req_correlate_prefixes_a_request_id_and_drops_other_replies)
{
    void *router = make (ZMQ_ROUTER), *req = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (router, "inproc://correlate"));
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_ROUTING_ID, "R", 1));
    set_int (req, ZMQ_REQ_CORRELATE, 1);
    CHECK_ZMQ (zmq_connect (req, "inproc://correlate"));
    send_str (req, "question", 0);
    unsigned char reqid[4];
    recv_correlated (router, reqid, "question");
    unsigned char wrong[4];
    memcpy (wrong, reqid, 4);
    wrong[0] ^= 0xff;
    reply_correlated (router, wrong, "stale");
    reply_correlated (router, reqid, "answer");
    expect (req, "answer", 0);
    zmq_close (req);
    zmq_close (router);
    done ();
}

TEST (req_relaxed_sends_a_new_request_before_the_reply)
{
    void *router = make (ZMQ_ROUTER), *req = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (router, "inproc://relaxed"));
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_ROUTING_ID, "R", 1));
    set_int (req, ZMQ_REQ_RELAXED, 1);
    set_int (req, ZMQ_REQ_CORRELATE, 1);
    CHECK_ZMQ (zmq_connect (req, "inproc://relaxed"));
    send_str (req, "first", 0);
    /* Still writable while the reply is outstanding. */
    int events = 0;
    size_t len = sizeof events;
    CHECK_ZMQ (zmq_getsockopt (req, ZMQ_EVENTS, &events, &len));
    CHECK_EQ_INT (events, ZMQ_POLLOUT);
    send_str (req, "second", 0); /* no EFSM */
    unsigned char first_id[4], second_id[4];
    recv_correlated (router, first_id, "first");
    recv_correlated (router, second_id, "second");
    CHECK (memcmp (first_id, second_id, 4) != 0);
    /* The late reply to the first request is not delivered. */
    reply_correlated (router, first_id, "late");
    reply_correlated (router, second_id, "current");
    expect (req, "current", 0);
    zmq_close (req);
    zmq_close (router);
    done ();
}

TEST (strict_req_refuses_a_second_request_with_efsm)
{
    void *router = make (ZMQ_ROUTER), *req = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (router, "inproc://strict"));
    CHECK_ZMQ (zmq_connect (req, "inproc://strict"));
    send_str (req, "first", 0);
    CHECK_ZMQ_FAILS (zmq_send (req, "second", 6, 0), EFSM);
    zmq_close (req);
    zmq_close (router);
    done ();
}

/*  The next subscription message XPUB passes up within 300 ms, or "".  */
static const char *next_sub (void *pub, char *buf)
{
    int t = 300;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_RCVTIMEO, &t, sizeof t));
    int n = zmq_recv (pub, buf, 7, 0);
    if (n < 0) {
        CHECK_EQ_INT (zmq_errno (), EAGAIN);
        n = 0;
    }
    for (int k = 0; k < n; k++)
        if (buf[k] == 0 || buf[k] == 1)
            buf[k] = (char) ('0' + buf[k]);
    buf[n] = 0;
    return buf;
}

TEST (xpub_passes_first_subscriptions_and_last_cancels_and_verboser_all)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_SUB);
    CHECK_ZMQ (zmq_bind (pub, "inproc://verboser"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://verboser"));
    char buf[8];
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_EQ_STR (next_sub (pub, buf), "1A");
    /* A repeated subscribe reaches XPUB but is not passed up... */
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_EQ_STR (next_sub (pub, buf), "");
    /* ...and SUB cancels only on its last unsubscribe, which XPUB passes. */
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_EQ_STR (next_sub (pub, buf), "0A");
    /* VERBOSER: repeated subscribes pass up too. */
    set_int (pub, ZMQ_XPUB_VERBOSER, 1);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_EQ_STR (next_sub (pub, buf), "1A");
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_EQ_STR (next_sub (pub, buf), "1A");
    zmq_close (pub);
    zmq_close (sub);
    done ();
}

TEST (xpub_manual_lets_the_application_choose_the_subscription)
{
    void *pub = make (ZMQ_XPUB), *sub = make (ZMQ_XSUB);
    set_int (pub, ZMQ_XPUB_MANUAL, 1);
    CHECK_ZMQ (zmq_bind (pub, "inproc://manual"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://manual"));
    CHECK_EQ_INT (zmq_send (sub, "\1A", 2, 0), 2);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\1A", 2);
    /* The subscriber asked for A; it gets B instead. */
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_SUBSCRIBE, "B", 1));
    send_str (pub, "A", 0);
    send_str (pub, "B", 0);
    expect (sub, "B", 0);
    /* (That also shows an XSUB does not filter what it receives: only
     * libzmq's SUB does.) When the subscriber leaves, what it asked for
     * is cancelled upstream. */
    zmq_close (sub);
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\0A", 2);
    zmq_close (pub);
    done ();
}

TEST_MAIN ()
