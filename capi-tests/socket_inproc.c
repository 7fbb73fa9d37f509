/* Sockets over inproc: PAIR, PUSH/PULL and DEALER exchanges, multipart,
 * payload sizes, HWM, timeouts, connect-before-bind, unbind/disconnect,
 * ctx_term unblocking a blocked recv with ETERM, zmq_poll over sockets and
 * plain fds, and the edge-triggered ZMQ_FD/ZMQ_EVENTS contract. */
#include "testutil.h"

#include <poll.h>
#include <pthread.h>

/*  Each test runs in its own forked child: the context is made there.  */
static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    return s;
}

static void pair_up (int btype, int ctype, const char *ep, void **b, void **c)
{
    *b = make (btype);
    CHECK_ZMQ (zmq_bind (*b, ep));
    *c = make (ctype);
    CHECK_ZMQ (zmq_connect (*c, ep));
}

static void send_str (void *s, const char *str, int flags)
{
    CHECK_EQ_INT (zmq_send (s, str, strlen (str), flags), (int) strlen (str));
}

static void recv_str (void *s, const char *want)
{
    char buf[256];
    int n = CHECK_ZMQ (zmq_recv (s, buf, sizeof buf - 1, 0));
    buf[n < 255 ? n : 255] = 0;
    CHECK_EQ_STR (buf, want);
}

static int rcvmore (void *s)
{
    int more = -1;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_RCVMORE, &more, &len));
    return more;
}

TEST (push_pull_delivers_multipart_atomically_and_in_order)
{
    void *pull, *push;
    pair_up (ZMQ_PULL, ZMQ_PUSH, "inproc://pp", &pull, &push);
    send_str (push, "a", ZMQ_SNDMORE);
    send_str (push, "", ZMQ_SNDMORE);
    send_str (push, "c", 0);
    recv_str (pull, "a");
    CHECK_EQ_INT (rcvmore (pull), 1);
    recv_str (pull, "");
    CHECK_EQ_INT (rcvmore (pull), 1);
    recv_str (pull, "c");
    CHECK_EQ_INT (rcvmore (pull), 0);
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
}

TEST (pair_carries_payloads_of_every_size_class)
{
    void *a, *b;
    pair_up (ZMQ_PAIR, ZMQ_PAIR, "inproc://sizes", &a, &b);
    const size_t sizes[] = {0, 1, 33, 34, 255, 256, 4 * 1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        zmq_msg_t out, in;
        CHECK_ZMQ (zmq_msg_init_size (&out, sizes[i]));
        memset (zmq_msg_data (&out), (int) ('a' + i), sizes[i]);
        CHECK_EQ_INT (zmq_msg_send (&out, a, 0), (int) sizes[i]);
        CHECK_EQ_SIZE (zmq_msg_size (&out), 0); /* consumed */
        CHECK_ZMQ (zmq_msg_init (&in));
        CHECK_EQ_INT (zmq_msg_recv (&in, b, 0), (int) sizes[i]);
        CHECK_EQ_SIZE (zmq_msg_size (&in), sizes[i]);
        for (size_t j = 0; j < sizes[i]; j += 4093)
            CHECK_EQ_INT (((unsigned char *) zmq_msg_data (&in))[j], 'a' + i);
        CHECK_ZMQ (zmq_msg_close (&in));
        CHECK_ZMQ (zmq_msg_close (&out));
    }
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

TEST (recv_truncates_but_returns_full_size)
{
    void *a, *b;
    pair_up (ZMQ_PAIR, ZMQ_PAIR, "inproc://trunc", &a, &b);
    send_str (a, "0123456789", 0);
    char buf[4];
    CHECK_EQ_INT (zmq_recv (b, buf, sizeof buf, 0), 10);
    CHECK_EQ_MEM (buf, "0123", 4);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

TEST (dealer_round_robins_to_two_pulls)
{
    void *dealer = make (ZMQ_DEALER);
    void *p1 = make (ZMQ_PAIR), *p2 = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (p1, "inproc://d1"));
    CHECK_ZMQ (zmq_bind (p2, "inproc://d2"));
    CHECK_ZMQ (zmq_connect (dealer, "inproc://d1"));
    CHECK_ZMQ (zmq_connect (dealer, "inproc://d2"));
    send_str (dealer, "1", 0);
    send_str (dealer, "2", 0);
    send_str (dealer, "3", 0);
    recv_str (p1, "1");
    recv_str (p2, "2");
    recv_str (p1, "3");
    CHECK_ZMQ (zmq_close (dealer));
    CHECK_ZMQ (zmq_close (p1));
    CHECK_ZMQ (zmq_close (p2));
}

TEST (connect_before_bind_delivers_early_messages)
{
    void *push = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_connect (push, "inproc://early"));
    send_str (push, "early", 0);
    void *pull = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (pull, "inproc://early"));
    recv_str (pull, "early");
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
}

