/*  test_zpoller.c - czmq's zpoller (zmq_poll underneath) over ferrozmq.
 *
 *  A wait that times out (zpoller_expired), readiness of one of several
 *  sockets over inproc and tcp, zpoller_add/zpoller_remove, an actor in a
 *  poller, and zpoller_terminated when the context is interrupted.
 */
#include "fz_check.h"

static bool
timeout_expires (void)
{
    zsock_t *pull = zsock_new_pull ("@tcp://127.0.0.1:*");
    REQUIRE (pull, "bind");
    zpoller_t *poller = zpoller_new (pull, NULL);
    REQUIRE (poller, "zpoller_new");
    int64_t start = zclock_mono ();
    void *which = zpoller_wait (poller, 200);
    int64_t elapsed = zclock_mono () - start;
    REQUIRE (which == NULL, "a socket with no messages was reported ready");
    REQUIRE (zpoller_expired (poller), "zpoller_expired is false after a timeout");
    REQUIRE (!zpoller_terminated (poller), "zpoller_terminated is true after a plain timeout");
    REQUIRE (elapsed >= 190 && elapsed < 2000, "200 ms wait took %lld ms", (long long) elapsed);

    //  Zero timeout returns at once
    start = zclock_mono ();
    which = zpoller_wait (poller, 0);
    elapsed = zclock_mono () - start;
    REQUIRE (which == NULL && zpoller_expired (poller) && elapsed < 100,
             "zero-timeout wait: which %p, expired %d, %lld ms", which,
             zpoller_expired (poller), (long long) elapsed);
    zpoller_destroy (&poller);
    zsock_destroy (&pull);
    return true;
}

static bool
readiness (void)
{
    zsock_t *a = zsock_new_pull ("@tcp://127.0.0.1:*");
    zsock_t *b = zsock_new_pull ("@tcp://127.0.0.1:*");
    REQUIRE (a && b, "bind");
    char ea[96], eb[96];
    snprintf (ea, sizeof ea, ">%s", zsock_endpoint (a));
    snprintf (eb, sizeof eb, ">%s", zsock_endpoint (b));
    zsock_t *to_a = zsock_new_push (ea);
    zsock_t *to_b = zsock_new_push (eb);
    REQUIRE (to_a && to_b, "connect");

    zpoller_t *poller = zpoller_new (a, b, NULL);
    REQUIRE (poller, "zpoller_new");

    zstr_send (to_b, "for b");
    void *which = zpoller_wait (poller, FZ_RCVTIMEO);
    REQUIRE (which == b, "want b ready, got %s", which == a ? "a" : which ? "?" : "none");
    REQUIRE (!zpoller_expired (poller) && !zpoller_terminated (poller), "expired/terminated set");
    RECV_STR (sb, b);
    REQUIRE (streq (sb, "for b"), "b got '%s'", sb);
    zstr_free (&sb);

    zstr_send (to_a, "for a");
    which = zpoller_wait (poller, FZ_RCVTIMEO);
    REQUIRE (which == a, "want a ready, got %s", which == b ? "b" : which ? "?" : "none");
    RECV_STR (sa, a);
    zstr_free (&sa);

    //  Both ready: two waits report both, and then nothing is ready
    zstr_send (to_a, "x");
    zstr_send (to_b, "y");
    bool saw_a = false, saw_b = false;
    for (int i = 0; i < 2; i++) {
        //  the second message may still be on its way: wait for it
        which = zpoller_wait (poller, FZ_RCVTIMEO);
        REQUIRE (which == a || which == b, "wait %d reported nothing", i);
        char *s = zstr_recv (which);
        REQUIRE (s, "recv after readiness failed");
        zstr_free (&s);
        if (which == a) saw_a = true; else saw_b = true;
    }
    REQUIRE (saw_a && saw_b, "saw a %d, saw b %d", saw_a, saw_b);
    REQUIRE (zpoller_wait (poller, 50) == NULL && zpoller_expired (poller), "still ready after draining");

    //  Remove b: a message for b no longer wakes the poller
    REQUIRE (zpoller_remove (poller, b) == 0, "zpoller_remove");
    zstr_send (to_b, "unseen");
    REQUIRE (zpoller_wait (poller, 200) == NULL && zpoller_expired (poller),
             "a removed socket was reported");
    //  Add a third socket, an inproc one
    const char *ep = fz_inproc ("poll");
    char bind[128], conn[128];
    snprintf (bind, sizeof bind, "@%s", ep);
    snprintf (conn, sizeof conn, ">%s", ep);
    zsock_t *c = zsock_new_pull (bind);
    zsock_t *to_c = zsock_new_push (conn);
    REQUIRE (c && to_c, "inproc pair");
    REQUIRE (zpoller_add (poller, c) == 0, "zpoller_add");
    zstr_send (to_c, "inproc");
    which = zpoller_wait (poller, FZ_RCVTIMEO);
    REQUIRE (which == c, "want c ready");
    RECV_STR (sc, c);
    zstr_free (&sc);
    //  b still holds its message; add it back and it is ready at once
    REQUIRE (zpoller_add (poller, b) == 0, "re-add b");
    which = zpoller_wait (poller, FZ_RCVTIMEO);
    REQUIRE (which == b, "re-added b not ready");
    RECV_STR (sb2, b);
    REQUIRE (streq (sb2, "unseen"), "b got '%s'", sb2);
    zstr_free (&sb2);

    //  A raw libzmq socket handle can be polled too
    void *raw = zsock_resolve (a);
    zpoller_t *raw_poller = zpoller_new (raw, NULL);
    zstr_send (to_a, "raw");
    which = zpoller_wait (raw_poller, FZ_RCVTIMEO);
    REQUIRE (which == raw, "raw handle not reported");
    zpoller_destroy (&raw_poller);

    zpoller_destroy (&poller);
    zsock_destroy (&to_c);
    zsock_destroy (&c);
    zsock_destroy (&to_a);
    zsock_destroy (&to_b);
    zsock_destroy (&a);
    zsock_destroy (&b);
    return true;
}

