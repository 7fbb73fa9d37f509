/* ferrozmq difference 1: a ZAP reply that comes back quickly is lost.
 *
 * The shape of pyzmq's AsyncioAuthenticator serving test_auth's can_connect:
 * ONE thread is both the ZAP handler and the application waiting for the
 * server socket to become writable, both through ZMQ_FD + ZMQ_EVENTS in an
 * epoll loop (as an asyncio event loop does); the handler answers 200 as
 * soon as a request is readable. A NULL server with a ZAP domain (or CURVE,
 * argv[2]=curve) binds, a client connects; each round has its own context.
 *
 * libzmq 4.3.4 and 4.3.5: the handshake always completes. ferrozmq at
 * 2c7971c: in many rounds the ZAP request is served and answered, yet the
 * server never becomes writable and the client never gets past CONNECTED:
 * Session::ask_zap wrote the request, flushed, then called
 * pipe.check_read() and ignored its result; when the reply was already
 * there, the session was not marked asleep on the pipe, so the handler's
 * flush sent no ActivateRead and the reply was never read.
 *
 *   cc zap_fast_handler.c -lzmq && ./a.out 100 [null|curve]
 * exit status 0 when no handshake got stuck. */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int events(void *s)
{
    int e = 0;
    size_t sz = sizeof e;
    zmq_getsockopt(s, ZMQ_EVENTS, &e, &sz);
    return e;
}

static int fd_of(void *s)
{
    int fd = -1;
    size_t sz = sizeof fd;
    zmq_getsockopt(s, ZMQ_FD, &fd, &sz);
    return fd;
}

/* Answers every request that is readable now with 200; returns how many. */
static int serve_zap(void *zap)
{
    int served = 0;
    while (events(zap) & ZMQ_POLLIN) {
        /* version, request id, domain, address, routing id, mechanism,
         * credentials (CURVE: the key): read every frame, keep the first 8 */
        char frame[8][512], spill[512];
        int len[8] = {0}, n = 0, more = 1;
        while (more) {
            int rc = zmq_recv(zap, n < 8 ? frame[n] : spill, 512, 0);
            if (n < 8)
                len[n] = rc;
            size_t sz = sizeof more;
            zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &sz);
            n++;
        }
        zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(zap, frame[1], len[1], ZMQ_SNDMORE); /* request id */
        zmq_send(zap, "200", 3, ZMQ_SNDMORE);
        zmq_send(zap, "OK", 2, ZMQ_SNDMORE);
        zmq_send(zap, "user", 4, ZMQ_SNDMORE);
        zmq_send(zap, "", 0, 0);
        served++;
    }
    return served;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100, stuck = 0;
    int curve = argc > 2 && strcmp(argv[2], "curve") == 0;
    char spub[41], ssec[41], cpub[41], csec[41];
    zmq_curve_keypair(spub, ssec);
    zmq_curve_keypair(cpub, csec);
    for (int i = 0; i < rounds; i++) {
        void *ctx = zmq_ctx_new();
        void *zap = zmq_socket(ctx, ZMQ_REP);
        zmq_bind(zap, "inproc://zeromq.zap.01");
        void *srv = zmq_socket(ctx, ZMQ_PUSH), *cli = zmq_socket(ctx, ZMQ_PULL);
        int zero = 0;
        zmq_setsockopt(srv, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(cli, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(srv, ZMQ_ZAP_DOMAIN, "global", 6);
        if (curve) {
            int one = 1;
            zmq_setsockopt(srv, ZMQ_CURVE_SERVER, &one, sizeof one);
            zmq_setsockopt(srv, ZMQ_CURVE_SECRETKEY, ssec, 40);
            zmq_setsockopt(cli, ZMQ_CURVE_SERVERKEY, spub, 40);
            zmq_setsockopt(cli, ZMQ_CURVE_PUBLICKEY, cpub, 40);
            zmq_setsockopt(cli, ZMQ_CURVE_SECRETKEY, csec, 40);
        }
        char ep[64];
        size_t sz = sizeof ep;
        zmq_bind(srv, "tcp://127.0.0.1:*");
        zmq_getsockopt(srv, ZMQ_LAST_ENDPOINT, ep, &sz);
        zmq_connect(cli, ep);

        int efd = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        ev.data.ptr = zap;
        epoll_ctl(efd, EPOLL_CTL_ADD, fd_of(zap), &ev);
        ev.data.ptr = srv;
        epoll_ctl(efd, EPOLL_CTL_ADD, fd_of(srv), &ev);
        double deadline = now() + 1.0;
        int ok = 0, served = serve_zap(zap); /* ZMQ_FD only tells of changes: look first */
        while (!(ok = events(srv) & ZMQ_POLLOUT) && now() < deadline) {
            struct epoll_event out[2];
            int n = epoll_wait(efd, out, 2, (int) ((deadline - now()) * 1000) + 1);
            for (int k = 0; k < n; k++)
                if (out[k].data.ptr == zap)
                    served += serve_zap(zap);
        }
        if (!ok && ++stuck <= 3)
            printf("  round %d stuck: ZAP requests answered %d, server ZMQ_EVENTS %d after 1 s\n",
                   i, served, events(srv));
        close(efd);
        zmq_close(srv);
        zmq_close(cli);
        zmq_close(zap);
        zmq_ctx_term(ctx);
    }
    int a, b, c;
    zmq_version(&a, &b, &c);
    printf("libzmq %d.%d.%d, %s: %d of %d handshakes stuck after their ZAP reply\n", a, b, c,
           curve ? "CURVE" : "NULL+ZAP domain", stuck, rounds);
    return stuck != 0;
}
