/* Many fresh connections, each flooded with 64 KiB messages from its first
 * moment: the receiver must get every message of every round within a
 * bounded time. Sender and receiver live in separate contexts (separate
 * I/O threads, as in two processes). This caught a lost wake-up where a
 * session stopped pulling from its pipe right after the handshake. */
#include "testutil.h"

#include <pthread.h>

#define ROUNDS 150
#define MSGS 200
#define SIZE 65536

typedef struct
{
    const char *ep;
    int sent;
} sender_t;

static void *send_all (void *arg)
{
    sender_t *s = (sender_t *) arg;
    void *ctx = zmq_ctx_new ();
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    int t = 10000;
    zmq_setsockopt (push, ZMQ_SNDTIMEO, &t, sizeof t);
    if (zmq_connect (push, s->ep) == 0) {
        for (int i = 0; i < MSGS; i++) {
            zmq_msg_t m;
            zmq_msg_init_size (&m, SIZE);
            memset (zmq_msg_data (&m), i & 0xff, SIZE);
            if (zmq_msg_send (&m, push, 0) != SIZE) {
                zmq_msg_close (&m);
                break;
            }
            s->sent++;
        }
    }
    zmq_close (push);
    zmq_ctx_term (ctx);
    return NULL;
}

static void flood_rounds (const char *bind_ep)
{
    for (int round = 0; round < ROUNDS; round++) {
        void *ctx = zmq_ctx_new ();
        void *pull = zmq_socket (ctx, ZMQ_PULL);
        int t = 5000;
        CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &t, sizeof t));
        CHECK_ZMQ (zmq_bind (pull, bind_ep));
        char ep[256];
        size_t len = sizeof ep;
        CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
        sender_t s = {ep, 0};
        pthread_t th;
        CHECK_EQ_INT (pthread_create (&th, NULL, send_all, &s), 0);
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init (&m));
        for (int i = 0; i < MSGS; i++) {
            const int n = zmq_msg_recv (&m, pull, 0);
            if (n != SIZE)
                tu_fail (__FILE__, __LINE__, "round %d: message %d of %d did not arrive (%s)", round, i,
                         MSGS, zmq_strerror (errno));
            CHECK_EQ_INT (((unsigned char *) zmq_msg_data (&m))[SIZE - 1], i & 0xff);
        }
        CHECK_ZMQ (zmq_msg_close (&m));
        CHECK_EQ_INT (pthread_join (th, NULL), 0);
        CHECK_EQ_INT (s.sent, MSGS);
        CHECK_ZMQ (zmq_close (pull));
        CHECK_ZMQ (zmq_ctx_term (ctx));
    }
}

TEST (fresh_ipc_connections_flooded_from_the_start_deliver_everything)
{
    flood_rounds ("ipc://*");
}

TEST (fresh_tcp_connections_flooded_from_the_start_deliver_everything)
{
    flood_rounds ("tcp://127.0.0.1:*");
}

TEST_MAIN ()
