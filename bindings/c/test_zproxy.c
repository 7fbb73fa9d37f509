/*  test_zproxy.c - czmq's zproxy actor over ferrozmq.
 *
 *  zactor (zproxy) configured with FRONTEND/BACKEND, messages (multipart)
 *  flowing through over inproc and tcp, PAUSE/RESUME, CAPTURE, a
 *  ROUTER/DEALER broker between REQ clients and a REP worker, and an
 *  XSUB/XPUB proxy forwarding subscriptions.
 */
#include "fz_check.h"

static zactor_t *
s_proxy (const char *front_type, const char *front, const char *back_type, const char *back)
{
    zactor_t *proxy = zactor_new (zproxy, NULL);
    if (!proxy)
        return NULL;
    zsock_set_rcvtimeo (zactor_sock (proxy), FZ_RCVTIMEO);
    if (zstr_sendx (proxy, "FRONTEND", front_type, front, NULL)
    ||  zsock_wait (proxy) != 0
    ||  zstr_sendx (proxy, "BACKEND", back_type, back, NULL)
    ||  zsock_wait (proxy) != 0) {
        zactor_destroy (&proxy);
        return NULL;
    }
    return proxy;
}

static bool
pipeline_inproc (void)
{
    char front[96], back[96], to_front[100], to_back[100];
    snprintf (front, sizeof front, "%s", fz_inproc ("front"));
    snprintf (back, sizeof back, "%s", fz_inproc ("back"));
    snprintf (to_front, sizeof to_front, ">%s", front);
    snprintf (to_back, sizeof to_back, ">%s", back);
    zactor_t *proxy = s_proxy ("PULL", front, "PUSH", back);
    REQUIRE (proxy, "proxy setup failed");
    zsock_t *faucet = zsock_new_push (to_front);
    zsock_t *sink = zsock_new_pull (to_back);
    REQUIRE (faucet && sink, "connect to the proxy");
    zsock_set_rcvtimeo (sink, FZ_RCVTIMEO);

    for (int i = 0; i < 100; i++)
        REQUIRE (zstr_sendx (faucet, "part 1", "part 2", "part 3", NULL) == 0, "send %d", i);
    for (int i = 0; i < 100; i++) {
        char *a = NULL, *b = NULL, *c = NULL;
        int n = zstr_recvx (sink, &a, &b, &c, NULL);
        REQUIRE (n == 3 && streq (a, "part 1") && streq (b, "part 2") && streq (c, "part 3"),
                 "message %d: %d parts", i, n);
        zstr_free (&a); zstr_free (&b); zstr_free (&c);
    }
    zactor_destroy (&proxy);
    zsock_destroy (&faucet);
    zsock_destroy (&sink);
    return true;
}

static bool
pipeline_tcp_pause_resume_capture (void)
{
    //  We bind on ephemeral ports; the proxy connects to us ('>')
    zsock_t *faucet = zsock_new_push ("@tcp://127.0.0.1:*");
    zsock_t *sink = zsock_new_pull ("@tcp://127.0.0.1:*");
    REQUIRE (faucet && sink, "bind");
    zsock_set_rcvtimeo (sink, FZ_RCVTIMEO);
    char front[100], back[100];
    snprintf (front, sizeof front, ">%s", zsock_endpoint (faucet));
    snprintf (back, sizeof back, ">%s", zsock_endpoint (sink));
    zactor_t *proxy = s_proxy ("PULL", front, "PUSH", back);
    REQUIRE (proxy, "proxy setup failed");

    zstr_sendx (faucet, "Hello", "World", NULL);
    char *hello = NULL, *world = NULL;
    REQUIRE (zstr_recvx (sink, &hello, &world, NULL) == 2
             && streq (hello, "Hello") && streq (world, "World"), "through the proxy");
    zstr_free (&hello); zstr_free (&world);

    //  PAUSE: nothing passes
    REQUIRE (zstr_send (proxy, "PAUSE") == 0 && zsock_wait (proxy) == 0, "PAUSE");
    zstr_sendx (faucet, "while", "paused", NULL);
    zsock_set_rcvtimeo (sink, 300);
    char *early = zstr_recv (sink);
    REQUIRE (early == NULL, "'%s' passed a paused proxy", early);
    //  RESUME: the held message passes
    REQUIRE (zstr_send (proxy, "RESUME") == 0 && zsock_wait (proxy) == 0, "RESUME");
    zsock_set_rcvtimeo (sink, FZ_RCVTIMEO);
    char *w = NULL, *p = NULL;
    REQUIRE (zstr_recvx (sink, &w, &p, NULL) == 2 && streq (w, "while") && streq (p, "paused"),
             "the held message did not pass after RESUME");
    zstr_free (&w); zstr_free (&p);

    //  CAPTURE: every proxied message is copied to our PULL
    const char *cap_ep = fz_inproc ("capture");
    char cap_bind[100];
    snprintf (cap_bind, sizeof cap_bind, "@%s", cap_ep);
    zsock_t *capture = zsock_new_pull (cap_bind);
    REQUIRE (capture, "capture bind");
    zsock_set_rcvtimeo (capture, FZ_RCVTIMEO);
    REQUIRE (zstr_sendx (proxy, "CAPTURE", cap_ep, NULL) == 0 && zsock_wait (proxy) == 0, "CAPTURE");
    zstr_sendx (faucet, "captured", "twice", NULL);
    char *c1 = NULL, *c2 = NULL;
    REQUIRE (zstr_recvx (sink, &c1, &c2, NULL) == 2 && streq (c1, "captured"), "sink");
    zstr_free (&c1); zstr_free (&c2);
    REQUIRE (zstr_recvx (capture, &c1, &c2, NULL) == 2 && streq (c1, "captured")
             && streq (c2, "twice"), "capture did not get a copy");
    zstr_free (&c1); zstr_free (&c2);

    zactor_destroy (&proxy);
    zsock_destroy (&capture);
    zsock_destroy (&faucet);
    zsock_destroy (&sink);
    return true;
}

