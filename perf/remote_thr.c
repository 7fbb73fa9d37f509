/* remote_thr <connect-to> <message-size> <message-count> [<pattern> [<rate>]]
 *
 * Throughput sender: connects and sends <message-count> messages of
 * <message-size> bytes as fast as it can, then closes with the default
 * (infinite) linger so every message is delivered before it exits.  Pair
 * with local_thr, given the same <pattern>, which does the measuring:
 *   push-pull      (default) a PUSH socket;
 *   client-server  a CLIENT socket (draft API);
 *   radio-dish     a RADIO socket (draft API) over udp://, sending to the
 *                  group "perf"; see below.
 *
 * radio-dish: ZMQ_XPUB_NODROP is set, so a send waits while the RADIO's
 * queue to its I/O thread is full instead of dropping the message: every
 * message counted as sent was handed to the library's udp engine, and
 * datagrams are lost only where udp loses them (at the receiver).  <rate>
 * (messages per second, default 0 = no limit) paces the sends in bursts of
 * RADIO_BURST messages.  After the data come RADIO_END_MARKERS end markers
 * (group "end", empty) RADIO_END_GAP_MS apart, for local_thr to stop at.
 * Prints "messages sent: N in T [s], R [msg/s]" (first send to the return
 * of the last, markers excluded) on stdout.
 *
 * Over ipc:// it waits 200 ms after the last message before closing: libzmq
 * 4.3.x can drop messages still queued when an ipc socket is closed, in
 * spite of the linger (libzmq issue #4660), which would leave local_thr
 * waiting forever.  The wait is outside local_thr's measurement. */
#include "perf_common.h"

#include <unistd.h>

#define RADIO_BURST 100
#define RADIO_END_MARKERS 5
#define RADIO_END_GAP_MS 20

/* Sleep until <deadline_us> (perf_now_us's clock), if it is ahead. */
static void sleep_until (uint64_t deadline_us)
{
    struct timespec ts;
    ts.tv_sec = (time_t) (deadline_us / 1000000u);
    ts.tv_nsec = (long) (deadline_us % 1000000u) * 1000;
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)
           == EINTR)
        ;
}

static void send_grouped (void *s, size_t size, const char *group)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size) != 0)
        perf_fail ("zmq_msg_init_size");
    if (perf_draft.msg_set_group (&msg, group) != 0)
        perf_fail ("zmq_msg_set_group");
    if (zmq_msg_send (&msg, s, 0) < 0)
        perf_fail ("zmq_msg_send");
}

int main (int argc, char *argv[])
{
    const char *connect_to;
    long size, count, rate = 0, i;
    enum perf_pattern pattern;
    void *ctx, *s;
    zmq_msg_t msg;
    uint64_t start, elapsed;

    if (argc < 4 || argc > 6) {
        printf ("usage: remote_thr <connect-to> <message-size> "
                "<message-count> [push-pull|client-server|radio-dish "
                "[<rate>]]\n");
        return 1;
    }
    connect_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    count = perf_parse_count (argv[3], "message count", 1);
    perf_report_library ();
    pattern =
      perf_parse_pattern (argc, argv, 4, PERF_PUSH_PULL, PERF_RADIO_DISH);
    if (argc == 6) {
        if (pattern != PERF_RADIO_DISH)
            perf_fail_msg ("a <rate> only applies to radio-dish");
        rate = perf_parse_count (argv[5], "rate", 0);
    }

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, perf_socket_type (pattern, 0));
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 0);
    if (pattern == PERF_RADIO_DISH) {
        int nodrop = 1;
        if (zmq_setsockopt (s, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop) != 0)
            perf_fail ("zmq_setsockopt (ZMQ_XPUB_NODROP)");
    }
    if (zmq_connect (s, connect_to) != 0)
        perf_fail ("zmq_connect");

    start = perf_now_us ();
    if (pattern == PERF_RADIO_DISH) {
        for (i = 0; i < count; i++) {
            if (rate > 0 && i % RADIO_BURST == 0)
                sleep_until (start + (uint64_t) i * 1000000u / (uint64_t) rate);
            send_grouped (s, (size_t) size, PERF_GROUP_DATA);
        }
    } else {
        for (i = 0; i < count; i++) {
            if (zmq_msg_init_size (&msg, (size_t) size) != 0)
                perf_fail ("zmq_msg_init_size");
            if (zmq_msg_send (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_send");
        }
    }
    elapsed = perf_now_us () - start;

    if (pattern == PERF_RADIO_DISH) {
        if (elapsed == 0)
            elapsed = 1;
        printf ("messages sent: %ld in %.3f [s], %d [msg/s]\n", count,
                (double) elapsed / 1000000.0,
                (int) ((double) count * 1000000.0 / (double) elapsed));
        fflush (stdout);
        for (i = 0; i < RADIO_END_MARKERS; i++) {
            usleep (RADIO_END_GAP_MS * 1000);
            send_grouped (s, 0, PERF_GROUP_END);
        }
    }

    if (strncmp (connect_to, "ipc://", 6) == 0)
        usleep (200 * 1000);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