TEST (recv_without_message_gives_eagain_with_dontwait_and_after_rcvtimeo)
{
    void *a, *b;
    pair_up (ZMQ_PAIR, ZMQ_PAIR, "inproc://timeo", &a, &b);
    char buf[8];
    CHECK_ZMQ_FAILS (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    int timeo = 50;
    CHECK_ZMQ (zmq_setsockopt (b, ZMQ_RCVTIMEO, &timeo, sizeof timeo));
    void *watch = zmq_stopwatch_start ();
    CHECK_ZMQ_FAILS (zmq_recv (b, buf, sizeof buf, 0), EAGAIN);
    unsigned long us = zmq_stopwatch_stop (watch);
    CHECK (us >= 40000);
    CHECK (us < 5000000);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

TEST (inproc_hwm_is_sum_of_sndhwm_and_rcvhwm)
{
    int hwm = 2;
    void *pull = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVHWM, &hwm, sizeof hwm));
    CHECK_ZMQ (zmq_bind (pull, "inproc://hwm"));
    void *push = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &hwm, sizeof hwm));
    CHECK_ZMQ (zmq_connect (push, "inproc://hwm"));
    int sent = 0;
    while (sent < 100 && zmq_send (push, "x", 1, ZMQ_DONTWAIT) == 1)
        sent++;
    CHECK_EQ_INT (errno, EAGAIN);
    CHECK_EQ_INT (sent, 4);
    char buf[1];
    CHECK_EQ_INT (zmq_recv (pull, buf, 1, 0), 1);
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
}

/*  Sends empty messages without waiting until the first EAGAIN.  */
static int sends_until_full (void *s)
{
    int n = 0;
    while (n < 10000 && zmq_send (s, NULL, 0, ZMQ_DONTWAIT) == 0)
        n++;
    return n;
}

TEST (connect_before_bind_sizes_the_pipe_with_both_sockets_marks)
{
    /* libzmq's test_sockopt_hwm: 2 + 2 whichever side came first. */
    void *push = make (ZMQ_PUSH), *pull = make (ZMQ_PULL);
    int two = 2;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVHWM, &two, sizeof two));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &two, sizeof two));
    CHECK_ZMQ (zmq_connect (pull, "inproc://late-binder"));
    CHECK_ZMQ (zmq_bind (push, "inproc://late-binder"));
    CHECK_EQ_INT (sends_until_full (push), 4);
    zmq_close (push);
    zmq_close (pull);
}

TEST (connect_before_bind_to_an_unlimited_receiver_is_unlimited)
{
    /* libzmq's test_hwm: SNDHWM 1 against RCVHWM 0 (no limit). */
    void *push = make (ZMQ_PUSH), *pull = make (ZMQ_PULL);
    int one = 1, zero = 0;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVHWM, &zero, sizeof zero));
    CHECK_ZMQ (zmq_connect (push, "inproc://unlimited"));
    CHECK_ZMQ (zmq_bind (pull, "inproc://unlimited"));
    CHECK_EQ_INT (sends_until_full (push), 10000);
    int got = 0;
    while (zmq_recv (pull, NULL, 0, ZMQ_DONTWAIT) == 0)
        got++;
    CHECK_EQ_INT (got, 10000);
    zmq_close (push);
    zmq_close (pull);
}

TEST (changing_sndhwm_after_connect_resizes_the_pipe)
{
    /* libzmq's test_sockopt_hwm: SNDHWM 5 + the peer's RCVHWM 1. */
    void *push = make (ZMQ_PUSH), *pull = make (ZMQ_PULL);
    int one = 1, five = 5;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVHWM, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &one, sizeof one));
    /* (libzmq's order: the connect first.) */
    CHECK_ZMQ (zmq_connect (pull, "inproc://resize"));
    CHECK_ZMQ (zmq_bind (push, "inproc://resize"));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &five, sizeof five));
    CHECK_EQ_INT (sends_until_full (push), 6);
    zmq_close (push);
    zmq_close (pull);
}

TEST (bind_twice_is_eaddrinuse_and_unbind_frees_the_name)
{
    void *a = make (ZMQ_PAIR), *b = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (a, "inproc://name"));
    CHECK_ZMQ_FAILS (zmq_bind (b, "inproc://name"), EADDRINUSE);
    CHECK_ZMQ_FAILS (zmq_unbind (b, "inproc://name"), ENOENT);
    CHECK_ZMQ (zmq_unbind (a, "inproc://name"));
    CHECK_ZMQ (zmq_bind (b, "inproc://name"));
    CHECK_ZMQ_FAILS (zmq_disconnect (a, "inproc://never"), ENOENT);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

