/* A socket blocked in a receive while it awaits a reply reads its tcp/ipc
 * connection itself in ferrozmq (direct reads, pipe/direct.rs): whole
 * messages of data frames only, everything else (a command, a message cut
 * by the read or longer than one read, EOF) left to the I/O thread. Each
 * test states what a libzmq user sees, so libzmq passes them too: every
 * byte and frame boundary kept across sizes that straddle one read,
 * bursts of replies, timeouts, a peer that goes and a new one that comes,
 * context shutdown, a peer's heartbeats answered while the receiver
 * waits, the connection's metadata on what was read, and nothing read
 * from a connection its socket unbound. */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

static void pause_us (long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep (&ts, NULL);
}

static void set_int (void *s, int opt, int v)
{
    CHECK_ZMQ (zmq_setsockopt (s, opt, &v, sizeof v));
}

static void bound_endpoint (void *s, const char *ep, char *out, size_t cap)
{
    CHECK_ZMQ (zmq_bind (s, ep));
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, out, &cap));
}

/* Frame `f` of message `seq`: sizes around one 8 KiB read, the short and
 * long size encodings, and empty frames. */
static size_t frame_size (int seq, int f)
{
    static const size_t sizes[] = {0,    1,    2,    250,  251,  252,
                                   1000, 4000, 8000, 8180, 8182, 8183,
                                   8184, 8190, 9000, 20000};
    return sizes[(seq * 5 + f * 3) % 16];
}

static int frame_count (int seq)
{
    return 1 + (seq / 16) % 3;
}

static void fill (unsigned char *p, size_t n, int seq, int f)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char) (seq * 13 + f * 5 + i);
}

static void send_message (void *s, int seq)
{
    int frames = frame_count (seq);
    for (int f = 0; f < frames; f++) {
        size_t n = frame_size (seq, f);
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init_size (&m, n + 4));
        unsigned char *p = (unsigned char *) zmq_msg_data (&m);
        memcpy (p, &seq, 4);
        fill (p + 4, n, seq, f);
        CHECK_EQ_INT (zmq_msg_send (&m, s, f + 1 < frames ? ZMQ_SNDMORE : 0),
                      (int) (n + 4));
    }
}

static void recv_message (void *s, int seq)
{
    int frames = frame_count (seq);
    unsigned char *want = (unsigned char *) malloc (20001);
    for (int f = 0; f < frames; f++) {
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init (&m));
        int rc = zmq_msg_recv (&m, s, 0);
        if (rc < 0)
            fprintf (stderr, "message %d frame %d: %s\n", seq, f,
                     zmq_strerror (zmq_errno ()));
        CHECK (rc >= 0);
        size_t n = frame_size (seq, f);
        CHECK_EQ_SIZE (zmq_msg_size (&m), n + 4);
        unsigned char *p = (unsigned char *) zmq_msg_data (&m);
        int got;
        memcpy (&got, p, 4);
        CHECK_EQ_INT (got, seq);
        fill (want, n, seq, f);
        CHECK (memcmp (p + 4, want, n) == 0);
        CHECK_EQ_INT (zmq_msg_more (&m), f + 1 < frames);
        zmq_msg_close (&m);
    }
    free (want);
}

typedef struct
{
    void *ctx;
    char ep[256];
    int count;
    int done;
} peer_t;

static void wait_done (peer_t *a)
{
    for (int i = 0; i < 10000 && !__atomic_load_n (&a->done, __ATOMIC_ACQUIRE);
         i++)
        pause_us (1000);
}

static void set_done (peer_t *a)
{
    __atomic_store_n (&a->done, 1, __ATOMIC_RELEASE);
}

static void *rep_side (void *arg)
{
    peer_t *a = (peer_t *) arg;
    void *rep = zmq_socket (a->ctx, ZMQ_REP);
    set_int (rep, ZMQ_RCVTIMEO, 10000);
    CHECK_ZMQ (zmq_connect (rep, a->ep));
    for (int seq = 0; seq < a->count; seq++) {
        recv_message (rep, seq);
        send_message (rep, seq + 1);
    }
    wait_done (a);
    zmq_close (rep);
    return NULL;
}

