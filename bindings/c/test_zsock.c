/*  test_zsock.c - czmq's zsock, zstr, zmsg and zframe over ferrozmq.
 *
 *  REQ/REP, PUB/SUB with zsock_set_subscribe/unsubscribe, PUSH/PULL,
 *  ROUTER/DEALER multipart, zstr/zsock picture messages, and ephemeral
 *  tcp ports with zsock_endpoint.
 */
#include "fz_check.h"

static bool
req_rep (void)
{
    zsock_t *rep = zsock_new (ZMQ_REP);
    REQUIRE (rep, "zsock_new (ZMQ_REP) failed");
    int port = zsock_bind (rep, "tcp://127.0.0.1:*");
    REQUIRE (port > 0, "zsock_bind ephemeral returned %d", port);
    const char *endpoint = zsock_endpoint (rep);
    char want[64];
    snprintf (want, sizeof want, "tcp://127.0.0.1:%d", port);
    REQUIRE (endpoint && streq (endpoint, want),
             "zsock_endpoint is '%s', want '%s'", endpoint ? endpoint : "(null)", want);
    char *last = zsock_last_endpoint (rep);
    REQUIRE (last && streq (last, want), "ZMQ_LAST_ENDPOINT is '%s'", last ? last : "(null)");
    zstr_free (&last);
    REQUIRE (streq (zsock_type_str (rep), "REP"), "type_str '%s'", zsock_type_str (rep));

    zsock_t *req = zsock_new_req (endpoint);        //  connects by default
    REQUIRE (req, "zsock_new_req (%s) failed", endpoint);
    REQUIRE (zsock_type (req) == ZMQ_REQ, "zsock_type %d", zsock_type (req));
    zsock_set_rcvtimeo (req, FZ_RCVTIMEO);
    zsock_set_rcvtimeo (rep, FZ_RCVTIMEO);
    REQUIRE (zsock_rcvtimeo (req) == FZ_RCVTIMEO, "rcvtimeo reads %d", zsock_rcvtimeo (req));

    for (int round = 0; round < 3; round++) {
        REQUIRE (zstr_sendf (req, "request %d", round) == 0, "zstr_sendf failed");
        if (round == 0) {
            //  REQ must refuse a second request before the reply
            int rc = zstr_send (req, "too soon");
            REQUIRE (rc == -1 && zmq_errno () == EFSM,
                     "second send on REQ: rc %d errno %d (want -1 EFSM)", rc, zmq_errno ());
        }
        RECV_STR (request, rep);
        char expect[32];
        snprintf (expect, sizeof expect, "request %d", round);
        REQUIRE (streq (request, expect), "REP got '%s', want '%s'", request, expect);
        zstr_free (&request);
        REQUIRE (zstr_sendf (rep, "reply %d", round) == 0, "reply send failed");
        RECV_STR (reply, req);
        snprintf (expect, sizeof expect, "reply %d", round);
        REQUIRE (streq (reply, expect), "REQ got '%s', want '%s'", reply, expect);
        zstr_free (&reply);
    }
    //  Nothing else may arrive
    zsock_set_rcvtimeo (req, 100);
    REQUIRE (zstr_send (req, "last") == 0, "send failed");
    char *none = zstr_recv (req);
    REQUIRE (none == NULL && zmq_errno () == EAGAIN,
             "a reply nobody sent arrived, or errno %d is not EAGAIN", zmq_errno ());

    zsock_destroy (&req);
    zsock_destroy (&rep);
    return true;
}

