/* Messages the application thread writes to an idle tcp/ipc connection
 * itself (ferrozmq's direct writes, pipe/direct.rs) must keep every rule
 * the queued path keeps: order with queued messages, whole multipart
 * messages, frames interleaved with the session's own commands
 * (heartbeats), kernel buffers that take only part of a message, and a
 * peer that vanishes. Each test mixes paced sends (which go direct) with
 * bursts (which queue) and checks every byte on the other side. Libzmq
 * passes them too: they state behaviour, not mechanism. */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

static void pause_us (long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep (&ts, NULL);
}

/* Frame `f` of message `seq`: its size and a byte pattern both sides can
 * compute. */
static size_t frame_size (int seq, int f)
{
    static const size_t sizes[] = {0, 1, 7, 33, 34, 255, 256, 1000, 4095, 8192};
    if (f == 2)
        return (size_t) (seq % 7) * 9000; /* up to 54 KiB: fills buffers */
    return sizes[(seq * 3 + f) % 10];
}

static int frame_count (int seq)
{
    return 1 + seq % 3;
}

static void fill (unsigned char *p, size_t n, int seq, int f)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char) (seq * 31 + f * 7 + i);
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

/* Receives message `seq` (after any routing frames) and checks it. */
static void recv_message (void *s, int seq)
{
    int frames = frame_count (seq);
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
        unsigned char *want = (unsigned char *) malloc (n + 1);
        fill (want, n, seq, f);
        CHECK (memcmp (p + 4, want, n) == 0);
        free (want);
        CHECK_EQ_INT (zmq_msg_more (&m), f + 1 < frames);
        zmq_msg_close (&m);
    }
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

typedef struct
{
    void *ctx;
    const char *ep;
    int count;
    int small_buffers;
    /* Set by the test's thread once it checked everything: the peer
     * closes its socket only then (a close is an event of its own). Read
     * and written with atomics (gcc builtins: the tests are C99). */
    int done;
} peer_args_t;

static void wait_done (peer_args_t *a)
{
    for (int i = 0; i < 10000 && !__atomic_load_n (&a->done, __ATOMIC_ACQUIRE);
         i++)
        pause_us (1000);
}

static void set_done (peer_args_t *a)
{
    __atomic_store_n (&a->done, 1, __ATOMIC_RELEASE);
}

/* PUSH in its own context: paced sends (direct), bursts (queued), small
 * kernel buffers (partial writes). */
static void *pusher (void *arg)
{
    peer_args_t *a = (peer_args_t *) arg;
    void *push = zmq_socket (a->ctx, ZMQ_PUSH);
    int t = 10000;
    zmq_setsockopt (push, ZMQ_SNDTIMEO, &t, sizeof t);
    if (a->small_buffers) {
        int b = 4096;
        zmq_setsockopt (push, ZMQ_SNDBUF, &b, sizeof b);
    }
    zmq_connect (push, a->ep);
    for (int seq = 0; seq < a->count; seq++) {
        send_message (push, seq);
        if (seq % 50 < 25)
            pause_us (80); /* idle: the next send may go direct */
    }
    wait_done (a);
    zmq_close (push);
    return NULL;
}

static void push_pull_in_order (const char *transport, int small_buffers)
{
    void *ctx_a = zmq_ctx_new ();
    void *ctx_b = zmq_ctx_new ();
    void *pull = zmq_socket (ctx_a, ZMQ_PULL);
    set_int (pull, ZMQ_RCVTIMEO, 10000);
    if (small_buffers)
        set_int (pull, ZMQ_RCVBUF, 4096);
    char ep[256];
    bound_endpoint (pull, transport, ep, sizeof ep);
    peer_args_t a = {ctx_b, ep, 1500, small_buffers, 0};
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, pusher, &a), 0);
    for (int seq = 0; seq < a.count; seq++) {
        recv_message (pull, seq);
        if (small_buffers && seq % 100 == 0)
            pause_us (20000); /* let the sender's buffers fill */
    }
    set_done (&a);
    pthread_join (th, NULL);
    zmq_close (pull);
    zmq_ctx_term (ctx_b);
    zmq_ctx_term (ctx_a);
}