static void round_trips (const char *transport)
{
    void *ctx_a = zmq_ctx_new ();
    peer_t a = {zmq_ctx_new (), "", 1200, 0};
    void *req = zmq_socket (ctx_a, ZMQ_REQ);
    set_int (req, ZMQ_RCVTIMEO, 10000);
    bound_endpoint (req, transport, a.ep, sizeof a.ep);
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, rep_side, &a), 0);
    for (int seq = 0; seq < a.count; seq++) {
        send_message (req, seq);
        recv_message (req, seq + 1);
    }
    set_done (&a);
    pthread_join (th, NULL);
    zmq_close (req);
    zmq_ctx_term (a.ctx);
    zmq_ctx_term (ctx_a);
}

TEST (round_trips_of_sizes_around_one_read_keep_every_frame_tcp)
{
    round_trips ("tcp://127.0.0.1:*");
}

TEST (round_trips_of_sizes_around_one_read_keep_every_frame_ipc)
{
    round_trips ("ipc://*");
}

/* One request, then a burst of replies: the read that wakes the requester
 * takes some whole messages and may end inside the next one. */
static void *router_bursts (void *arg)
{
    peer_t *a = (peer_t *) arg;
    void *router = zmq_socket (a->ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_RCVTIMEO, 10000);
    CHECK_ZMQ (zmq_connect (router, a->ep));
    int seq = 0;
    for (int round = 0; round < a->count; round++) {
        char id[8], req[8];
        CHECK_EQ_INT (zmq_recv (router, id, sizeof id, 0), 1);
        CHECK_EQ_INT (zmq_recv (router, req, sizeof req, 0), 4);
        int burst;
        memcpy (&burst, req, 4);
        for (int i = 0; i < burst; i++) {
            CHECK_EQ_INT (zmq_send (router, id, 1, ZMQ_SNDMORE), 1);
            send_message (router, seq++);
        }
    }
    wait_done (a);
    zmq_close (router);
    return NULL;
}

TEST (bursts_of_replies_arrive_whole_and_in_order)
{
    void *ctx_a = zmq_ctx_new ();
    peer_t a = {zmq_ctx_new (), "", 300, 0};
    void *dealer = zmq_socket (ctx_a, ZMQ_DEALER);
    set_int (dealer, ZMQ_RCVTIMEO, 10000);
    CHECK_ZMQ (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1));
    bound_endpoint (dealer, "tcp://127.0.0.1:*", a.ep, sizeof a.ep);
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, router_bursts, &a), 0);
    int seq = 0;
    for (int round = 0; round < a.count; round++) {
        int burst = 1 + (round * 7) % 40;
        CHECK_EQ_INT (zmq_send (dealer, &burst, 4, 0), 4);
        for (int i = 0; i < burst; i++)
            recv_message (dealer, seq++);
    }
    set_done (&a);
    pthread_join (th, NULL);
    zmq_close (dealer);
    zmq_ctx_term (a.ctx);
    zmq_ctx_term (ctx_a);
}

/* A request/reply pair after one exchange: the requester's connection is
 * idle and the next blocking receive may read it directly. */
typedef struct
{
    void *ctx_a, *ctx_b;
    void *req, *rep;
    char ep[256];
} pair_t;

static void open_pair (pair_t *p, int req_type, int rep_type, const char *ep)
{
    p->ctx_a = zmq_ctx_new ();
    p->ctx_b = zmq_ctx_new ();
    p->rep = zmq_socket (p->ctx_b, rep_type);
    set_int (p->rep, ZMQ_RCVTIMEO, 5000);
    bound_endpoint (p->rep, ep, p->ep, sizeof p->ep);
    p->req = zmq_socket (p->ctx_a, req_type);
    set_int (p->req, ZMQ_RCVTIMEO, 5000);
    CHECK_ZMQ (zmq_setsockopt (p->req, ZMQ_ROUTING_ID, "R", 1));
    CHECK_ZMQ (zmq_connect (p->req, p->ep));
}

static void close_pair (pair_t *p)
{
    if (p->req)
        zmq_close (p->req);
    if (p->rep)
        zmq_close (p->rep);
    zmq_ctx_term (p->ctx_a);
    zmq_ctx_term (p->ctx_b);
}

/* REQ/REP: one round trip (the connection is idle and lent), then a second
 * request the replier has read, so the requester's next receive waits. */
static void request_pending_after_one_round_trip (pair_t *p)
{
    char buf[16];
    CHECK_EQ_INT (zmq_send (p->req, "one", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p->rep, buf, sizeof buf, 0), 3);
    CHECK_EQ_INT (zmq_send (p->rep, "ONE", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p->req, buf, sizeof buf, 0), 3);
    CHECK_EQ_INT (zmq_send (p->req, "two", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p->rep, buf, sizeof buf, 0), 3);
}