static bool
pub_sub (void)
{
    zsock_t *pub = zsock_new_pub ("@tcp://127.0.0.1:*");
    REQUIRE (pub, "zsock_new_pub (@tcp://127.0.0.1:*) failed");
    const char *endpoint = zsock_endpoint (pub);
    REQUIRE (endpoint && strncmp (endpoint, "tcp://127.0.0.1:", 16) == 0
             && atoi (endpoint + 16) > 0, "endpoint '%s'", endpoint ? endpoint : "(null)");

    zsock_t *sub = zsock_new (ZMQ_SUB);
    REQUIRE (sub, "zsock_new (ZMQ_SUB) failed");
    zsock_set_subscribe (sub, "weather.");
    REQUIRE (zsock_connect (sub, "%s", endpoint) == 0, "connect failed");

    //  Slow joiner: publish until the subscription has reached the publisher
    zsock_set_rcvtimeo (sub, 50);
    bool joined = false;
    for (int i = 0; i < 100 && !joined; i++) {
        zstr_send (pub, "sports.warmup");
        zstr_send (pub, "weather.warmup");
        char *s = zstr_recv (sub);
        if (s) {
            REQUIRE (strncmp (s, "weather.", 8) == 0, "SUB got unsubscribed '%s'", s);
            joined = true;
        }
        zstr_free (&s);
    }
    REQUIRE (joined, "subscription never took effect within 5 s");

    zstr_send (pub, "sports.score");
    zstr_send (pub, "weatherman");          //  prefix "weather." does not match
    zstr_send (pub, "weather.rain");
    zsock_set_rcvtimeo (sub, FZ_RCVTIMEO);
    for (;;) {
        RECV_STR (s, sub);
        REQUIRE (strncmp (s, "weather.", 8) == 0, "SUB got unsubscribed '%s'", s);
        bool done = streq (s, "weather.rain");
        zstr_free (&s);
        if (done)
            break;
    }

    //  Multipart: the topic is only matched against the first frame
    zstr_sendx (pub, "weather.multi", "sports.second-frame", NULL);
    char *a = NULL, *b = NULL;
    int parts = zstr_recvx (sub, &a, &b, NULL);
    REQUIRE (parts == 2 && a && b && streq (a, "weather.multi") && streq (b, "sports.second-frame"),
             "zstr_recvx got %d parts ('%s', '%s')", parts, a ? a : "-", b ? b : "-");
    zstr_free (&a);
    zstr_free (&b);

    //  Switch topics: unsubscribe weather., subscribe news.
    zsock_set_unsubscribe (sub, "weather.");
    zsock_set_subscribe (sub, "news.");
    zsock_set_rcvtimeo (sub, 50);
    bool switched = false;
    for (int i = 0; i < 100 && !switched; i++) {
        zstr_send (pub, "weather.stale");
        zstr_send (pub, "news.marker");
        char *s = NULL;
        while ((s = zstr_recv (sub))) {
            if (streq (s, "news.marker"))
                switched = true;
            else
                REQUIRE (!switched && streq (s, "weather.stale"),
                         "SUB got '%s' after the topic switch", s);
            zstr_free (&s);
            if (switched)
                break;
        }
    }
    REQUIRE (switched, "news. subscription never took effect");
    //  Once news.marker passed, weather. is unsubscribed at the publisher
    zstr_send (pub, "weather.late");
    zstr_send (pub, "news.final");
    zsock_set_rcvtimeo (sub, FZ_RCVTIMEO);
    for (;;) {
        RECV_STR (s, sub);
        REQUIRE (strncmp (s, "news.", 5) == 0, "SUB got '%s' after unsubscribing weather.", s);
        bool done = streq (s, "news.final");
        zstr_free (&s);
        if (done)
            break;
    }
    zsock_destroy (&sub);
    zsock_destroy (&pub);
    return true;
}

