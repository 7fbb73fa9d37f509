/* Request-reply over inproc (RFC 28): REQ/REP alternation and EFSM, the
 * empty delimiter a DEALER must supply, REQ round robin, ROUTER routing-id
 * prefixes, routing replies by id, generated ids, and ROUTER_MANDATORY. */
#include "testutil.h"

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    return s;
}

static void send_str (void *s, const char *str, int flags)
{
    CHECK_EQ_INT (zmq_send (s, str, strlen (str), flags), (int) strlen (str));
}

/*  Receives one frame and checks its content and MORE flag.  */
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

TEST (req_rep_round_trip_with_multipart_bodies)
{
    void *rep = make (ZMQ_REP), *req = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (rep, "inproc://rr"));
    CHECK_ZMQ (zmq_connect (req, "inproc://rr"));
    send_str (req, "hello", ZMQ_SNDMORE);
    send_str (req, "world", 0);
    expect (rep, "hello", 1);
    expect (rep, "world", 0);
    send_str (rep, "re", ZMQ_SNDMORE);
    send_str (rep, "ply", 0);
    expect (req, "re", 1);
    expect (req, "ply", 0);
    /* and again: the state machine returned to its start */
    send_str (req, "2", 0);
    expect (rep, "2", 0);
    send_str (rep, "2r", 0);
    expect (req, "2r", 0);
}

TEST (req_and_rep_enforce_alternation_with_efsm)
{
    void *rep = make (ZMQ_REP), *req = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (rep, "inproc://fsm"));
    CHECK_ZMQ (zmq_connect (req, "inproc://fsm"));
    char buf[8];
    CHECK_ZMQ_FAILS (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    CHECK_ZMQ_FAILS (zmq_send (rep, "x", 1, ZMQ_DONTWAIT), EFSM);
    send_str (req, "q", 0);
    CHECK_ZMQ_FAILS (zmq_send (req, "q", 1, ZMQ_DONTWAIT), EFSM);
    expect (rep, "q", 0);
    CHECK_ZMQ_FAILS (zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
}

TEST (dealer_talks_to_rep_with_an_explicit_empty_delimiter)
{
    void *rep = make (ZMQ_REP), *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_bind (rep, "inproc://dr"));
    CHECK_ZMQ (zmq_connect (dealer, "inproc://dr"));
    send_str (dealer, "", ZMQ_SNDMORE);
    send_str (dealer, "ask", 0);
    expect (rep, "ask", 0);
    send_str (rep, "answer", 0);
    expect (dealer, "", 1);
    expect (dealer, "answer", 0);
}

TEST (req_round_robins_requests_over_reps)
{
    void *req = make (ZMQ_REQ);
    void *r1 = make (ZMQ_REP), *r2 = make (ZMQ_REP);
    CHECK_ZMQ (zmq_bind (r1, "inproc://r1"));
    CHECK_ZMQ (zmq_bind (r2, "inproc://r2"));
    CHECK_ZMQ (zmq_connect (req, "inproc://r1"));
    CHECK_ZMQ (zmq_connect (req, "inproc://r2"));
    send_str (req, "a", 0);
    expect (r1, "a", 0);
    send_str (r1, "A", 0);
    expect (req, "A", 0);
    send_str (req, "b", 0);
    expect (r2, "b", 0);
    send_str (r2, "B", 0);
    expect (req, "B", 0);
}

TEST (router_prefixes_messages_with_routing_id_and_routes_replies)
{
    void *router = make (ZMQ_ROUTER), *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "peerA", 5));
    CHECK_ZMQ (zmq_bind (router, "inproc://rt"));
    CHECK_ZMQ (zmq_connect (dealer, "inproc://rt"));
    send_str (dealer, "hi", ZMQ_SNDMORE);
    send_str (dealer, "there", 0);
    expect (router, "peerA", 1);
    expect (router, "hi", 1);
    expect (router, "there", 0);
    send_str (router, "peerA", ZMQ_SNDMORE);
    send_str (router, "back", 0);
    expect (dealer, "back", 0);
}

