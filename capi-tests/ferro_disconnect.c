/* ferro_disconnect.c: a departed peer is forgotten before its DISCONNECTED
 * event is reported (not expected to pass against libzmq, whose socket
 * learns of the closed pipe only as it processes commands, so sends in
 * the window after the event still go to the dead pipe and are lost). */
#include "testutil.h"

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDTIMEO, &t, sizeof t));
    return s;
}

static void endpoint_of (void *s, char *ep, size_t cap)
{
    size_t len = cap;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
}

/*  Waits (bounded) for one DISCONNECTED event on a monitor PAIR.  */
static void wait_disconnected (void *mon)
{
    int ev;
    do {
        ev = tu_monitor_event (mon, NULL, NULL, 0);
        CHECK (ev != -1);
    } while (ev != ZMQ_EVENT_DISCONNECTED);
}

TEST (a_departed_peer_gets_no_more_of_a_bound_pushs_messages)
{
    void *push = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_socket_monitor (push, "inproc://push-mon", ZMQ_EVENT_DISCONNECTED));
    void *mon = make (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://push-mon"));
    CHECK_ZMQ (zmq_bind (push, "tcp://127.0.0.1:*"));
    char ep[64];
    endpoint_of (push, ep, sizeof ep);
    void *stays = make (ZMQ_PULL), *goes = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (stays, ep));
    CHECK_ZMQ (zmq_connect (goes, ep));
    /* Both connected: round robin reaches each. */
    char buf[8];
    CHECK_EQ_INT (zmq_send (push, "1", 1, 0), 1);
    CHECK_EQ_INT (zmq_send (push, "2", 1, 0), 1);
    void *first = NULL;
    zmq_pollitem_t items[2] = {{stays, 0, ZMQ_POLLIN, 0}, {goes, 0, ZMQ_POLLIN, 0}};
    int seen = 0;
    while (seen < 2) {
        CHECK (CHECK_ZMQ (zmq_poll (items, 2, 5000)) > 0);
        for (int k = 0; k < 2; k++)
            if (items[k].revents & ZMQ_POLLIN) {
                CHECK_EQ_INT (zmq_recv (items[k].socket, buf, sizeof buf, 0), 1);
                first = items[k].socket;
                seen++;
            }
    }
    (void) first;
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (goes, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_close (goes));
    wait_disconnected (mon);
    /* Every message now goes to the peer that stayed. */
    for (int k = 0; k < 10; k++)
        CHECK_EQ_INT (zmq_send (push, "x", 1, 0), 1);
    for (int k = 0; k < 10; k++)
        CHECK_EQ_INT (zmq_recv (stays, buf, sizeof buf, 0), 1);
    CHECK_ZMQ (zmq_setsockopt (stays, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_LINGER, &zero, sizeof zero));
    zmq_close (stays);
    zmq_close (push);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