static bool
push_pull (void)
{
    zsock_t *pull = zsock_new_pull ("@tcp://127.0.0.1:*");
    REQUIRE (pull, "zsock_new_pull failed");
    zsock_set_rcvtimeo (pull, FZ_RCVTIMEO);
    const char *endpoint = zsock_endpoint (pull);
    REQUIRE (endpoint, "no endpoint");
    zsock_t *push1 = zsock_new_push (endpoint);     //  connects by default
    zsock_t *push2 = zsock_new_push (endpoint);
    REQUIRE (push1 && push2, "zsock_new_push failed");
    for (int i = 0; i < 50; i++) {
        REQUIRE (zstr_sendf (push1, "one %d", i) == 0, "push1 send");
        REQUIRE (zstr_sendf (push2, "two %d", i) == 0, "push2 send");
    }
    int next1 = 0, next2 = 0;
    for (int i = 0; i < 100; i++) {
        RECV_STR (s, pull);
        int n;
        if (sscanf (s, "one %d", &n) == 1) {
            REQUIRE (n == next1, "from push1 got %d, want %d (order lost)", n, next1);
            next1++;
        }
        else
        if (sscanf (s, "two %d", &n) == 1) {
            REQUIRE (n == next2, "from push2 got %d, want %d (order lost)", n, next2);
            next2++;
        }
        else
            REQUIRE (false, "unexpected '%s'", s);
        zstr_free (&s);
    }
    REQUIRE (next1 == 50 && next2 == 50, "got %d and %d", next1, next2);

    //  One PUSH, two PULLs: round-robin once both are connected
    zsock_t *fan = zsock_new_push ("@tcp://127.0.0.1:*");
    REQUIRE (fan, "bind PUSH failed");
    char fan_ep[96];
    snprintf (fan_ep, sizeof fan_ep, ">%s", zsock_endpoint (fan));
    zsock_t *w1 = zsock_new_pull (fan_ep);       //  '>' connects
    zsock_t *w2 = zsock_new_pull (fan_ep);
    REQUIRE (w1 && w2, "connect PULL failed");
    zsock_set_rcvtimeo (w1, FZ_RCVTIMEO);
    zsock_set_rcvtimeo (w2, FZ_RCVTIMEO);
    //  Make sure both are connected: each must have received something
    zpoller_t *poller = zpoller_new (w1, w2, NULL);
    bool got1 = false, got2 = false;
    int sent = 0, received = 0;
    while ((!got1 || !got2) && sent < 200) {
        zstr_sendf (fan, "job %d", sent++);
        void *which;
        while ((which = zpoller_wait (poller, 20))) {
            char *s = zstr_recv (which);
            REQUIRE (s, "poll said readable but recv failed");
            zstr_free (&s);
            received++;
            if (which == w1) got1 = true;
            if (which == w2) got2 = true;
        }
    }
    zpoller_destroy (&poller);
    REQUIRE (got1 && got2, "after %d jobs, worker 1 %s, worker 2 %s", sent,
             got1 ? "got some" : "got none", got2 ? "got some" : "got none");
    REQUIRE (received == sent, "sent %d, received %d", sent, received);
    zsock_destroy (&w1);
    zsock_destroy (&w2);
    zsock_destroy (&fan);
    zsock_destroy (&push1);
    zsock_destroy (&push2);
    zsock_destroy (&pull);
    return true;
}

