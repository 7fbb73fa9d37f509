/* local_lat <bind-to> <message-size> <roundtrip-count> [<pattern>]
 *
 * Latency echo side: binds and bounces <roundtrip-count> messages back to
 * remote_lat, which does the measuring; give both the same <pattern>:
 *   req-rep        (default) a REP socket;
 *   client-server  a SERVER socket (draft API), which addresses each reply
 *                  with the request's routing id (zmq_msg_routing_id,
 *                  zmq_msg_set_routing_id).
 * <bind-to> may use a wildcard port (tcp://127.0.0.1:*); the bound endpoint
 * goes to stderr.
 *
 * Like libzmq's local_lat (which sleeps a second) it waits a little, 100 ms,
 * after the last reply before closing, so that the reply is not lost by a
 * library that drops queued messages at close (libzmq issue #4660, ipc). */
#include "perf_common.h"

#include <unistd.h>

int main (int argc, char *argv[])
{
    const char *bind_to;
    long size, roundtrips, i;
    enum perf_pattern pattern;
    uint32_t routing_id;
    void *ctx, *s;
    zmq_msg_t msg;

    if (argc != 4 && argc != 5) {
        printf ("usage: local_lat <bind-to> <message-size> <roundtrip-count> "
                "[req-rep|client-server]\n");
        return 1;
    }
    bind_to = argv[1];
    size = perf_parse_count (argv[2], "message size", 0);
    roundtrips = perf_parse_count (argv[3], "roundtrip count", 1);
    perf_report_library ();
    pattern =
      perf_parse_pattern (argc, argv, 4, PERF_REQ_REP, PERF_CLIENT_SERVER);

    ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    s = zmq_socket (ctx, perf_socket_type (pattern, 1));
    if (!s)
        perf_fail ("zmq_socket");
    perf_security (s, 1);
    if (zmq_bind (s, bind_to) != 0)
        perf_fail ("zmq_bind");
    perf_report_endpoint (s);

    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    for (i = 0; i < roundtrips; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != size)
            perf_fail_msg ("message of incorrect size received");
        if (pattern == PERF_CLIENT_SERVER) {
            /* The reply goes back to the client the request came from. */
            routing_id = perf_draft.msg_routing_id (&msg);
            if (routing_id == 0)
                perf_fail_msg ("request without a routing id");
            if (perf_draft.msg_set_routing_id (&msg, routing_id) != 0)
                perf_fail ("zmq_msg_set_routing_id");
        }
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    usleep (100 * 1000);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
