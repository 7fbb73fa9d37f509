/* remote_thr <connect-to> <message-size> <message-count>
 *
 * Throughput sender: connects a PUSH socket and sends <message-count>
 * messages of <message-size> bytes as fast as it can, then closes with the
 * default (infinite) linger so every message is delivered before it exits.
 * Pair with local_thr, which does the measuring.
 *
 * Over ipc:// it waits 200 ms after the last message before closing: libzmq
 * 4.3.x can drop messages still queued when an ipc socket is closed, in
 * spite of the linger (libzmq issue #4660), which would leave local_thr
 * waiting forever.  The wait is outside local_thr's measurement. */
#include "perf_common.h"

#include <unistd.h>

int main (int argc, char *argv[])
{
    const char *connect_to;
    long size, count, i;
    void *ctx, *s;
    zmq_msg_t msg;

    if (argc != 4) {
        printf (
          "usage: remote_thr <connect-to> <message-size> <message-count>\n");
        return 1;
    }
    connect_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    count = perf_parse_count (argv[3], "message count", 1);
    perf_report_library ();

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, ZMQ_PUSH);
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 0);
    if (zmq_connect (s, connect_to) != 0)
        perf_fail ("zmq_connect");

    for (i = 0; i < count; i++) {
        if (zmq_msg_init_size (&msg, (size_t) size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }

    if (strncmp (connect_to, "ipc://", 6) == 0)
        usleep (200 * 1000);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