static bool
router_dealer (void)
{
    zsock_t *router = zsock_new_router ("@tcp://127.0.0.1:*");
    REQUIRE (router, "router bind failed");
    zsock_set_rcvtimeo (router, FZ_RCVTIMEO);
    const char *endpoint = zsock_endpoint (router);

    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    REQUIRE (dealer, "zsock_new (DEALER)");
    zsock_set_identity (dealer, "dealer-1");
    zsock_set_rcvtimeo (dealer, FZ_RCVTIMEO);
    REQUIRE (zsock_connect (dealer, "%s", endpoint) == 0, "connect");

    byte blob[300];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (byte) (i * 7);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "header");
    zmsg_addmem (msg, NULL, 0);                  //  an empty frame
    zmsg_addmem (msg, blob, sizeof blob);        //  binary, with NUL bytes
    REQUIRE (zmsg_size (msg) == 3, "zmsg_size %zu", zmsg_size (msg));
    REQUIRE (zmsg_send (&msg, dealer) == 0 && msg == NULL, "zmsg_send");

    zmsg_t *in = zmsg_recv (router);
    REQUIRE (in, "router got nothing");
    REQUIRE (zmsg_size (in) == 4, "router got %zu frames, want 4", zmsg_size (in));
    zframe_t *id = zmsg_pop (in);
    REQUIRE (zframe_streq (id, "dealer-1"), "routing id is not 'dealer-1' (size %zu)",
             zframe_size (id));
    char *header = zmsg_popstr (in);
    REQUIRE (header && streq (header, "header"), "first frame '%s'", header ? header : "-");
    zstr_free (&header);
    zframe_t *empty = zmsg_pop (in);
    REQUIRE (empty && zframe_size (empty) == 0, "second frame not empty");
    zframe_destroy (&empty);
    zframe_t *data = zmsg_pop (in);
    REQUIRE (data && zframe_size (data) == sizeof blob
             && memcmp (zframe_data (data), blob, sizeof blob) == 0, "binary frame differs");
    REQUIRE (!zframe_more (data), "last frame has MORE set");
    zmsg_destroy (&in);

    //  Reply frame by frame, with zframe_send (ZFRAME_MORE)
    REQUIRE (zframe_send (&id, router, ZFRAME_MORE | ZFRAME_REUSE) == 0, "send id");
    zframe_t *r1 = zframe_from ("reply");
    REQUIRE (zframe_send (&r1, router, ZFRAME_MORE) == 0, "send reply");
    REQUIRE (zframe_send (&data, router, 0) == 0, "send data");

    zframe_t *f = zframe_recv (dealer);
    REQUIRE (f && zframe_streq (f, "reply") && zframe_more (f), "dealer frame 1");
    zframe_destroy (&f);
    f = zframe_recv (dealer);
    REQUIRE (f && zframe_size (f) == sizeof blob && !zframe_more (f), "dealer frame 2");
    zframe_destroy (&f);

    //  The router can address the dealer by identity again
    REQUIRE (zstr_sendx (router, "dealer-1", "again", NULL) == 0, "sendx");
    RECV_STR (again, dealer);
    REQUIRE (streq (again, "again"), "dealer got '%s'", again);
    zstr_free (&again);

    //  ROUTER_MANDATORY: an unknown identity is EHOSTUNREACH, not a silent drop
    zsock_set_router_mandatory (router, 1);
    zframe_t *nobody = zframe_from ("nobody");
    int rc = zframe_send (&nobody, router, ZFRAME_MORE);
    REQUIRE (rc == -1 && zmq_errno () == EHOSTUNREACH,
             "send to unknown id: rc %d errno %d (want EHOSTUNREACH)", rc, zmq_errno ());
    zframe_destroy (&nobody);
    zframe_destroy (&id);

    //  A frame carries the peer's metadata
    zstr_send (dealer, "meta?");
    zframe_t *idf = zframe_recv (router);
    REQUIRE (idf, "router got nothing");
    zframe_t *body = zframe_recv (router);
    REQUIRE (body, "router body");
    const char *stype = zframe_meta (body, "Socket-Type");
    REQUIRE (stype && streq (stype, "DEALER"), "Socket-Type metadata '%s'", stype ? stype : "(null)");
    const char *peer = zframe_meta (body, "Peer-Address");
    REQUIRE (peer && streq (peer, "127.0.0.1"), "Peer-Address metadata '%s'", peer ? peer : "(null)");
    zframe_destroy (&idf);
    zframe_destroy (&body);

    zsock_destroy (&dealer);
    zsock_destroy (&router);
    return true;
}

static bool
strings_and_pictures (void)
{
    const char *ep = fz_inproc ("pair");
    char bind[128], connect[128];
    snprintf (bind, sizeof bind, "@%s", ep);
    zsock_t *a = zsock_new_pair (bind);
    REQUIRE (a, "pair bind");
    snprintf (connect, sizeof connect, ">%s", ep);
    zsock_t *b = zsock_new_pair (connect);
    REQUIRE (b, "pair connect");
    zsock_set_rcvtimeo (a, FZ_RCVTIMEO);
    zsock_set_rcvtimeo (b, FZ_RCVTIMEO);

    REQUIRE (zstr_sendx (a, "one", "two", "three", NULL) == 0, "sendx");
    char *s1 = NULL, *s2 = NULL, *s3 = NULL;
    int count = zstr_recvx (b, &s1, &s2, &s3, NULL);
    REQUIRE (count == 3, "recvx count %d", count);
    REQUIRE (streq (s1, "one") && streq (s2, "two") && streq (s3, "three"), "recvx content");
    zstr_free (&s1);
    zstr_free (&s2);
    zstr_free (&s3);

    REQUIRE (zstr_sendm (a, "partial") == 0 && zstr_send (a, "end") == 0, "sendm");
    zmsg_t *m = zmsg_recv (b);
    REQUIRE (m && zmsg_size (m) == 2, "sendm+send is %zu frames", m ? zmsg_size (m) : 0);
    zmsg_destroy (&m);

    zframe_t *frame = zframe_from ("framed");
    REQUIRE (zsock_send (a, "si48bfz", "text", -42, (uint32_t) 0xDEADBEEF,
                         (uint64_t) 0x0123456789ABCDEFull, "raw\0bytes", (size_t) 9, frame) == 0,
             "zsock_send picture");
    char *text = NULL;
    int i = 0;
    uint32_t u4 = 0;
    uint64_t u8 = 0;
    byte *raw = NULL;
    size_t raw_size = 0;
    zframe_t *got = NULL;
    REQUIRE (zsock_recv (b, "si48bfz", &text, &i, &u4, &u8, &raw, &raw_size, &got) == 0,
             "zsock_recv picture");
    REQUIRE (text && streq (text, "text") && i == -42 && u4 == 0xDEADBEEF
             && u8 == 0x0123456789ABCDEFull && raw_size == 9 && memcmp (raw, "raw\0bytes", 9) == 0
             && got && zframe_eq (got, frame), "picture values differ");
    zstr_free (&text);
    free (raw);
    zframe_destroy (&got);
    zframe_destroy (&frame);

    //  Binary picture
    REQUIRE (zsock_bsend (b, "12s", (uint8_t) 200, (uint16_t) 65000, "short") == 0, "bsend");
    uint8_t v1 = 0;
    uint16_t v2 = 0;
    char *bs = NULL;
    REQUIRE (zsock_brecv (a, "12s", &v1, &v2, &bs) == 0, "brecv");
    REQUIRE (v1 == 200 && v2 == 65000 && bs && streq (bs, "short"), "bpicture values differ");

    //  zsock_signal / zsock_wait
    REQUIRE (zsock_signal (a, 7) == 0, "signal");
    REQUIRE (zsock_wait (b) == 7, "wait did not return the status");

    zsock_destroy (&b);
    zsock_destroy (&a);
    return true;
}

