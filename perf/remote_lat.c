/* remote_lat <connect-to> <message-size> <roundtrip-count> [<pattern>]
 *
 * Latency measuring side: connects to local_lat (given the same <pattern>:
 * req-rep, the default, uses a REQ socket; client-server a CLIENT socket,
 * draft API), does <roundtrip-count> request/reply round trips and prints
 * the average one-way latency, i.e. elapsed / (2 * roundtrips). */
#include "perf_common.h"

int main (int argc, char *argv[])
{
    const char *connect_to;
    long size, roundtrips, i;
    enum perf_pattern pattern;
    void *ctx, *s;
    zmq_msg_t msg;
    uint64_t start, elapsed;
    double latency;

    if (argc != 4 && argc != 5) {
        printf ("usage: remote_lat <connect-to> <message-size> "
                "<roundtrip-count> [req-rep|client-server]\n");
        return 1;
    }
    connect_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    roundtrips = perf_parse_count (argv[3], "roundtrip count", 1);
    perf_report_library ();
    pattern =
      perf_parse_pattern (argc, argv, 4, PERF_REQ_REP, PERF_CLIENT_SERVER);

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, perf_socket_type (pattern, 0));
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 0);
    if (zmq_connect (s, connect_to) != 0)
        perf_fail ("zmq_connect");

    if (zmq_msg_init_size (&msg, (size_t) size) != 0)
        perf_fail ("zmq_msg_init_size");
    if (size > 0)
        memset (zmq_msg_data (&msg), 'L', (size_t) size);

    /* As in libzmq's remote_lat the first round trip (which also waits for
     * the connection) is inside the measurement. */
    start = perf_now_us ();
    for (i = 0; i < roundtrips; i++) {
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

    latency = (double) elapsed / ((double) roundtrips * 2.0);
    printf ("message size: %d [B]\n", (int) size);
    printf ("roundtrip count: %d\n", (int) roundtrips);
    printf ("average latency: %.3f [us]\n", latency);
    fflush (stdout);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
