/* inproc_lat <message-size> <roundtrip-count>
 *
 * Latency over inproc:// within one process: the main thread (REQ) does
 * <roundtrip-count> round trips with an echoing worker thread (REP) and
 * prints the average one-way latency, elapsed / (2 * roundtrips). */

#include "perf_common.h"

#include <pthread.h>

#define INPROC_LAT_ENDPOINT "inproc://ferrozmq_perf_lat"

static long roundtrip_count;

static void *echo (void *ctx)
{
    void *s;
    zmq_msg_t msg;
    long i;

    s = zmq_socket (ctx, ZMQ_REP);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, INPROC_LAT_ENDPOINT) != 0)
        perf_fail ("zmq_connect");
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    for (i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    return NULL;
}

int main (int argc, char *argv[])
{
    void *ctx, *s;
    pthread_t thread;
    zmq_msg_t msg;
    long size, i;
    uint64_t start, elapsed;
    double latency;
    int rc;

    if (argc != 3) {
        printf ("usage: inproc_lat <message-size> <roundtrip-count>\n");
        return 1;
    }
    size = perf_parse_count (argv[1], "message size", 0);
    roundtrip_count = perf_parse_count (argv[2], "roundtrip count", 1);
    perf_report_library ();

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, ZMQ_REQ);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_bind (s, INPROC_LAT_ENDPOINT) != 0)
        perf_fail ("zmq_bind");

    rc = pthread_create (&thread, NULL, echo, ctx);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        return 1;
    }

    if (zmq_msg_init_size (&msg, (size_t) size) != 0)
        perf_fail ("zmq_msg_init_size");
    if (size > 0)
        memset (zmq_msg_data (&msg), 'L', (size_t) size);

    printf ("message size: %d [B]\n", (int) size);
    printf ("roundtrip count: %d\n", (int) roundtrip_count);

    start = perf_now_us ();
    for (i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != size)
            perf_fail_msg ("message of incorrect size received");
    }
    elapsed = perf_now_us () - start;

    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    rc = pthread_join (thread, NULL);
    if (rc != 0) {
        printf ("error in pthread_join: %s\n", strerror (rc));
        return 1;
    }

    latency = (double) elapsed / ((double) roundtrip_count * 2.0);
    printf ("average latency: %.3f [us]\n", latency);
    fflush (stdout);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
