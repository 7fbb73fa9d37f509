/* local_thr <bind-to> <message-size> <message-count> [<pattern>]
 *
 * Throughput receiver: binds, waits for the first message, then times until
 * <message-count> messages have arrived and prints the mean throughput.
 * Pair with remote_thr, given the same <pattern>:
 *   push-pull      (default) a PULL socket;
 *   client-server  a SERVER socket (draft API);
 *   radio-dish     a DISH socket (draft API) over udp://, joined to the
 *                  group "perf"; see below.
 * <bind-to> may use a wildcard port (tcp://127.0.0.1:*); the bound endpoint
 * is written to stderr.
 *
 * radio-dish: udp loses datagrams when the receiver falls behind (its
 * socket buffer, then its pipe, overflows), so this side cannot wait for
 * <message-count> messages.  It receives until all have arrived, or the
 * sender's end marker (group "end", sent after the data) arrives, or
 * nothing has come for RADIO_IDLE_MS.  The throughput is the messages
 * received / (last received - first received); it also prints how many of
 * the <message-count> sent were delivered. */
#include "perf_common.h"

#define RADIO_FIRST_MS 10000 /* the first datagram must come within 10 s */
#define RADIO_IDLE_MS 1000   /* then the stream ends after 1 s of silence */

int main (int argc, char *argv[])
{
    const char *bind_to;
    long size, count, received;
    enum perf_pattern pattern;
    int timeout;
    void *ctx, *s;
    zmq_msg_t msg;
    uint64_t start, last, elapsed;
    double msgs_per_sec, megabits;

    if (argc != 4 && argc != 5) {
        printf ("usage: local_thr <bind-to> <message-size> <message-count> "
                "[push-pull|client-server|radio-dish]\n");
        return 1;
    }
    bind_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    count = perf_parse_count (argv[3], "message count", 1);
    perf_report_library ();
    pattern =
      perf_parse_pattern (argc, argv, 4, PERF_PUSH_PULL, PERF_RADIO_DISH);

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, perf_socket_type (pattern, 1));
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 1);
    if (zmq_bind (s, bind_to) != 0)
        perf_fail ("zmq_bind");
    if (pattern == PERF_RADIO_DISH) {
        if (perf_draft.join (s, PERF_GROUP_DATA) != 0
            || perf_draft.join (s, PERF_GROUP_END) != 0)
            perf_fail ("zmq_join");
        timeout = RADIO_FIRST_MS;
        if (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0)
            perf_fail ("zmq_setsockopt");
    }
    perf_report_endpoint (s);

    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");

    /* The clock starts when the first message is in: connection set-up is
     * not part of the measurement. */
    if (zmq_msg_recv (&msg, s, 0) < 0)
        perf_fail ("zmq_msg_recv");
    if (pattern == PERF_RADIO_DISH
        && strcmp (perf_draft.msg_group (&msg), PERF_GROUP_END) == 0)
        perf_fail_msg ("no data message arrived before the end marker");
    if ((long) zmq_msg_size (&msg) != size)
        perf_fail_msg ("message of incorrect size received");
    start = last = perf_now_us ();
    received = 1;

    if (pattern == PERF_RADIO_DISH) {
        timeout = RADIO_IDLE_MS;
        if (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0)
            perf_fail ("zmq_setsockopt");
        while (received < count) {
            if (zmq_msg_recv (&msg, s, 0) < 0) {
                if (zmq_errno () == EAGAIN)
                    break; /* silence: the sender is done */
                perf_fail ("zmq_msg_recv");
            }
            if (strcmp (perf_draft.msg_group (&msg), PERF_GROUP_END) == 0)
                break;
            if ((long) zmq_msg_size (&msg) != size)
                perf_fail_msg ("message of incorrect size received");
            last = perf_now_us ();
            received++;
        }
        elapsed = last - start;
    } else {
        for (; received < count; received++) {
            if (zmq_msg_recv (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_recv");
            if ((long) zmq_msg_size (&msg) != size)
                perf_fail_msg ("message of incorrect size received");
        }
        elapsed = perf_now_us () - start;
    }
    if (elapsed == 0)
        elapsed = 1;

    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    /* Same convention as libzmq's local_thr: count / (last - first). */
    msgs_per_sec = (double) received * 1000000.0 / (double) elapsed;
    megabits = msgs_per_sec * (double) size * 8.0 / 1000000.0;

    printf ("message size: %d [B]\n", (int) size);
    printf ("message count: %d\n", (int) count);
    if (pattern == PERF_RADIO_DISH)
        printf ("messages delivered: %ld of %ld (%.2f %%)\n", received, count,
                100.0 * (double) received / (double) count);
    printf ("mean throughput: %d [msg/s]\n", (int) msgs_per_sec);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
