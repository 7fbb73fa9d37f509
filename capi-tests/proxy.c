/* Devices: zmq_proxy (QUEUE with ROUTER/DEALER, STREAMER with PULL/PUSH,
 * capture of every frame), zmq_proxy_steerable (PAUSE, RESUME, STATISTICS,
 * TERMINATE), zmq_device, a single-socket proxy, the HWMs holding across a
 * proxy, ETERM on context shutdown and the argument errors. */
#include "testutil.h"

#include <pthread.h>

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
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

/*  Binds to an ephemeral tcp port and returns the endpoint.  */
static void bind_tcp (void *s, char *endpoint, size_t len)
{
    CHECK_ZMQ (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

typedef struct
{
    void *frontend, *backend, *capture, *control;
    int rc, err;
} proxy_args_t;

static void *proxy_thread (void *arg)
{
    proxy_args_t *a = arg;
    if (a->control)
        a->rc = zmq_proxy_steerable (a->frontend, a->backend, a->capture,
                                     a->control);
    else
        a->rc = zmq_proxy (a->frontend, a->backend, a->capture);
    a->err = zmq_errno ();
    return NULL;
}

static pthread_t start_proxy (proxy_args_t *a)
{
    pthread_t t;
    CHECK (pthread_create (&t, NULL, proxy_thread, a) == 0);
    return t;
}

/*  Ends a steerable proxy with TERMINATE and checks it returned 0.  */
static void terminate_proxy (void *steer, pthread_t t, proxy_args_t *a)
{
    send_str (steer, "TERMINATE", 0);
    CHECK (pthread_join (t, NULL) == 0);
    CHECK_EQ_INT (a->rc, 0);
}

TEST (queue_proxy_routes_requests_and_replies_over_tcp_with_capture)
{
    char fe[64], be[64];
    void *frontend = make (ZMQ_ROUTER), *backend = make (ZMQ_DEALER);
    bind_tcp (frontend, fe, sizeof fe);
    bind_tcp (backend, be, sizeof be);
    void *capture = make (ZMQ_PUSH), *tap = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (tap, "inproc://capture"));
    CHECK_ZMQ (zmq_connect (capture, "inproc://capture"));
    void *control = make (ZMQ_PAIR), *steer = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (control, "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    proxy_args_t a = {frontend, backend, capture, control, -2, 0};
    pthread_t t = start_proxy (&a);

    void *worker = make (ZMQ_REP), *client = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_connect (worker, be));
    CHECK_ZMQ (zmq_connect (client, fe));
    for (int i = 0; i < 3; i++) {
        send_str (client, "hello", ZMQ_SNDMORE);
        send_str (client, "world", 0);
        expect (worker, "hello", 1);
        expect (worker, "world", 0);
        send_str (worker, "reply", 0);
        expect (client, "reply", 0);
    }
    /* The capture socket saw every frame of both directions: request
     * [id][""][hello][world], then reply [id][""][reply]. */
    zmq_msg_t m;
    zmq_msg_init (&m);
    for (int i = 0; i < 3; i++) {
        int want_sizes[] = {-1, 0, 5, 5, -1, 0, 5};
        for (int f = 0; f < 7; f++) {
            CHECK_ZMQ (zmq_msg_recv (&m, tap, 0));
            if (want_sizes[f] >= 0)
                CHECK_EQ_INT ((int) zmq_msg_size (&m), want_sizes[f]);
            CHECK_EQ_INT (zmq_msg_more (&m), f != 3 && f != 6);
        }
    }
    zmq_msg_close (&m);
    terminate_proxy (steer, t, &a);
    /* The TERMINATE command was captured too. */
    expect (tap, "TERMINATE", 0);
    zmq_close (worker);
    zmq_close (client);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (capture);
    zmq_close (tap);
    zmq_close (control);
    zmq_close (steer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (streamer_device_keeps_order_and_multipart_whole)
{
    void *frontend = make (ZMQ_PULL), *backend = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_bind (frontend, "inproc://in"));
    CHECK_ZMQ (zmq_bind (backend, "inproc://out"));
    void *producer = make (ZMQ_PUSH), *consumer = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (producer, "inproc://in"));
    CHECK_ZMQ (zmq_connect (consumer, "inproc://out"));
    proxy_args_t a = {frontend, backend, NULL, NULL, -2, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, proxy_thread, &a) == 0);
    /* In rounds of 500, well within the default HWMs (1000 per side). */
    enum { N = 20000, ROUND = 500 };
    for (int r = 0; r < N; r += ROUND) {
        for (int i = r; i < r + ROUND; i++) {
            CHECK_ZMQ (zmq_send (producer, &i, sizeof i, ZMQ_SNDMORE));
            CHECK_ZMQ (zmq_send (producer, "tail", 4, 0));
        }
        for (int i = r; i < r + ROUND; i++) {
            int v = -1;
            CHECK_EQ_INT (zmq_recv (consumer, &v, sizeof v, 0), (int) sizeof v);
            CHECK_EQ_INT (v, i);
            expect (consumer, "tail", 0);
        }
    }
    /* Shutting the context down ends the proxy with ETERM. */
    CHECK_ZMQ (zmq_ctx_shutdown (ctx));
    CHECK (pthread_join (t, NULL) == 0);
    CHECK_EQ_INT (a.rc, -1);
    CHECK_EQ_INT (a.err, ETERM);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (producer);
    zmq_close (consumer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

typedef struct
{
    void *frontend, *backend;
    int rc, err;
} device_args_t;

static void *device_thread (void *arg)
{
    device_args_t *a = arg;
    a->rc = zmq_device (ZMQ_FORWARDER, a->frontend, a->backend);
    a->err = zmq_errno ();
    return NULL;
}

TEST (forwarder_device_passes_subscriptions_and_messages)
{
    void *frontend = make (ZMQ_XSUB), *backend = make (ZMQ_XPUB);
    CHECK_ZMQ (zmq_bind (frontend, "inproc://pubs"));
    CHECK_ZMQ (zmq_bind (backend, "inproc://subs"));
    device_args_t a = {frontend, backend, -2, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, device_thread, &a) == 0);
    void *pub = make (ZMQ_PUB), *sub = make (ZMQ_SUB);
    CHECK_ZMQ (zmq_connect (pub, "inproc://pubs"));
    CHECK_ZMQ (zmq_connect (sub, "inproc://subs"));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "news", 4));
    /* The subscription travels through the device to the publisher;
     * publish until the first message arrives. */
    set_int (sub, ZMQ_RCVTIMEO, 20);
    char buf[32];
    int n = -1;
    for (int tries = 0; tries < 250 && n < 0; tries++) {
        send_str (pub, "weather", 0);
        send_str (pub, "news today", 0);
        n = zmq_recv (sub, buf, sizeof buf, 0);
    }
    CHECK_EQ_INT (n, 10);
    CHECK_EQ_MEM (buf, "news today", 10);
    CHECK_ZMQ (zmq_ctx_shutdown (ctx));
    CHECK (pthread_join (t, NULL) == 0);
    CHECK_EQ_INT (a.rc, -1);
    CHECK_EQ_INT (a.err, ETERM);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (pub);
    zmq_close (sub);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