static void
talker (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_signal (pipe, 0);
    zclock_sleep (100);
    zstr_send (pipe, "from the actor");
    //  Wait for $TERM
    for (;;) {
        char *cmd = zstr_recv (pipe);
        if (!cmd)
            break;
        bool term = streq (cmd, "$TERM");
        zstr_free (&cmd);
        if (term)
            break;
    }
}

static bool
actor_in_poller (void)
{
    zactor_t *actor = zactor_new (talker, NULL);
    REQUIRE (actor, "zactor_new");
    zpoller_t *poller = zpoller_new (actor, NULL);
    void *which = zpoller_wait (poller, FZ_RCVTIMEO);
    REQUIRE (which == actor, "actor not reported ready");
    char *s = zstr_recv (actor);
    REQUIRE (s && streq (s, "from the actor"), "actor said '%s'", s ? s : "(null)");
    zstr_free (&s);
    zpoller_destroy (&poller);
    zactor_destroy (&actor);
    return true;
}

static bool
terminated (void)
{
    //  zpoller_terminated reports an interrupted wait: a context being
    //  terminated (ETERM), here in a private context of our own.
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx, "zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_PULL);
    REQUIRE (s, "zmq_socket");
    int linger = 0;
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    REQUIRE (zmq_bind (s, "tcp://127.0.0.1:*") == 0, "bind");
    zpoller_t *poller = zpoller_new (s, NULL);
    //  zpoller_set_nonstop would hide the interrupt; we want to see it
    zpoller_set_nonstop (poller, false);
    REQUIRE (zmq_ctx_shutdown (ctx) == 0, "zmq_ctx_shutdown");
    int64_t start = zclock_mono ();
    void *which = zpoller_wait (poller, 2000);
    int64_t elapsed = zclock_mono () - start;
    REQUIRE (which == NULL, "a socket was reported ready after ctx shutdown");
    REQUIRE (zpoller_terminated (poller), "zpoller_terminated is false after ctx shutdown "
             "(errno %d %s, %lld ms)", zmq_errno (), zmq_strerror (zmq_errno ()),
             (long long) elapsed);
    REQUIRE (elapsed < 1500, "the wait was not interrupted (%lld ms)", (long long) elapsed);
    zpoller_destroy (&poller);
    zmq_close (s);
    REQUIRE (zmq_ctx_term (ctx) == 0, "zmq_ctx_term");
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zpoller");
    fz_run ("czmq.zpoller.timeout-expired", timeout_expires);
    fz_run ("czmq.zpoller.readiness", readiness);
    fz_run ("czmq.zpoller.actor", actor_in_poller);
    fz_run ("czmq.zpoller.terminated", terminated);
    return fz_end ("czmq.zpoller");
}
