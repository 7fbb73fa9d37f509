/* ferro_hwm_change.c: a high-water mark lowered on a connected socket
 * takes effect without stranding its writer. libzmq 4.3 hangs here: the
 * session had read (and sent) the earlier messages without publishing its
 * read count, which it does only every LWM messages, so the writer finds
 * itself at the new, lower mark and waits for a count that never comes.
 * (Not expected to pass against libzmq.) */
#include "testutil.h"

static void lowered_sndhwm (const char *transport)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_LINGER, &v, sizeof v));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_LINGER, &v, sizeof v));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_bind (pull, transport));
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_ZMQ (zmq_connect (push, ep));
    v = 2000;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &v, sizeof v));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDTIMEO, &v, sizeof v));
    char buf[8];
    /*  Seven messages through, far fewer than the LWM of 500.  */
    for (int i = 0; i < 7; i++)
        CHECK_EQ_INT (zmq_send (push, "x", 1, 0), 1);
    for (int i = 0; i < 7; i++)
        CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 1);
    /*  Nothing is queued anywhere: a mark of 5 leaves room for 5.  */
    v = 5;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &v, sizeof v));
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT (zmq_send (push, "y", 1, 0), 1);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 1);
    /*  And raised again (back to unlimited), the queue takes more.  */
    v = 0;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &v, sizeof v));
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT (zmq_send (push, "z", 1, 0), 1);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 1);
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_sndhwm_lowered_after_reads_over_tcp_still_lets_messages_through)
{
    lowered_sndhwm ("tcp://127.0.0.1:*");
}

TEST (a_sndhwm_lowered_after_reads_over_ipc_still_lets_messages_through)
{
    lowered_sndhwm ("ipc://*");
}

TEST_MAIN ()
