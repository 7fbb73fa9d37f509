/* zmq_socket_monitor_versioned (draft): version 2 frames (u64 event, u64
 * value count, the values, local endpoint, remote endpoint), the socket
 * types a monitor may use, and the version/mask checks. */
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

static uint64_t recv_u64 (void *m)
{
    uint64_t v = 0;
    CHECK_EQ_INT (zmq_recv (m, &v, sizeof v, 0), 8);
    return v;
}

/*  Reads one v2 event; returns it, with its first value and endpoints.  */
static uint64_t next_event (void *m, uint64_t *value, char *local, char *remote)
{
    uint64_t ev = recv_u64 (m);
    uint64_t n = recv_u64 (m);
    CHECK (n >= 1);
    *value = recv_u64 (m);
    for (uint64_t i = 1; i < n; i++)
        recv_u64 (m);
    int len = CHECK_ZMQ (zmq_recv (m, local, 255, 0));
    local[len] = 0;
    len = CHECK_ZMQ (zmq_recv (m, remote, 255, 0));
    remote[len] = 0;
    int more = 1;
    size_t sz = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (m, ZMQ_RCVMORE, &more, &sz));
    CHECK_EQ_INT (more, 0);
    return ev;
}

TEST (version_2_events_carry_both_endpoints)
{
    void *server = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_socket_monitor_versioned (server, "inproc://v2", ZMQ_EVENT_ALL, 2,
                                             ZMQ_PUSH));
    void *mon = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (mon, "inproc://v2"));
    CHECK_ZMQ (zmq_bind (server, "tcp://127.0.0.1:*"));
    char ep[64];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, ep, &len));
    char local[256], remote[256];
    uint64_t value;
    CHECK_EQ_INT ((int) next_event (mon, &value, local, remote), ZMQ_EVENT_LISTENING);
    CHECK_EQ_STR (local, ep);
    CHECK_EQ_STR (remote, "");
    void *client = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_connect (client, ep));
    CHECK_EQ_INT ((int) next_event (mon, &value, local, remote), ZMQ_EVENT_ACCEPTED);
    CHECK_EQ_STR (local, ep);
    CHECK_EQ_MEM (remote, "tcp://127.0.0.1:", 16); /* the peer's address and port */
    CHECK_EQ_INT ((int) next_event (mon, &value, local, remote),
                  ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero));
    zmq_close (client);
    zmq_close (server);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (versioned_monitor_argument_checks)
{
    void *s = make (ZMQ_DEALER);
    CHECK_ZMQ_FAILS (zmq_socket_monitor_versioned (s, "inproc://x", 0, 3, ZMQ_PAIR), EINVAL);
    CHECK_ZMQ_FAILS (zmq_socket_monitor_versioned (s, "inproc://x", 0, 2, ZMQ_SUB), EINVAL);
    /* Version 1 carries 16 event bits only; version 2 takes more. */
    CHECK_ZMQ_FAILS (
      zmq_socket_monitor_versioned (s, "inproc://x", ZMQ_EVENT_PIPES_STATS, 1, ZMQ_PAIR),
      EINVAL);
    CHECK_ZMQ (zmq_socket_monitor_versioned (s, "inproc://x", ZMQ_EVENT_PIPES_STATS, 2,
                                             ZMQ_PAIR));
    CHECK_ZMQ (zmq_socket_monitor_versioned (s, NULL, 0, 2, ZMQ_PAIR));
    zmq_close (s);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (pipes_stats_reports_each_pipes_queues)
{
    void *push = make (ZMQ_PUSH), *pull = make (ZMQ_PULL);
    /* Without a monitor that wants the event: EINVAL, as in libzmq. */
    CHECK_ZMQ_FAILS (zmq_socket_monitor_pipes_stats (push), EINVAL);
    CHECK_ZMQ_FAILS (zmq_socket_monitor_pipes_stats (NULL), ENOTSOCK);
    CHECK_ZMQ (zmq_socket_monitor_versioned (push, "inproc://stats", ZMQ_EVENT_PIPES_STATS, 2,
                                             ZMQ_PAIR));
    void *mon = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://stats"));
    CHECK_ZMQ (zmq_bind (pull, "inproc://queued"));
    CHECK_ZMQ (zmq_connect (push, "inproc://queued"));
    for (int k = 0; k < 3; k++)
        CHECK_EQ_INT (zmq_send (push, "x", 1, 0), 1);
    CHECK_ZMQ (zmq_socket_monitor_pipes_stats (push));
    CHECK_EQ_INT ((int) recv_u64 (mon), ZMQ_EVENT_PIPES_STATS);
    CHECK_EQ_INT ((int) recv_u64 (mon), 2);
    CHECK_EQ_INT ((int) recv_u64 (mon), 3); /* queued out */
    CHECK_EQ_INT ((int) recv_u64 (mon), 0); /* queued in */
    char ep[64];
    CHECK_ZMQ (zmq_recv (mon, ep, sizeof ep, 0));
    int n = CHECK_ZMQ (zmq_recv (mon, ep, sizeof ep - 1, 0));
    ep[n] = 0;
    CHECK_EQ_STR (ep, "inproc://queued");
    zmq_close (push);
    zmq_close (pull);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
