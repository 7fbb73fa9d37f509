/* inproc_thr <message-size> <message-count>
 *
 * Throughput over inproc:// within one process: a worker thread PUSHes
 * <message-count> messages, the main thread PULLs them and times from the
 * first to the last message, like local_thr. */

#include "perf_common.h"

#include <pthread.h>

#define INPROC_THR_ENDPOINT "inproc://ferrozmq_perf_thr"

static long message_size;
static long message_count;

static void *sender (void *ctx)
{
    void *s;
    zmq_msg_t msg;
    long i;

    s = zmq_socket (ctx, ZMQ_PUSH);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, INPROC_THR_ENDPOINT) != 0)
        perf_fail ("zmq_connect");
    for (i = 0; i < message_count; i++) {
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    return NULL;
}

int main (int argc, char *argv[])
{
    void *ctx, *s;
    pthread_t thread;
    zmq_msg_t msg;
    uint64_t start, elapsed;
    double msgs_per_sec, megabits;
    long i;
    int rc;

    if (argc != 3) {
        printf ("usage: inproc_thr <message-size> <message-count>\n");
        return 1;
    }
    message_size = perf_parse_count (argv[1], "message size", 0);
    message_count = perf_parse_count (argv[2], "message count", 1);
    perf_report_library ();

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, ZMQ_PULL);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_bind (s, INPROC_THR_ENDPOINT) != 0)
        perf_fail ("zmq_bind");

    rc = pthread_create (&thread, NULL, sender, ctx);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        return 1;
    }

    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) message_count);

    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    if (zmq_msg_recv (&msg, s, 0) < 0)
        perf_fail ("zmq_msg_recv");
    if ((long) zmq_msg_size (&msg) != message_size)
        perf_fail_msg ("message of incorrect size received");
    start = perf_now_us ();
    for (i = 1; i < message_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
    }
    elapsed = perf_now_us () - start;
    if (elapsed == 0)
        elapsed = 1;
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    rc = pthread_join (thread, NULL);
    if (rc != 0) {
        printf ("error in pthread_join: %s\n", strerror (rc));
        return 1;
    }

    msgs_per_sec = (double) message_count * 1000000.0 / (double) elapsed;
    megabits = msgs_per_sec * (double) message_size * 8.0 / 1000000.0;
    printf ("mean throughput: %d [msg/s]\n", (int) msgs_per_sec);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