TEST (paced_and_burst_sends_arrive_whole_and_in_order_tcp)
{
    push_pull_in_order ("tcp://127.0.0.1:*", 0);
}

TEST (paced_and_burst_sends_arrive_whole_and_in_order_ipc)
{
    push_pull_in_order ("ipc://*", 0);
}

TEST (sends_cut_short_by_full_kernel_buffers_arrive_whole)
{
    push_pull_in_order ("tcp://127.0.0.1:*", 1);
}

/* Request/reply (every send goes direct once the connection is idle), with
 * heartbeats on so PINGs and PONGs interleave with the messages. */
static void *replier (void *arg)
{
    peer_args_t *a = (peer_args_t *) arg;
    void *rep = zmq_socket (a->ctx, ZMQ_REP);
    int t = 10000, ivl = 1;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt (rep, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    /* A PING a millisecond, but no timeout a loaded machine could hit. */
    zmq_setsockopt (rep, ZMQ_HEARTBEAT_TIMEOUT, &t, sizeof t);
    zmq_connect (rep, a->ep);
    for (int seq = 0; seq < a->count; seq++) {
        recv_message (rep, seq);
        send_message (rep, seq + 1);
    }
    wait_done (a);
    zmq_close (rep);
    return NULL;
}

TEST (request_reply_with_heartbeats_keeps_every_frame)
{
    void *ctx_a = zmq_ctx_new ();
    void *ctx_b = zmq_ctx_new ();
    void *req = zmq_socket (ctx_a, ZMQ_REQ);
    set_int (req, ZMQ_RCVTIMEO, 10000);
    set_int (req, ZMQ_HEARTBEAT_IVL, 1);
    set_int (req, ZMQ_HEARTBEAT_TIMEOUT, 10000);
    char ep[256];
    bound_endpoint (req, "tcp://127.0.0.1:*", ep, sizeof ep);
    void *mon_ctx = ctx_a;
    CHECK_ZMQ (zmq_socket_monitor (req, "inproc://direct-mon",
                                   ZMQ_EVENT_DISCONNECTED));
    void *mon = zmq_socket (mon_ctx, ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://direct-mon"));
    peer_args_t a = {ctx_b, ep, 3000, 0, 0};
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, replier, &a), 0);
    for (int seq = 0; seq < a.count; seq++) {
        send_message (req, seq);
        recv_message (req, seq + 1);
    }
    /* No connection dropped on the way (a torn frame would have). */
    set_int (mon, ZMQ_RCVTIMEO, 100);
    zmq_msg_t ev;
    zmq_msg_init (&ev);
    CHECK_EQ_INT (zmq_msg_recv (&ev, mon, 0), -1);
    zmq_msg_close (&ev);
    set_done (&a);
    pthread_join (th, NULL);
    zmq_close (mon);
    zmq_close (req);
    zmq_ctx_term (ctx_b);
    zmq_ctx_term (ctx_a);
}

/* DEALER <-> ROUTER, both directions at once: bursts and lone messages. */
static void *dealer_side (void *arg)
{
    peer_args_t *a = (peer_args_t *) arg;
    void *dealer = zmq_socket (a->ctx, ZMQ_DEALER);
    int t = 10000;
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &t, sizeof t);
    zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1);
    zmq_connect (dealer, a->ep);
    int sent = 0, got = 0;
    while (got < a->count) {
        int burst = (sent / 10) % 2 ? 10 : 1;
        for (int i = 0; i < burst && sent < a->count; i++)
            send_message (dealer, sent++);
        /* Replies come one per request; read what is due. */
        while (got < sent - 5 || (sent == a->count && got < a->count))
            recv_message (dealer, got++);
        if (burst == 1)
            pause_us (60);
    }
    wait_done (a);
    zmq_close (dealer);
    return NULL;
}