static bool
broker (void)
{
    char front[96], back[96], to_front[100], to_back[100];
    snprintf (front, sizeof front, "%s", fz_inproc ("broker-front"));
    snprintf (back, sizeof back, "%s", fz_inproc ("broker-back"));
    snprintf (to_front, sizeof to_front, ">%s", front);
    snprintf (to_back, sizeof to_back, ">%s", back);
    zactor_t *proxy = s_proxy ("ROUTER", front, "DEALER", back);
    REQUIRE (proxy, "proxy setup failed");
    zsock_t *worker = zsock_new_rep (to_back);
    zsock_t *client1 = zsock_new_req (to_front);
    zsock_t *client2 = zsock_new_req (to_front);
    REQUIRE (worker && client1 && client2, "sockets");
    zsock_set_rcvtimeo (worker, FZ_RCVTIMEO);
    zsock_set_rcvtimeo (client1, FZ_RCVTIMEO);
    zsock_set_rcvtimeo (client2, FZ_RCVTIMEO);

    for (int round = 0; round < 10; round++) {
        zstr_sendf (client1, "c1 %d", round);
        zstr_sendf (client2, "c2 %d", round);
        for (int i = 0; i < 2; i++) {
            RECV_STR (req, worker);
            REQUIRE (strncmp (req, "c1 ", 3) == 0 || strncmp (req, "c2 ", 3) == 0,
                     "worker got '%s'", req);
            zstr_sendf (worker, "re: %s", req);
            zstr_free (&req);
        }
        RECV_STR (r1, client1);
        RECV_STR (r2, client2);
        char want1[32], want2[32];
        snprintf (want1, sizeof want1, "re: c1 %d", round);
        snprintf (want2, sizeof want2, "re: c2 %d", round);
        REQUIRE (streq (r1, want1) && streq (r2, want2),
                 "replies went astray: client1 '%s', client2 '%s'", r1, r2);
        zstr_free (&r1); zstr_free (&r2);
    }
    zactor_destroy (&proxy);
    zsock_destroy (&worker);
    zsock_destroy (&client1);
    zsock_destroy (&client2);
    return true;
}

static bool
xsub_xpub (void)
{
    //  We bind PUB and SUB on ephemeral ports; the proxy's XSUB and XPUB
    //  connect to them, and the subscription travels SUB -> XPUB -> XSUB -> PUB
    zsock_t *pub = zsock_new_pub ("@tcp://127.0.0.1:*");
    zsock_t *sub = zsock_new (ZMQ_SUB);
    REQUIRE (pub && sub, "sockets");
    zsock_set_subscribe (sub, "alpha.");
    REQUIRE (zsock_bind (sub, "tcp://127.0.0.1:*") > 0, "SUB bind");
    char front[100], back[100];
    snprintf (front, sizeof front, ">%s", zsock_endpoint (pub));
    snprintf (back, sizeof back, ">%s", zsock_endpoint (sub));
    zactor_t *proxy = s_proxy ("XSUB", front, "XPUB", back);
    REQUIRE (proxy, "proxy setup failed");

    zsock_set_rcvtimeo (sub, 50);
    bool joined = false;
    for (int i = 0; i < 100 && !joined; i++) {
        zstr_send (pub, "beta.warmup");
        zstr_send (pub, "alpha.warmup");
        char *s = zstr_recv (sub);
        if (s) {
            REQUIRE (strncmp (s, "alpha.", 6) == 0, "SUB got '%s'", s);
            joined = true;
        }
        zstr_free (&s);
    }
    REQUIRE (joined, "the subscription never crossed the proxy");
    zstr_send (pub, "beta.1");
    zstr_sendx (pub, "alpha.done", "second frame", NULL);
    zsock_set_rcvtimeo (sub, FZ_RCVTIMEO);
    for (;;) {
        char *a = NULL, *b = NULL;
        int n = zstr_recvx (sub, &a, &b, NULL);
        REQUIRE (n >= 1, "nothing more arrived");
        REQUIRE (strncmp (a, "alpha.", 6) == 0, "SUB got '%s'", a);
        bool done = streq (a, "alpha.done");
        if (done)
            REQUIRE (n == 2 && streq (b, "second frame"), "multipart lost its second frame");
        zstr_free (&a); zstr_free (&b);
        if (done)
            break;
    }
    zactor_destroy (&proxy);
    zsock_destroy (&pub);
    zsock_destroy (&sub);
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zproxy");
    fz_run ("czmq.zproxy.pipeline-inproc", pipeline_inproc);
    fz_run ("czmq.zproxy.tcp-pause-resume-capture", pipeline_tcp_pause_resume_capture);
    fz_run ("czmq.zproxy.router-dealer-broker", broker);
    fz_run ("czmq.zproxy.xsub-xpub", xsub_xpub);
    return fz_end ("czmq.zproxy");
}
