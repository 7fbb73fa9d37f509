/* draft_udp.c: udp:// for RADIO/DISH and DGRAM: unicast and multicast
 * groups (a DISH over udp filters groups itself), DGRAM's address frame
 * both ways (and EINVAL for a malformed send), the transport rules
 * (ENOCOMPATPROTO), address errors, unbind. */
#include "testutil.h"

#include <time.h>

static void *ctx;

static void *sock (int type)
{
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v));
    v = 2000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &v, sizeof v));
    return s;
}

static void last_endpoint (void *s, char *ep, size_t cap)
{
    size_t len = cap;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
}

static void send_grouped (void *s, const char *group, const char *body)
{
    zmq_msg_t m;
    CHECK_ZMQ (zmq_msg_init_size (&m, strlen (body)));
    memcpy (zmq_msg_data (&m), body, strlen (body));
    CHECK_ZMQ (zmq_msg_set_group (&m, group));
    CHECK_EQ_INT (zmq_msg_send (&m, s, 0), (int) strlen (body));
}

/* Sends `body` to `group` until the dish has a message (udp may drop the
 * first ones while the engines start), then checks it. */
static void expect_grouped (void *radio,
                            void *dish,
                            const char *group,
                            const char *body)
{
    int got = 0;
    for (int i = 0; i < 200 && !got; i++) {
        send_grouped (radio, group, body);
        zmq_pollitem_t it = {dish, 0, ZMQ_POLLIN, 0};
        got = CHECK_ZMQ (zmq_poll (&it, 1, 10));
    }
    CHECK (got);
    zmq_msg_t m;
    CHECK_ZMQ (zmq_msg_init (&m));
    int n = CHECK_ZMQ (zmq_msg_recv (&m, dish, 0));
    CHECK_EQ_INT (n, (int) strlen (body));
    CHECK_EQ_MEM (zmq_msg_data (&m), body, (size_t) n);
    CHECK_EQ_STR (zmq_msg_group (&m), group);
    CHECK_ZMQ (zmq_msg_close (&m));
    /* Drain the repeats. */
    while (zmq_msg_init (&m) == 0 && zmq_msg_recv (&m, dish, ZMQ_DONTWAIT) >= 0)
        zmq_msg_close (&m);
    zmq_msg_close (&m);
}