TEST (dealer_router_both_directions_mixing_bursts_and_single_sends)
{
    void *ctx_a = zmq_ctx_new ();
    void *ctx_b = zmq_ctx_new ();
    void *router = zmq_socket (ctx_a, ZMQ_ROUTER);
    set_int (router, ZMQ_RCVTIMEO, 10000);
    char ep[256];
    bound_endpoint (router, "tcp://127.0.0.1:*", ep, sizeof ep);
    peer_args_t a = {ctx_b, ep, 2000, 0, 0};
    pthread_t th;
    CHECK_EQ_INT (pthread_create (&th, NULL, dealer_side, &a), 0);
    for (int seq = 0; seq < a.count; seq++) {
        char id[8];
        CHECK_EQ_INT (zmq_recv (router, id, sizeof id, 0), 1);
        CHECK_EQ_INT (id[0], 'D');
        recv_message (router, seq);
        CHECK_EQ_INT (zmq_send (router, "D", 1, ZMQ_SNDMORE), 1);
        send_message (router, seq);
    }
    set_done (&a);
    pthread_join (th, NULL);
    zmq_close (router);
    zmq_ctx_term (ctx_b);
    zmq_ctx_term (ctx_a);
}

/* The peer disappears while the sender sends paced messages: sends keep
 * returning (queued or dropped by the pattern's rules), nothing crashes,
 * and a new peer on the same endpoint gets the messages sent after it
 * came. */
TEST (peer_vanishing_under_paced_sends_then_a_new_peer_is_served)
{
    void *ctx_a = zmq_ctx_new ();
    void *ctx_b = zmq_ctx_new ();
    void *pull = zmq_socket (ctx_b, ZMQ_PULL);
    char ep[256];
    bound_endpoint (pull, "tcp://127.0.0.1:*", ep, sizeof ep);
    void *push = zmq_socket (ctx_a, ZMQ_PUSH);
    set_int (push, ZMQ_SNDTIMEO, 2000);
    set_int (push, ZMQ_RECONNECT_IVL, 10);
    CHECK_ZMQ (zmq_connect (push, ep));
    set_int (pull, ZMQ_RCVTIMEO, 5000);
    for (int seq = 0; seq < 200; seq++) {
        send_message (push, seq);
        recv_message (pull, seq);
        pause_us (60);
    }
    set_int (pull, ZMQ_LINGER, 0);
    zmq_close (pull);
    /* Paced sends into the dead connection: each returns (it may queue
     * while the push reconnects). */
    for (int seq = 0; seq < 50; seq++) {
        zmq_msg_t m;
        zmq_msg_init_size (&m, 10);
        memset (zmq_msg_data (&m), 'x', 10);
        int rc = zmq_msg_send (&m, push, ZMQ_DONTWAIT);
        if (rc < 0) {
            CHECK_EQ_INT (zmq_errno (), EAGAIN);
            zmq_msg_close (&m);
        }
        pause_us (100);
    }
    /* A new peer on the same endpoint. Whatever queued while there was
     * none comes first; then a marker, then checked messages. */
    pull = zmq_socket (ctx_b, ZMQ_PULL);
    set_int (pull, ZMQ_RCVTIMEO, 5000);
    CHECK_ZMQ (zmq_bind (pull, ep));
    CHECK_EQ_INT (zmq_send (push, "MARK", 4, 0), 4);
    char buf[64];
    int rc;
    do {
        rc = zmq_recv (pull, buf, sizeof buf, 0);
        CHECK (rc >= 0);
    } while (!(rc == 4 && memcmp (buf, "MARK", 4) == 0));
    for (int seq = 0; seq < 100; seq++) {
        send_message (push, seq);
        recv_message (pull, seq);
        pause_us (60);
    }
    set_int (push, ZMQ_LINGER, 0);
    zmq_close (push);
    zmq_close (pull);
    zmq_ctx_term (ctx_a);
    zmq_ctx_term (ctx_b);
}

TEST_MAIN ()