TEST (a_blocked_receive_times_out_then_gets_the_late_reply)
{
    pair_t p;
    open_pair (&p, ZMQ_REQ, ZMQ_REP, "tcp://127.0.0.1:*");
    char buf[16];
    request_pending_after_one_round_trip (&p);
    set_int (p.req, ZMQ_RCVTIMEO, 50);
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CHECK_ZMQ_FAILS (zmq_recv (p.req, buf, sizeof buf, 0), EAGAIN);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK (ms >= 45);
    CHECK_EQ_INT (zmq_send (p.rep, "TWO", 3, 0), 3);
    set_int (p.req, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (zmq_recv (p.req, buf, sizeof buf, 0), 3);
    CHECK (memcmp (buf, "TWO", 3) == 0);
    close_pair (&p);
}

/* The replier goes away while the requester waits in a receive, and a new
 * one binds the same endpoint: the requester reconnects and gets the new
 * replier's message. */
typedef struct
{
    pair_t *p;
    int failed;
} swap_t;

static void *swap_replier (void *arg)
{
    swap_t *s = (swap_t *) arg;
    pair_t *p = s->p;
    char buf[16];
    if (zmq_recv (p->rep, buf, sizeof buf, 0) != 1
        || zmq_recv (p->rep, buf, sizeof buf, 0) != 3) {
        s->failed = 1;
        return NULL;
    }
    pause_us (50000); /* the requester is blocked in its receive by now */
    int zero = 0;
    zmq_setsockopt (p->rep, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close (p->rep);
    p->rep = zmq_socket (p->ctx_b, ZMQ_ROUTER);
    int one = 1, t = 1000;
    zmq_setsockopt (p->rep, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt (p->rep, ZMQ_SNDTIMEO, &t, sizeof t);
    for (int i = 0; i < 500 && zmq_bind (p->rep, p->ep) != 0; i++)
        pause_us (10000); /* the old listener's port may linger briefly */
    /* Until the requester has reconnected, ROUTER_MANDATORY says so. */
    for (int i = 0; i < 5000; i++) {
        if (zmq_send (p->rep, "R", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) == 1) {
            if (zmq_send (p->rep, "NEW", 3, 0) != 3)
                s->failed = 1;
            return NULL;
        }
        pause_us (1000);
    }
    s->failed = 1;
    return NULL;
}

TEST (a_blocked_receive_survives_the_peer_leaving_and_a_new_one_coming)
{
    pair_t p;
    open_pair (&p, ZMQ_DEALER, ZMQ_ROUTER, "tcp://127.0.0.1:*");
    set_int (p.req, ZMQ_RECONNECT_IVL, 10);
    char buf[16];
    CHECK_EQ_INT (zmq_send (p.req, "one", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p.rep, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (zmq_recv (p.rep, buf, sizeof buf, 0), 3);
    CHECK_EQ_INT (zmq_send (p.rep, "R", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (p.rep, "ONE", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p.req, buf, sizeof buf, 0), 3);
    swap_t s = {&p, 0};
    pthread_t th;
    CHECK_EQ_INT (zmq_send (p.req, "two", 3, 0), 3);
    CHECK_EQ_INT (pthread_create (&th, NULL, swap_replier, &s), 0);
    int rc = zmq_recv (p.req, buf, sizeof buf, 0);
    pthread_join (th, NULL);
    CHECK_EQ_INT (s.failed, 0);
    CHECK_EQ_INT (rc, 3);
    CHECK (memcmp (buf, "NEW", 3) == 0);
    close_pair (&p);
}

typedef struct
{
    void *s;
    int rc, err;
} blocked_t;

static void *blocked_recv (void *arg)
{
    blocked_t *b = (blocked_t *) arg;
    char buf[16];
    b->rc = zmq_recv (b->s, buf, sizeof buf, 0);
    b->err = zmq_errno ();
    return NULL;
}

TEST (context_shutdown_ends_a_blocked_receive_with_eterm)
{
    pair_t p;
    open_pair (&p, ZMQ_REQ, ZMQ_REP, "ipc://*");
    set_int (p.req, ZMQ_RCVTIMEO, -1);
    set_int (p.req, ZMQ_LINGER, 0);
    request_pending_after_one_round_trip (&p);
    blocked_t b = {p.req, 0, 0};
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, blocked_recv, &b), 0);
    pause_us (50000);
    CHECK_ZMQ (zmq_ctx_shutdown (p.ctx_a));
    pthread_join (th, NULL);
    CHECK_EQ_INT (b.rc, -1);
    CHECK_EQ_INT (b.err, ETERM);
    /* As libzmq: the socket saw its context end, so options are gone. */
    int v;
    size_t len = sizeof v;
    CHECK_ZMQ_FAILS (zmq_setsockopt (p.req, ZMQ_LINGER, &v, sizeof v), ETERM);
    CHECK_ZMQ_FAILS (zmq_getsockopt (p.req, ZMQ_LINGER, &v, &len), ETERM);
    close_pair (&p);
}

/* The replier sends PINGs every 5 ms and drops the connection if nothing
 * comes back within 100 ms; the requester (no heartbeats of its own) waits
 * 400 ms in a receive. The PINGs are answered meanwhile: the reply arrives
 * and the connection never drops. */
static void *slow_replier (void *arg)
{
    pair_t *p = (pair_t *) arg;
    char buf[16];
    if (zmq_recv (p->rep, buf, sizeof buf, 0) != 3)
        return NULL;
    pause_us (400000);
    zmq_send (p->rep, "LATE", 4, 0);
    return NULL;
}

TEST (a_peers_heartbeats_are_answered_while_a_receive_waits)
{
    pair_t p;
    p.ctx_a = zmq_ctx_new ();
    p.ctx_b = zmq_ctx_new ();
    p.rep = zmq_socket (p.ctx_b, ZMQ_REP);
    set_int (p.rep, ZMQ_RCVTIMEO, 5000);
    set_int (p.rep, ZMQ_HEARTBEAT_IVL, 5);
    set_int (p.rep, ZMQ_HEARTBEAT_TIMEOUT, 100);
    bound_endpoint (p.rep, "tcp://127.0.0.1:*", p.ep, sizeof p.ep);
    CHECK_ZMQ (zmq_socket_monitor (p.rep, "inproc://direct-read-mon",
                                   ZMQ_EVENT_DISCONNECTED));
    void *mon = zmq_socket (p.ctx_b, ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://direct-read-mon"));
    p.req = zmq_socket (p.ctx_a, ZMQ_REQ);
    set_int (p.req, ZMQ_RCVTIMEO, 5000);
    CHECK_ZMQ (zmq_connect (p.req, p.ep));
    char buf[16];
    CHECK_EQ_INT (zmq_send (p.req, "one", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p.rep, buf, sizeof buf, 0), 3);
    CHECK_EQ_INT (zmq_send (p.rep, "ONE", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (p.req, buf, sizeof buf, 0), 3);
    pthread_t th;
    CHECK_EQ_INT (zmq_send (p.req, "two", 3, 0), 3);
    CHECK_EQ_INT (pthread_create (&th, NULL, slow_replier, &p), 0);
    CHECK_EQ_INT (zmq_recv (p.req, buf, sizeof buf, 0), 4);
    CHECK (memcmp (buf, "LATE", 4) == 0);
    pthread_join (th, NULL);
    set_int (mon, ZMQ_RCVTIMEO, 100);
    zmq_msg_t ev;
    zmq_msg_init (&ev);
    CHECK_EQ_INT (zmq_msg_recv (&ev, mon, 0), -1);
    zmq_msg_close (&ev);
    zmq_close (mon);
    close_pair (&p);
}

TEST (a_message_read_while_waiting_carries_the_connections_metadata)
{
    pair_t p;
    open_pair (&p, ZMQ_REQ, ZMQ_REP, "tcp://127.0.0.1:*");
    char buf[16];
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT (zmq_send (p.req, "q", 1, 0), 1);
        CHECK_EQ_INT (zmq_recv (p.rep, buf, sizeof buf, 0), 1);
        CHECK_EQ_INT (zmq_send (p.rep, "a", 1, 0), 1);
        zmq_msg_t m;
        zmq_msg_init (&m);
        CHECK_EQ_INT (zmq_msg_recv (&m, p.req, 0), 1);
        const char *addr = zmq_msg_gets (&m, "Peer-Address");
        CHECK_NOT_NULL (addr);
        CHECK_EQ_STR (addr, "127.0.0.1");
        const char *type = zmq_msg_gets (&m, "Socket-Type");
        CHECK_NOT_NULL (type);
        CHECK_EQ_STR (type, "REP");
        zmq_msg_close (&m);
    }
    close_pair (&p);
}

/* After zmq_unbind returns, the connections accepted through that endpoint
 * are gone for the socket: a message their peer sends afterwards is never
 * received, however quickly it comes. The peer runs in a thread of its own
 * (so its receive of the reply may read the connection directly) and sends
 * the moment the unbind has returned. */
typedef struct
{
    void *client;
    int got_reply, unbound;
    int rc;
} late_t;

static void *late_sender (void *arg)
{
    late_t *l = (late_t *) arg;
    char buf[16];
    if (zmq_send (l->client, "ping", 4, 0) != 4
        || zmq_recv (l->client, buf, sizeof buf, 0) != 4) {
        l->rc = -2;
        __atomic_store_n (&l->got_reply, 1, __ATOMIC_RELEASE);
        return NULL;
    }
    __atomic_store_n (&l->got_reply, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n (&l->unbound, __ATOMIC_ACQUIRE))
        ; /* spin: send as soon as the unbind returned */
    l->rc = zmq_send (l->client, "late", 4, 0);
    return NULL;
}

TEST (a_message_sent_after_an_unbind_is_not_received)
{
    for (int round = 0; round < 8; round++) {
        void *ctx = zmq_ctx_new ();
        void *server = zmq_socket (ctx, ZMQ_PAIR);
        char ep[256];
        bound_endpoint (server, "tcp://127.0.0.1:*", ep, sizeof ep);
        late_t l = {zmq_socket (ctx, ZMQ_PAIR), 0, 0, 0};
        set_int (l.client, ZMQ_RECONNECT_IVL, -1);
        set_int (l.client, ZMQ_LINGER, 0);
        set_int (l.client, ZMQ_RCVTIMEO, 5000);
        set_int (l.client, ZMQ_SNDTIMEO, 250);
        set_int (server, ZMQ_LINGER, 0);
        set_int (server, ZMQ_RCVTIMEO, 5000);
        CHECK_ZMQ (zmq_connect (l.client, ep));
        pthread_t th;
        CHECK_EQ_INT (pthread_create (&th, NULL, late_sender, &l), 0);
        char buf[16];
        CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 4);
        CHECK_EQ_INT (zmq_send (server, "pong", 4, 0), 4);
        while (!__atomic_load_n (&l.got_reply, __ATOMIC_ACQUIRE))
            pause_us (100);
        CHECK_ZMQ (zmq_unbind (server, ep));
        __atomic_store_n (&l.unbound, 1, __ATOMIC_RELEASE);
        set_int (server, ZMQ_RCVTIMEO, 250);
        CHECK_ZMQ_FAILS (zmq_recv (server, buf, sizeof buf, 0), EAGAIN);
        pthread_join (th, NULL);
        /* Sent (into the dead connection's buffers) or refused: either
         * way the server above saw nothing. */
        CHECK (l.rc == 4 || l.rc == -1);
        zmq_close (l.client);
        zmq_close (server);
        zmq_ctx_term (ctx);
    }
}

/* Streams of large messages: a PULL blocked in a receive reads the
 * connection itself once large messages flow, finishing a frame the I/O
 * thread began or leaving one it began to the I/O thread. Sizes straddle
 * the 8 KiB line and the kernel's buffers, some messages have several
 * frames, the sender pauses now and then (reads stop inside frames) and,
 * over tcp, sends heartbeats (commands between messages); the receiver
 * mixes blocking receives, short timeouts, non-blocking polls and pauses
 * of its own. The rest of a multi-part message is there as soon as its
 * first frame is (DONTWAIT). */
static size_t stream_frame_size (int seq, int f)
{
    static const size_t sizes[] = {0,     1,     100,    8191,   8192,
                                   8193,  9000,  20000,  65536,  65537,
                                   99999, 131072, 250000, 300001, 7,
                                   70000};
    return sizes[(seq * 7 + f * 11) % 16];
}

static int stream_frame_count (int seq)
{
    return seq % 5 == 3 ? 1 + (seq / 5) % 3 : 1;
}

typedef struct
{
    void *ctx;
    char ep[256];
    int count;
    int heartbeat;
    int received;
} streamer_t;

static void *streamer (void *arg)
{
    streamer_t *a = (streamer_t *) arg;
    void *push = zmq_socket (a->ctx, ZMQ_PUSH);
    set_int (push, ZMQ_SNDTIMEO, 10000);
    set_int (push, ZMQ_LINGER, 5000);
    /* Its PINGs come between messages: commands, which a direct read
     * leaves to the I/O thread. */
    set_int (push, ZMQ_HEARTBEAT_IVL, a->heartbeat);
    CHECK_ZMQ (zmq_connect (push, a->ep));
    unsigned char *buf = (unsigned char *) malloc (300001 + 4);
    for (int seq = 0; seq < a->count; seq++) {
        int frames = stream_frame_count (seq);
        for (int f = 0; f < frames; f++) {
            size_t n = stream_frame_size (seq, f);
            memcpy (buf, &seq, 4);
            fill (buf + 4, n, seq, f);
            CHECK_EQ_INT (
              zmq_send (push, buf, n + 4, f + 1 < frames ? ZMQ_SNDMORE : 0),
              (int) (n + 4));
        }
        /* Mostly bursts the receiver waits for (it is blocked in a
         * receive when the next one comes), sometimes a run ahead. */
        if (seq % 4 == 3 && seq % 40 < 30) {
            for (int i = 0; i < 10000 && __atomic_load_n (&a->received,
                                                          __ATOMIC_ACQUIRE)
                                           <= seq;
                 i++)
                pause_us (20);
            pause_us (100 + (seq % 3) * 200);
        }
    }
    free (buf);
    zmq_close (push);
    return NULL;
}

static void check_stream_frame (zmq_msg_t *m, int seq, int f, int frames,
                                unsigned char *want)
{
    size_t n = stream_frame_size (seq, f);
    CHECK_EQ_SIZE (zmq_msg_size (m), n + 4);
    unsigned char *p = (unsigned char *) zmq_msg_data (m);
    int got;
    memcpy (&got, p, 4);
    CHECK_EQ_INT (got, seq);
    fill (want, n, seq, f);
    CHECK (memcmp (p + 4, want, n) == 0);
    CHECK_EQ_INT (zmq_msg_more (m), f + 1 < frames);
}

static void stream_of_large_messages (const char *transport, int heartbeat)
{
    void *ctx = zmq_ctx_new ();
    streamer_t a = {ctx, "", 1500, heartbeat, 0};
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    set_int (pull, ZMQ_RCVTIMEO, 10000);
    bound_endpoint (pull, transport, a.ep, sizeof a.ep);
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, streamer, &a), 0);
    unsigned char *want = (unsigned char *) malloc (300001);
    int timeouts = 0;
    for (int seq = 0; seq < a.count; seq++) {
        int frames = stream_frame_count (seq);
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init (&m));
        int rc;
        if (seq % 7 == 1) {
            /* A short wait, which may end inside a frame. */
            set_int (pull, ZMQ_RCVTIMEO, 1);
            while ((rc = zmq_msg_recv (&m, pull, 0)) < 0) {
                CHECK_EQ_INT (zmq_errno (), EAGAIN);
                timeouts++;
            }
            set_int (pull, ZMQ_RCVTIMEO, 10000);
        } else if (seq % 7 == 4) {
            /* Polled, then taken without waiting. */
            zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
            CHECK_EQ_INT (zmq_poll (&item, 1, 10000), 1);
            rc = zmq_msg_recv (&m, pull, ZMQ_DONTWAIT);
        } else {
            if (seq % 50 == 25)
                pause_us (2000);
            rc = zmq_msg_recv (&m, pull, 0);
        }
        if (rc < 0)
            fprintf (stderr, "message %d: %s\n", seq,
                     zmq_strerror (zmq_errno ()));
        CHECK (rc >= 0);
        check_stream_frame (&m, seq, 0, frames, want);
        for (int f = 1; f < frames; f++) {
            CHECK (zmq_msg_recv (&m, pull, ZMQ_DONTWAIT) >= 0);
            check_stream_frame (&m, seq, f, frames, want);
        }
        zmq_msg_close (&m);
        __atomic_store_n (&a.received, seq + 1, __ATOMIC_RELEASE);
    }
    /* Nothing more. */
    set_int (pull, ZMQ_RCVTIMEO, 50);
    char b[4];
    CHECK_ZMQ_FAILS (zmq_recv (pull, b, sizeof b, 0), EAGAIN);
    (void) timeouts;
    pthread_join (th, NULL);
    free (want);
    zmq_close (pull);
    zmq_ctx_term (ctx);
}

TEST (a_stream_of_large_messages_arrives_whole_and_in_order_tcp)
{
    stream_of_large_messages ("tcp://127.0.0.1:*", 3);
}

TEST (a_stream_of_large_messages_arrives_whole_and_in_order_ipc)
{
    stream_of_large_messages ("ipc://*", 0);
}

TEST_MAIN ()