TEST (endpoint_errors_match_libzmq)
{
    void *a = make (ZMQ_PAIR);
    CHECK_ZMQ_FAILS (zmq_bind (a, "nonsense"), EINVAL);
    CHECK_ZMQ_FAILS (zmq_bind (a, "bogus://x"), EPROTONOSUPPORT);
    CHECK_ZMQ_FAILS (zmq_connect (a, "bogus://x"), EPROTONOSUPPORT);
    CHECK_ZMQ (zmq_close (a));
}

TEST (socket_type_and_last_endpoint_are_reported)
{
    void *a = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (a, "inproc://last"));
    int type = -1;
    size_t len = sizeof type;
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_TYPE, &type, &len));
    CHECK_EQ_INT (type, ZMQ_PULL);
    char ep[64];
    len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_EQ_STR (ep, "inproc://last");
    CHECK_EQ_SIZE (len, strlen ("inproc://last") + 1);
    CHECK_ZMQ (zmq_close (a));
}

TEST (unknown_socket_type_is_einval)
{
    ctx = zmq_ctx_new ();
    CHECK_NULL_ERRNO (zmq_socket (ctx, 99), EINVAL);
}

static void *blocked_recv (void *s)
{
    char buf[8];
    int rc = zmq_recv (s, buf, sizeof buf, 0);
    return (void *) (intptr_t) (rc == -1 ? errno : 0);
}

TEST (ctx_term_makes_blocked_recv_return_eterm)
{
    void *local = zmq_ctx_new ();
    void *s = zmq_socket (local, ZMQ_PULL);
    CHECK_NOT_NULL (s);
    CHECK_ZMQ (zmq_bind (s, "inproc://block"));
    pthread_t t;
    CHECK_EQ_INT (pthread_create (&t, NULL, blocked_recv, s), 0);
    CHECK_ZMQ (zmq_ctx_shutdown (local));
    void *res;
    CHECK_EQ_INT (pthread_join (t, &res), 0);
    CHECK_EQ_INT ((intptr_t) res, ETERM);
    CHECK_ZMQ (zmq_close (s));
    CHECK_ZMQ (zmq_ctx_term (local));
}

TEST (new_socket_after_shutdown_is_eterm)
{
    void *local = zmq_ctx_new ();
    CHECK_ZMQ (zmq_ctx_shutdown (local));
    CHECK_NULL_ERRNO (zmq_socket (local, ZMQ_PAIR), ETERM);
    CHECK_ZMQ (zmq_ctx_term (local));
}

TEST (poll_reports_socket_and_fd_readiness_and_times_out)
{
    void *a, *b;
    pair_up (ZMQ_PAIR, ZMQ_PAIR, "inproc://poll", &a, &b);
    int fds[2];
    CHECK_EQ_INT (pipe (fds), 0);
    zmq_pollitem_t items[2] = {{b, 0, ZMQ_POLLIN, 0}, {NULL, fds[0], ZMQ_POLLIN, 0}};
    CHECK_EQ_INT (zmq_poll (items, 2, 10), 0);
    send_str (a, "x", 0);
    CHECK_EQ_INT (zmq_poll (items, 2, 1000), 1);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (items[1].revents, 0);
    CHECK_EQ_INT (write (fds[1], "y", 1), 1);
    CHECK_EQ_INT (zmq_poll (items, 2, 1000), 2);
    recv_str (b, "x");
    zmq_pollitem_t out = {a, 0, ZMQ_POLLOUT, 0};
    CHECK_EQ_INT (zmq_poll (&out, 1, 0), 1);
    CHECK_EQ_INT (out.revents, ZMQ_POLLOUT);
    close (fds[0]);
    close (fds[1]);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

static int fd_readable (int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll (&p, 1, timeout_ms) == 1;
}

static int events_of (void *s)
{
    int ev = 0;
    size_t len = sizeof ev;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_EVENTS, &ev, &len));
    return ev;
}