TEST (router_generates_five_byte_ids_starting_with_zero)
{
    void *router = make (ZMQ_ROUTER), *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_bind (router, "inproc://gen"));
    CHECK_ZMQ (zmq_connect (dealer, "inproc://gen"));
    send_str (dealer, "x", 0);
    unsigned char id[16];
    CHECK_EQ_INT (zmq_recv (router, id, sizeof id, 0), 5);
    CHECK_EQ_INT (id[0], 0);
    expect (router, "x", 0);
    CHECK_EQ_INT (zmq_send (router, id, 5, ZMQ_SNDMORE), 5);
    send_str (router, "y", 0);
    expect (dealer, "y", 0);
}

TEST (router_drops_unroutable_messages_silently_by_default)
{
    void *router = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (router, "inproc://drop"));
    send_str (router, "nobody", ZMQ_SNDMORE);
    send_str (router, "lost", 0);
}

TEST (router_mandatory_unroutable_returns_ehostunreach)
{
    void *router = make (ZMQ_ROUTER);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &one, sizeof one));
    CHECK_ZMQ (zmq_bind (router, "inproc://mand"));
    CHECK_ZMQ_FAILS (zmq_send (router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
}

/*  A peer whose connection ended is unroutable at once, without the ROUTER
 *  having read anything: libzmq's pipe leaves the active state on the
 *  session's pipe-term, so a mandatory send fails with EHOSTUNREACH instead
 *  of being queued for a connection that is gone (found by faults/run.sh's
 *  router-mandatory-dead-peer: ferrozmq took sends until the HWM, then
 *  EAGAIN for ever).  */
TEST (router_mandatory_peer_gone_returns_ehostunreach_without_a_read)
{
    void *router = make (ZMQ_ROUTER), *dealer = make (ZMQ_DEALER);
    int one = 1, zero = 0, timeout = 5000;
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_socket_monitor (router, "inproc://mand-gone-mon", ZMQ_EVENT_DISCONNECTED));
    void *mon = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_setsockopt (mon, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    CHECK_ZMQ (zmq_connect (mon, "inproc://mand-gone-mon"));
    CHECK_ZMQ (zmq_bind (router, "tcp://127.0.0.1:*"));
    char ep[64];
    size_t eplen = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, ep, &eplen));
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "peer", 4));
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_connect (dealer, ep));
    send_str (dealer, "hello", 0);
    expect (router, "peer", 1);
    expect (router, "hello", 0);
    send_str (router, "peer", ZMQ_SNDMORE);
    send_str (router, "before", 0);
    CHECK_ZMQ (zmq_close (dealer));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_DISCONNECTED);
    /*  The socket learns of it from a command its next calls process
     *  (libzmq throttles that to once a millisecond): a few sends may go
     *  first, but never up to the HWM, and then EHOSTUNREACH, not EAGAIN.  */
    int accepted = 0, rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) {
        if (zmq_send (router, "peer", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 4) {
            send_str (router, "lost", ZMQ_DONTWAIT);
            accepted++;
            zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
            zmq_poll (&item, 1, 10); /* lets the socket process commands */
        } else {
            CHECK_EQ_INT (errno, EHOSTUNREACH);
            rc = 0;
        }
    }
    CHECK_EQ_INT (rc, 0);
    CHECK (accepted < 10);
    CHECK_ZMQ_FAILS (zmq_send (router, "peer", 4, ZMQ_SNDMORE), EHOSTUNREACH);
    CHECK_ZMQ (zmq_close (mon));
}

TEST (router_mandatory_is_refused_on_other_socket_types)
{
    void *dealer = make (ZMQ_DEALER);
    int one = 1;
    CHECK_ZMQ_FAILS (zmq_setsockopt (dealer, ZMQ_ROUTER_MANDATORY, &one, sizeof one), EINVAL);
}

TEST_MAIN ()