TEST (radio_dish_unicast_udp_filters_groups)
{
    ctx = zmq_ctx_new ();
    void *dish = sock (ZMQ_DISH), *radio = sock (ZMQ_RADIO);
    CHECK_ZMQ (zmq_bind (dish, "udp://127.0.0.1:0"));
    char ep[256];
    last_endpoint (dish, ep, sizeof ep);
    CHECK (strncmp (ep, "udp://127.0.0.1:", 16) == 0);
    CHECK (strcmp (ep, "udp://127.0.0.1:0") != 0);
    CHECK_ZMQ (zmq_join (dish, "news"));
    CHECK_ZMQ (zmq_connect (radio, ep));
    expect_grouped (radio, dish, "news", "hello");
    /* A group the dish did not join is dropped on arrival. */
    send_grouped (radio, "other", "no");
    send_grouped (radio, "news", "yes");
    char buf[8];
    int n = CHECK_ZMQ (zmq_recv (dish, buf, sizeof buf, 0));
    CHECK_EQ_INT (n, 3);
    CHECK_EQ_MEM (buf, "yes", 3);
    CHECK_ZMQ (zmq_unbind (dish, ep));
    CHECK_ZMQ (zmq_close (radio));
    CHECK_ZMQ (zmq_close (dish));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (radio_dish_multicast_udp)
{
    ctx = zmq_ctx_new ();
    void *dish = sock (ZMQ_DISH), *radio = sock (ZMQ_RADIO);
    /* A port of our own choosing in the ephemeral range, from the clock. */
    int port = 40000 + (int) (time (NULL) % 20000);
    char ep[128];
    snprintf (ep, sizeof ep, "udp://127.0.0.1;239.0.0.7:%d", port);
    CHECK_ZMQ (zmq_bind (dish, ep));
    CHECK_ZMQ (zmq_join (dish, "mc"));
    CHECK_ZMQ (zmq_connect (radio, ep));
    expect_grouped (radio, dish, "mc", "multi");
    CHECK_ZMQ (zmq_close (radio));
    CHECK_ZMQ (zmq_close (dish));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

static void dgram_send (void *s, const char *to, const char *body)
{
    CHECK_EQ_INT (zmq_send (s, to, strlen (to), ZMQ_SNDMORE), (int) strlen (to));
    CHECK_EQ_INT (zmq_send (s, body, strlen (body), 0), (int) strlen (body));
}

TEST (dgram_sends_to_an_address_frame_and_replies_to_the_sender)
{
    ctx = zmq_ctx_new ();
    void *a = sock (ZMQ_DGRAM), *b = sock (ZMQ_DGRAM);
    CHECK_ZMQ (zmq_bind (a, "udp://127.0.0.1:0"));
    CHECK_ZMQ (zmq_bind (b, "udp://127.0.0.1:0"));
    char ep[256];
    last_endpoint (a, ep, sizeof ep);
    const char *a_addr = ep + strlen ("udp://");
    char from[64];
    int n = -1;
    for (int i = 0; i < 200 && n < 0; i++) {
        dgram_send (b, a_addr, "is someone there?");
        zmq_pollitem_t it = {a, 0, ZMQ_POLLIN, 0};
        if (CHECK_ZMQ (zmq_poll (&it, 1, 10)) == 1)
            n = CHECK_ZMQ (zmq_recv (a, from, sizeof from - 1, 0));
    }
    CHECK (n > 0);
    from[n] = 0;
    CHECK (strncmp (from, "127.0.0.1:", 10) == 0);
    int more = 0;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 1);
    char body[64];
    n = CHECK_ZMQ (zmq_recv (a, body, sizeof body, 0));
    CHECK_EQ_INT (n, 17);
    CHECK_EQ_MEM (body, "is someone there?", 17);
    while (zmq_recv (a, body, sizeof body, ZMQ_DONTWAIT) >= 0) {
    }
    dgram_send (a, from, "yes");
    char got_from[64];
    n = CHECK_ZMQ (zmq_recv (b, got_from, sizeof got_from - 1, 0));
    got_from[n] = 0;
    CHECK_EQ_STR (got_from, a_addr);
    n = CHECK_ZMQ (zmq_recv (b, body, sizeof body, 0));
    CHECK_EQ_INT (n, 3);
    /* A body without an address first, or an address without a body. */
    CHECK_ZMQ_FAILS (zmq_send (a, "x", 1, 0), EINVAL);
    CHECK_EQ_INT (zmq_send (a, "127.0.0.1:1", 11, ZMQ_SNDMORE), 11);
    CHECK_ZMQ_FAILS (zmq_send (a, "y", 1, ZMQ_SNDMORE), EINVAL);
    CHECK_EQ_INT (zmq_send (a, "y", 1, 0), 1);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (udp_transport_rules_and_address_errors)
{
    ctx = zmq_ctx_new ();
    void *pub = sock (ZMQ_PUB), *radio = sock (ZMQ_RADIO), *dish = sock (ZMQ_DISH),
         *dgram = sock (ZMQ_DGRAM);
    CHECK_ZMQ_FAILS (zmq_bind (pub, "udp://127.0.0.1:5999"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_connect (pub, "udp://127.0.0.1:5999"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_bind (radio, "udp://127.0.0.1:5999"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_connect (dish, "udp://127.0.0.1:5999"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_bind (dgram, "tcp://127.0.0.1:*"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_connect (dgram, "inproc://x"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_bind (dish, "udp://127.0.0.1"), EINVAL);
    CHECK_ZMQ_FAILS (zmq_connect (radio, "udp://*:5999"), EINVAL);
    /* RADIO/DISH keep tcp. */
    CHECK_ZMQ (zmq_bind (radio, "tcp://127.0.0.1:*"));
    CHECK_ZMQ (zmq_close (pub));
    CHECK_ZMQ (zmq_close (radio));
    CHECK_ZMQ (zmq_close (dish));
    CHECK_ZMQ (zmq_close (dgram));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