TEST (zmq_fd_signals_arrival_and_zmq_events_confirms_it)
{
    void *a, *b;
    pair_up (ZMQ_PAIR, ZMQ_PAIR, "inproc://fd", &a, &b);
    int fd = -1;
    size_t len = sizeof fd;
    CHECK_ZMQ (zmq_getsockopt (b, ZMQ_FD, &fd, &len));
    CHECK (fd >= 0);
    /* Drain whatever the connection itself signalled. */
    CHECK_EQ_INT (events_of (b) & ZMQ_POLLIN, 0);
    send_str (a, "ping", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (events_of (b) & ZMQ_POLLIN);
    recv_str (b, "ping");
    CHECK_EQ_INT (events_of (b) & ZMQ_POLLIN, 0);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
}

TEST (msg_send_failure_leaves_message_intact)
{
    void *push = make (ZMQ_PUSH); /* no peer: nothing can take the message */
    zmq_msg_t m;
    CHECK_ZMQ (zmq_msg_init_size (&m, 3));
    memcpy (zmq_msg_data (&m), "abc", 3);
    CHECK_ZMQ_FAILS (zmq_msg_send (&m, push, ZMQ_DONTWAIT), EAGAIN);
    CHECK_EQ_SIZE (zmq_msg_size (&m), 3);
    CHECK_EQ_MEM (zmq_msg_data (&m), "abc", 3);
    CHECK_ZMQ (zmq_msg_close (&m));
    CHECK_ZMQ (zmq_close (push));
}

/*  At the HWM, PUB and a plain ROUTER drop (the send succeeds), while a
 *  DEALER and a ROUTER_MANDATORY report EAGAIN (RFC 28/29, libzmq).  */
static void *hwm_peer (int type, const char *ep, void **peer, int peer_type)
{
    int hwm = 1;
    void *s = make (type);
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDHWM, &hwm, sizeof hwm));
    CHECK_ZMQ (zmq_bind (s, ep));
    *peer = make (peer_type);
    CHECK_ZMQ (zmq_setsockopt (*peer, ZMQ_RCVHWM, &hwm, sizeof hwm));
    CHECK_ZMQ (zmq_setsockopt (*peer, ZMQ_ROUTING_ID, "P", 1));
    if (peer_type == ZMQ_SUB)
        CHECK_ZMQ (zmq_setsockopt (*peer, ZMQ_SUBSCRIBE, "", 0));
    CHECK_ZMQ (zmq_connect (*peer, ep));
    return s;
}

TEST (pub_drops_at_hwm_instead_of_blocking)
{
    void *sub;
    void *pub = hwm_peer (ZMQ_PUB, "inproc://hwm-pub", &sub, ZMQ_SUB);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT (zmq_send (pub, "x", 1, ZMQ_DONTWAIT), 1);
    int got = 0;
    char buf[4];
    while (zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT) == 1)
        got++;
    CHECK (got >= 1);
    CHECK (got <= 2); /* SNDHWM 1 + RCVHWM 1 */
}

TEST (dealer_reports_eagain_at_hwm)
{
    void *peer;
    void *dealer = hwm_peer (ZMQ_DEALER, "inproc://hwm-dealer", &peer, ZMQ_DEALER);
    int sent = 0;
    while (sent < 100 && zmq_send (dealer, "x", 1, ZMQ_DONTWAIT) == 1)
        sent++;
    CHECK_EQ_INT (errno, EAGAIN);
    CHECK_EQ_INT (sent, 2);
}

TEST (router_drops_at_hwm_unless_mandatory_then_eagain)
{
    void *peer;
    void *router = hwm_peer (ZMQ_ROUTER, "inproc://hwm-router", &peer, ZMQ_DEALER);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ_INT (zmq_send (router, "P", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), 1);
        CHECK_EQ_INT (zmq_send (router, "x", 1, ZMQ_DONTWAIT), 1);
    }
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, &one, sizeof one));
    CHECK_ZMQ_FAILS (zmq_send (router, "P", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EAGAIN);
}

TEST (immediate_connecter_queues_nothing_before_a_connection)
{
    void *push = make (ZMQ_PUSH);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_IMMEDIATE, &one, sizeof one));
    CHECK_ZMQ (zmq_connect (push, "tcp://127.0.0.1:9"));
    CHECK_ZMQ_FAILS (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_LINGER, &zero, sizeof zero));
}

static void *recv_then_close (void *s)
{
    char buf[8];
    int rc = zmq_recv (s, buf, sizeof buf, 0);
    int e = rc == -1 ? errno : 0;
    zmq_close (s);
    return (void *) (intptr_t) e;
}

TEST (ctx_term_unblocks_recv_with_eterm_and_returns_once_the_socket_closes)
{
    void *local = zmq_ctx_new ();
    void *s = zmq_socket (local, ZMQ_PULL);
    CHECK_NOT_NULL (s);
    CHECK_ZMQ (zmq_bind (s, "tcp://127.0.0.1:*"));
    pthread_t t;
    CHECK_EQ_INT (pthread_create (&t, NULL, recv_then_close, s), 0);
    CHECK_ZMQ (zmq_ctx_term (local));
    void *res;
    CHECK_EQ_INT (pthread_join (t, &res), 0);
    CHECK_EQ_INT ((intptr_t) res, ETERM);
}

TEST_MAIN ()