static bool
ephemeral_and_unbind (void)
{
    zsock_t *s = zsock_new (ZMQ_PULL);
    REQUIRE (s, "new");
    int p1 = zsock_bind (s, "tcp://127.0.0.1:*");
    int p2 = zsock_bind (s, "tcp://127.0.0.1:*");
    REQUIRE (p1 > 0 && p2 > 0 && p1 != p2, "two ephemeral binds gave %d and %d", p1, p2);
    char want[64];
    snprintf (want, sizeof want, "tcp://127.0.0.1:%d", p2);
    REQUIRE (streq (zsock_endpoint (s), want), "endpoint '%s' want '%s'", zsock_endpoint (s), want);
    int p3 = zsock_bind (s, "tcp://127.0.0.1:*[%d-]", p2 + 1);
    REQUIRE (p3 > p2, "range bind from %d gave %d", p2 + 1, p3);
    //  Binding a port in use fails
    zsock_t *other = zsock_new (ZMQ_PULL);
    int rc = zsock_bind (other, "tcp://127.0.0.1:%d", p1);
    REQUIRE (rc == -1 && zmq_errno () == EADDRINUSE, "rebind of %d: rc %d errno %d", p1, rc, zmq_errno ());
    //  After unbind, the port is free again
    REQUIRE (zsock_unbind (s, "tcp://127.0.0.1:%d", p1) == 0, "unbind");
    //  (the listener is closed asynchronously by the I/O thread: retry)
    for (int tries = 0; tries < 100; tries++) {
        rc = zsock_bind (other, "tcp://127.0.0.1:%d", p1);
        if (rc != -1 || zmq_errno () != EADDRINUSE)
            break;
        zclock_sleep (10);
    }
    REQUIRE (rc == p1, "bind after unbind gave %d (errno %d)", rc, zmq_errno ());
    rc = zsock_unbind (s, "tcp://127.0.0.1:%d", p1);
    REQUIRE (rc == -1 && zmq_errno () == ENOENT, "second unbind: rc %d errno %d", rc, zmq_errno ());
    zsock_destroy (&other);
    zsock_destroy (&s);
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zsock");
    fz_run ("czmq.zsock.req-rep", req_rep);
    fz_run ("czmq.zsock.pub-sub", pub_sub);
    fz_run ("czmq.zsock.push-pull", push_pull);
    fz_run ("czmq.zsock.router-dealer-multipart", router_dealer);
    fz_run ("czmq.zsock.zstr-and-pictures", strings_and_pictures);
    fz_run ("czmq.zsock.ephemeral-bind-unbind", ephemeral_and_unbind);
    return fz_end ("czmq.zsock");
}
