/* ferrozmq difference 2: a connecting socket knows no peer address.
 *
 * libzmq takes the peer's IP from the connected socket on either side of a
 * tcp connection. ferrozmq at 2c7971c set it only for accepted connections,
 * so when the socket doing the server side of a mechanism (the one that asks
 * ZAP) is the one that CONNECTS, its ZAP request's Address frame is empty
 * and its messages carry no "Peer-Address" (zmq_msg_gets: EINVAL). pyzmq's
 * Authenticator with allow('127.0.0.1') then denies it (400):
 * test_auth.py::test_curve_user_id, whose CURVE server is the PULL that
 * connects.
 *
 *   cc zap_peer_address.c -lpthread -lzmq && ./a.out
 * exit status 0 when both sides report 127.0.0.1. */
#include <zmq.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static char zap_address[2][256];

static void *handler(void *zap)
{
    for (int round = 0; round < 2; round++) {
        char frame[8][256], spill[256];
        int len[8] = {0}, n = 0, more = 1;
        while (more) {
            int rc = zmq_recv(zap, n < 8 ? frame[n] : spill, 255, 0);
            if (rc < 0)
                return NULL;
            if (n < 8)
                len[n] = rc > 255 ? 255 : rc;
            size_t sz = sizeof more;
            zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &sz);
            n++;
        }
        /* version, request id, domain, address, routing id, mechanism */
        frame[3][len[3]] = 0;
        snprintf(zap_address[round], sizeof zap_address[round], "%s", frame[3]);
        zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(zap, frame[1], len[1], ZMQ_SNDMORE);
        zmq_send(zap, "200", 3, ZMQ_SNDMORE);
        zmq_send(zap, "OK", 2, ZMQ_SNDMORE);
        zmq_send(zap, "", 0, ZMQ_SNDMORE);
        zmq_send(zap, "", 0, 0);
    }
    return NULL;
}

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *zap = zmq_socket(ctx, ZMQ_REP);
    zmq_bind(zap, "inproc://zeromq.zap.01");
    pthread_t t;
    pthread_create(&t, NULL, handler, zap);
    int a, b, c, bad = 0;
    zmq_version(&a, &b, &c);
    printf("libzmq %d.%d.%d\n", a, b, c);
    for (int round = 0; round < 2; round++) {
        int server_binds = round == 0;
        void *srv = zmq_socket(ctx, ZMQ_PULL), *cli = zmq_socket(ctx, ZMQ_PUSH);
        int zero = 0, timeout = 2000;
        zmq_setsockopt(srv, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(cli, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(srv, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
        zmq_setsockopt(srv, ZMQ_ZAP_DOMAIN, "test", 4); /* NULL mechanism, asks ZAP */
        void *binder = server_binds ? srv : cli, *connecter = server_binds ? cli : srv;
        char ep[64];
        size_t sz = sizeof ep;
        zmq_bind(binder, "tcp://127.0.0.1:*");
        zmq_getsockopt(binder, ZMQ_LAST_ENDPOINT, ep, &sz);
        zmq_connect(connecter, ep);
        zmq_send(cli, "hi", 2, 0);
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        const char *peer = NULL;
        if (zmq_msg_recv(&msg, srv, 0) >= 0)
            peer = zmq_msg_gets(&msg, "Peer-Address");
        printf("  server %-8s: ZAP Address \"%s\", message Peer-Address %s%s%s\n",
               server_binds ? "binds" : "connects", zap_address[round], peer ? "\"" : "",
               peer ? peer : "none (EINVAL)", peer ? "\"" : "");
        bad += strcmp(zap_address[round], "127.0.0.1") != 0 || !peer || strcmp(peer, "127.0.0.1") != 0;
        zmq_msg_close(&msg);
        zmq_close(srv);
        zmq_close(cli);
    }
    pthread_join(t, NULL);
    zmq_close(zap);
    zmq_ctx_term(ctx);
    return bad != 0;
}
