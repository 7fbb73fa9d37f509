/* hwm_accounting.c: when a writer finds its queue full, counted as libzmq
 * counts: the reader publishes its read count every LWM = (HWM + 1) / 2
 * messages and at no other time, so a PUSH whose PULL stopped reading
 * queues SNDHWM + RCVHWM messages plus a whole number of LWMs, never the
 * few the kernel's socket buffers hold on top. */
#include "testutil.h"

static void *make (void *ctx, int type)
{
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v));
    /*  Small kernel buffers (no autotuning): a handful of 64 KiB messages
     *  fit in them, far fewer than one LWM.  */
    v = 65536;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDBUF, &v, sizeof v));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVBUF, &v, sizeof v));
    return s;
}

/*  Blocking sends of `size`-byte messages until one waits 1.5 s.  */
static long fill (void *push, size_t size)
{
    int v = 1500;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDTIMEO, &v, sizeof v));
    long sent = 0;
    for (;;) {
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init_size (&m, size));
        memset (zmq_msg_data (&m), 'q', size);
        if (zmq_msg_send (&m, push, 0) < 0) {
            CHECK_EQ_INT (zmq_errno (), EAGAIN);
            CHECK_ZMQ (zmq_msg_close (&m));
            return sent;
        }
        sent++;
        CHECK (sent < 100000);
    }
}

static void backlog (int sndhwm, int rcvhwm, long expect)
{
    void *ctx = zmq_ctx_new ();
    void *pull = make (ctx, ZMQ_PULL);
    void *push = make (ctx, ZMQ_PUSH);
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_bind (pull, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_ZMQ (zmq_connect (push, ep));
    long sent = fill (push, 65536);
    CHECK_EQ_INT ((int) sent, (int) expect);
    /*  Every one of them arrives.  */
    int v = 2000;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &v, sizeof v));
    for (long i = 0; i < sent; i++) {
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init (&m));
        CHECK_EQ_INT (zmq_msg_recv (&m, pull, 0), 65536);
        CHECK_ZMQ (zmq_msg_close (&m));
    }
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_stalled_pull_takes_exactly_both_marks_at_the_defaults)
{
    /*  1,000 in the PUSH's queue, 1,000 in the PULL's, and the session's
     *  reads of the few in the kernel not yet published (fewer than 500).  */
    backlog (1000, 1000, 2000);
}

TEST (a_stalled_pull_takes_both_marks_and_whole_lwms_of_what_the_session_read)
{
    /*  SNDHWM 100 (LWM 50), RCVHWM 300: the sending session has read the
     *  300 the PULL holds plus the few in the kernel; 300 of those are
     *  published (six LWMs), the rest (fewer than 50) are not.  */
    backlog (100, 300, 400);
}

TEST_MAIN ()
