/* proxy_perf thr|lat <message-size> <count>
 *
 * A message hop through zmq_proxy over tcp, in one process with three
 * contexts (so each party has its own I/O thread, as separate processes
 * would):
 *   thr: PUSH -> [PULL frontend | proxy | PUSH backend] -> PULL; prints
 *        "mean throughput: N [msg/s]" measured at the final receiver from
 *        its first message to its last (as local_thr does).
 *   lat: REQ -> [ROUTER frontend | proxy | DEALER backend] -> REP (echo);
 *        prints "average latency: X [us]", elapsed / (2 * roundtrips).
 * The proxy is zmq_proxy_steerable; TERMINATE over an inproc control
 * socket ends it. */

#include "perf_common.h"

#include <pthread.h>

static int lat_mode;
static long message_size, message_count;
static char front_ep[256], back_ep[256];

typedef struct
{
    void *frontend, *backend, *control;
} proxy_t;

static void *run_proxy (void *arg)
{
    proxy_t *p = arg;
    if (zmq_proxy_steerable (p->frontend, p->backend, NULL, p->control) != 0)
        perf_fail ("zmq_proxy_steerable");
    return NULL;
}

/* The far party: the producer (thr) or the echoing REP (lat). */
static void *far_party (void *arg)
{
    void *ctx = zmq_ctx_new ();
    void *s;
    zmq_msg_t msg;
    long i;
    (void) arg;
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, lat_mode ? ZMQ_REP : ZMQ_PUSH);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, lat_mode ? back_ep : front_ep) != 0)
        perf_fail ("zmq_connect");
    for (i = 0; i < message_count; i++) {
        if (lat_mode) {
            if (zmq_msg_init (&msg) != 0)
                perf_fail ("zmq_msg_init");
            if (zmq_msg_recv (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_recv");
        } else {
            if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
                perf_fail ("zmq_msg_init_size");
            if (message_size > 0)
                memset (zmq_msg_data (&msg), 'P', (size_t) message_size);
        }
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
        zmq_msg_close (&msg);
    }
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return NULL;
}

static void bind_endpoint (void *s, char *out, size_t len)
{
    if (zmq_bind (s, "tcp://127.0.0.1:*") != 0)
        perf_fail ("zmq_bind");
    if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, out, &len) != 0)
        perf_fail ("zmq_getsockopt");
}

int main (int argc, char *argv[])
{
    void *proxy_ctx, *ctx, *s, *steer;
    proxy_t p;
    pthread_t proxy_thread, far_thread;
    zmq_msg_t msg;
    long i;
    uint64_t start = 0, elapsed;
    int rc;

    if (argc != 4 || (strcmp (argv[1], "thr") && strcmp (argv[1], "lat"))) {
        printf ("usage: proxy_perf thr|lat <message-size> <count>\n");
        return 1;
    }
    lat_mode = strcmp (argv[1], "lat") == 0;
    message_size = perf_parse_count (argv[2], "message size", 0);
    message_count = perf_parse_count (argv[3], "message count", 1);
    perf_report_library ();

    proxy_ctx = zmq_ctx_new ();
    if (!proxy_ctx)
        perf_fail ("zmq_ctx_new");
    p.frontend = zmq_socket (proxy_ctx, lat_mode ? ZMQ_ROUTER : ZMQ_PULL);
    p.backend = zmq_socket (proxy_ctx, lat_mode ? ZMQ_DEALER : ZMQ_PUSH);
    p.control = zmq_socket (proxy_ctx, ZMQ_PAIR);
    steer = zmq_socket (proxy_ctx, ZMQ_PAIR);
    if (!p.frontend || !p.backend || !p.control || !steer)
        perf_fail ("zmq_socket");
    bind_endpoint (p.frontend, front_ep, sizeof front_ep);
    bind_endpoint (p.backend, back_ep, sizeof back_ep);
    if (zmq_bind (p.control, "inproc://proxy_perf_control") != 0
        || zmq_connect (steer, "inproc://proxy_perf_control") != 0)
        perf_fail ("zmq_bind");
    rc = pthread_create (&proxy_thread, NULL, run_proxy, &p);
    if (rc == 0)
        rc = pthread_create (&far_thread, NULL, far_party, NULL);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        return 1;
    }

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, lat_mode ? ZMQ_REQ : ZMQ_PULL);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, lat_mode ? front_ep : back_ep) != 0)
        perf_fail ("zmq_connect");
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) message_count);

    if (lat_mode) {
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        start = perf_now_us ();
        for (i = 0; i < message_count; i++) {
            if (zmq_msg_send (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_send");
            if (zmq_msg_recv (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_recv");
            if ((long) zmq_msg_size (&msg) != message_size)
                perf_fail_msg ("message of incorrect size received");
        }
        elapsed = perf_now_us () - start;
        printf ("average latency: %.3f [us]\n",
                (double) elapsed / ((double) message_count * 2.0));
    } else {
        if (zmq_msg_init (&msg) != 0)
            perf_fail ("zmq_msg_init");
        for (i = 0; i < message_count; i++) {
            if (zmq_msg_recv (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_recv");
            if ((long) zmq_msg_size (&msg) != message_size)
                perf_fail_msg ("message of incorrect size received");
            if (i == 0)
                start = perf_now_us ();
        }
        elapsed = perf_now_us () - start;
        if (elapsed == 0)
            elapsed = 1;
        printf ("mean throughput: %d [msg/s]\n",
                (int) ((double) (message_count - 1) * 1000000.0
                       / (double) elapsed));
    }
    fflush (stdout);
    zmq_msg_close (&msg);

    if (pthread_join (far_thread, NULL) != 0)
        perf_fail_msg ("error in pthread_join");
    if (zmq_send (steer, "TERMINATE", 9, 0) != 9)
        perf_fail ("zmq_send");
    if (pthread_join (proxy_thread, NULL) != 0)
        perf_fail_msg ("error in pthread_join");
    zmq_close (s);
    zmq_close (p.frontend);
    zmq_close (p.backend);
    zmq_close (p.control);
    zmq_close (steer);
    if (zmq_ctx_term (ctx) != 0 || zmq_ctx_term (proxy_ctx) != 0)
        perf_fail ("zmq_ctx_term");
    perf_report_peak_rss ();
    return 0;
}