static uint64_t recv_u64 (void *s, int more)
{
    uint64_t v = 0;
    CHECK_EQ_INT (zmq_recv (s, &v, sizeof v, 0), 8);
    int m = -1;
    size_t len = sizeof m;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_RCVMORE, &m, &len));
    CHECK_EQ_INT (m, more);
    return v;
}

/*  Asks for STATISTICS over a PAIR control socket and checks the values.  */
static void expect_stats (void *steer, const uint64_t want[8])
{
    send_str (steer, "STATISTICS", 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT ((int) recv_u64 (steer, i < 7), (int) want[i]);
}

TEST (steerable_proxy_pauses_resumes_and_reports_statistics)
{
    void *frontend = make (ZMQ_PULL), *backend = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_bind (frontend, "inproc://in"));
    CHECK_ZMQ (zmq_bind (backend, "inproc://out"));
    /* PAIR: libzmq 4.3 replies to STATISTICS only, so a REP control
     * socket would be stuck after a PAUSE. */
    void *control = make (ZMQ_PAIR), *steer = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (control, "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    void *producer = make (ZMQ_PUSH), *consumer = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (producer, "inproc://in"));
    CHECK_ZMQ (zmq_connect (consumer, "inproc://out"));
    proxy_args_t a = {frontend, backend, NULL, control, -2, 0};
    pthread_t t = start_proxy (&a);

    send_str (producer, "one", ZMQ_SNDMORE);
    send_str (producer, "two", 0);
    send_str (producer, "three", 0);
    expect (consumer, "one", 1);
    expect (consumer, "two", 0);
    expect (consumer, "three", 0);
    /* Frontend received 2 messages (a multipart one counts once) of 11
     * bytes in all; the backend sent them. */
    const uint64_t after_three[8] = {2, 11, 0, 0, 0, 0, 2, 11};
    expect_stats (steer, after_three);

    /* PAUSE has no reply; the STATISTICS round trip after it shows it was
     * handled, and nothing moves until RESUME. */
    send_str (steer, "PAUSE", 0);
    expect_stats (steer, after_three);
    send_str (producer, "while paused", 0);
    set_int (consumer, ZMQ_RCVTIMEO, 100);
    char buf[32];
    CHECK_ZMQ_FAILS (zmq_recv (consumer, buf, sizeof buf, 0), EAGAIN);
    send_str (steer, "RESUME", 0);
    set_int (consumer, ZMQ_RCVTIMEO, 5000);
    expect (consumer, "while paused", 0);
    const uint64_t after_resume[8] = {3, 23, 0, 0, 0, 0, 3, 23};
    expect_stats (steer, after_resume);
    terminate_proxy (steer, t, &a);
    zmq_close (steer);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (control);
    zmq_close (producer);
    zmq_close (consumer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (rep_control_socket_answers_statistics_to_req)
{
    void *frontend = make (ZMQ_PULL), *backend = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_bind (frontend, "inproc://in"));
    CHECK_ZMQ (zmq_bind (backend, "inproc://out"));
    void *control = make (ZMQ_REP), *steer = make (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (control, "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    proxy_args_t a = {frontend, backend, NULL, control, -2, 0};
    pthread_t t = start_proxy (&a);
    send_str (steer, "STATISTICS", 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_INT ((int) recv_u64 (steer, i < 7), 0);
    terminate_proxy (steer, t, &a);
    zmq_close (steer);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (control);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (single_socket_proxy_sends_router_messages_back_to_their_sender)
{
    void *router = make (ZMQ_ROUTER);
    CHECK_ZMQ (zmq_bind (router, "inproc://echo"));
    void *control = make (ZMQ_PAIR), *steer = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (control, "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    proxy_args_t a = {router, router, NULL, control, -2, 0};
    pthread_t t = start_proxy (&a);
    void *dealer = make (ZMQ_DEALER);
    CHECK_ZMQ (zmq_connect (dealer, "inproc://echo"));
    for (int i = 0; i < 100; i++) {
        send_str (dealer, "ping", ZMQ_SNDMORE);
        send_str (dealer, "pong", 0);
        expect (dealer, "ping", 1);
        expect (dealer, "pong", 0);
    }
    terminate_proxy (steer, t, &a);
    zmq_close (dealer);
    zmq_close (router);
    zmq_close (control);
    zmq_close (steer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (proxy_holds_the_high_water_marks_of_both_sides)
{
    void *frontend = make (ZMQ_PULL), *backend = make (ZMQ_PUSH);
    set_int (frontend, ZMQ_RCVHWM, 10);
    set_int (backend, ZMQ_SNDHWM, 10);
    CHECK_ZMQ (zmq_bind (frontend, "inproc://in"));
    CHECK_ZMQ (zmq_bind (backend, "inproc://out"));
    void *producer = make (ZMQ_PUSH), *consumer = make (ZMQ_PULL);
    set_int (producer, ZMQ_SNDHWM, 10);
    set_int (consumer, ZMQ_RCVHWM, 10);
    CHECK_ZMQ (zmq_connect (producer, "inproc://in"));
    CHECK_ZMQ (zmq_connect (consumer, "inproc://out"));
    void *control = make (ZMQ_PAIR), *steer = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (control, "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    proxy_args_t a = {frontend, backend, NULL, control, -2, 0};
    pthread_t t = start_proxy (&a);
    /* Nobody reads: the producer fills both hops (10 + 10 each) and then
     * can send no more; it keeps retrying while the proxy makes room. */
    int sent = 0;
    for (;;) {
        if (zmq_send (producer, "x", 1, ZMQ_DONTWAIT) == 1) {
            sent++;
            CHECK (sent <= 1000);
            continue;
        }
        CHECK_EQ_INT (zmq_errno (), EAGAIN);
        zmq_pollitem_t item = {producer, 0, ZMQ_POLLOUT, 0};
        if (CHECK_ZMQ (zmq_poll (&item, 1, 300)) == 0)
            break;
    }
    CHECK (sent >= 20);
    CHECK (sent <= 42);
    /* Everything sent arrives once the consumer reads. */
    for (int i = 0; i < sent; i++)
        expect (consumer, "x", 0);
    terminate_proxy (steer, t, &a);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_close (producer);
    zmq_close (consumer);
    zmq_close (control);
    zmq_close (steer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (proxy_argument_errors)
{
    void *a = make (ZMQ_PAIR);
    CHECK_ZMQ_FAILS (zmq_proxy (NULL, a, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_proxy (a, NULL, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_proxy_steerable (NULL, NULL, NULL, NULL), EFAULT);
    zmq_close (a);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
