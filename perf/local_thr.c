/* local_thr <bind-to> <message-size> <message-count>
 *
 * Throughput receiver: binds a PULL socket, waits for the first message,
 * then times until <message-count> messages have arrived and prints the
 * mean throughput.  Pair with remote_thr.  <bind-to> may use a wildcard port
 * (tcp://127.0.0.1:*); the bound endpoint is written to stderr. */
#include "perf_common.h"

int main (int argc, char *argv[])
{
    const char *bind_to;
    long size, count, i;
    void *ctx, *s;
    zmq_msg_t msg;
    uint64_t start, elapsed;
    double msgs_per_sec, megabits;

    if (argc != 4) {
        printf ("usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 1;
    }
    bind_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    count = perf_parse_count (argv[3], "message count", 1);
    perf_report_library ();

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, ZMQ_PULL);
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 1);
    if (zmq_bind (s, bind_to) != 0)
        perf_fail ("zmq_bind");
    perf_report_endpoint (s);

    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");

    /* The clock starts when the first message is in: connection set-up is
     * not part of the measurement. */
    if (zmq_msg_recv (&msg, s, 0) < 0)
        perf_fail ("zmq_msg_recv");
    if ((long) zmq_msg_size (&msg) != size)
        perf_fail_msg ("message of incorrect size received");
    start = perf_now_us ();

    for (i = 1; i < count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != size)
            perf_fail_msg ("message of incorrect size received");
    }
    elapsed = perf_now_us () - start;
    if (elapsed == 0)
        elapsed = 1;

    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    /* Same convention as libzmq's local_thr: count / (last - first). */
    msgs_per_sec = (double) count * 1000000.0 / (double) elapsed;
    megabits = msgs_per_sec * (double) size * 8.0 / 1000000.0;

    printf ("message size: %d [B]\n", (int) size);
    printf ("message count: %d\n", (int) count);
    printf ("mean throughput: %d [msg/s]\n", (int) msgs_per_sec);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
