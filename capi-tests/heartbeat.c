/* Heartbeats (ZMTP 3.1 PING/PONG): ZMQ_HEARTBEAT_IVL sends PINGs carrying
 * ZMQ_HEARTBEAT_TTL, ZMQ_HEARTBEAT_TIMEOUT disconnects a peer that stays
 * silent after a PING, the TTL a peer's PING asks for is honoured, a PING
 * is answered with a PONG echoing its context, a connecter reconnects after
 * a heartbeat timeout, and two live peers stay connected. The mock peer is
 * a raw TCP client speaking ZMTP 3.1. */
#include "testutil.h"
#include "hostile_util.h"

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    return s;
}

static void set_int (void *s, int opt, int v)
{
    CHECK_ZMQ (zmq_setsockopt (s, opt, &v, sizeof v));
}

static void *monitor (void *s, const char *ep, int events)
{
    CHECK_ZMQ (zmq_socket_monitor (s, ep, events));
    void *m = make (ZMQ_PAIR);
    set_int (m, ZMQ_RCVTIMEO, 5000);
    set_int (m, ZMQ_LINGER, 0);
    CHECK_ZMQ (zmq_connect (m, ep));
    return m;
}

/*  A ZMTP 3.1 NULL handshake as a PUSH peer of a PULL server.  */
static void handshake_31 (int fd)
{
    unsigned char out[HU_GREETING_SIZE + 300];
    hu_greeting (out, 3, 1, "NULL", 0);
    const size_t n = HU_GREETING_SIZE
                     + hu_put_ready_frame (out + HU_GREETING_SIZE,
                                           sizeof out - HU_GREETING_SIZE, "PUSH");
    HU_SEND (fd, out, n);
    hu_read_null_greeting (fd);
    unsigned char body[512];
    hu_read_command (fd, "READY", body, sizeof body);
}

/*  Sends a PING command with a TTL (deciseconds) and a context.  */
static void send_ping (int fd, uint16_t ttl_ds, const char *context)
{
    unsigned char body[32];
    const size_t cl = strlen (context);
    body[0] = 4;
    memcpy (body + 1, "PING", 4);
    body[5] = (unsigned char) (ttl_ds >> 8);
    body[6] = (unsigned char) ttl_ds;
    memcpy (body + 7, context, cl);
    unsigned char frame[48];
    const size_t n = hu_put_frame (frame, sizeof frame, HU_FLAG_COMMAND, body, 7 + cl);
    HU_SEND (fd, frame, n);
}

static int server_with_mock_peer (void **server, int ivl, int timeout, int ttl)
{
    *server = make (ZMQ_PULL);
    if (ivl >= 0)
        set_int (*server, ZMQ_HEARTBEAT_IVL, ivl);
    if (timeout >= 0)
        set_int (*server, ZMQ_HEARTBEAT_TIMEOUT, timeout);
    if (ttl >= 0)
        set_int (*server, ZMQ_HEARTBEAT_TTL, ttl);
    char ep[64];
    hu_bind_tcp (*server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    handshake_31 (fd);
    return fd;
}

TEST (heartbeat_ivl_sends_pings_carrying_the_ttl)
{
    void *server;
    int fd = server_with_mock_peer (&server, 100, -1, 3000);
    unsigned char body[64];
    for (int i = 0; i < 3; i++) {
        const size_t n = hu_read_command (fd, "PING", body, sizeof body);
        CHECK_EQ_INT ((int) n, 7); /* name, then a 16-bit TTL, no context */
        CHECK_EQ_INT (body[5] << 8 | body[6], 30); /* 3000 ms = 30 ds */
        send_ping (fd, 0, ""); /* any traffic keeps us alive */
        hu_read_command (fd, "PONG", body, sizeof body);
    }
    close (fd);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_ping_is_answered_with_a_pong_echoing_its_context)
{
    void *server;
    int fd = server_with_mock_peer (&server, -1, -1, -1);
    send_ping (fd, 0, "ctx-42");
    unsigned char body[64];
    const size_t n = hu_read_command (fd, "PONG", body, sizeof body);
    CHECK_EQ_INT ((int) n, 5 + 6);
    CHECK_EQ_MEM (body + 5, "ctx-42", 6);
    close (fd);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_peer_silent_after_our_ping_is_disconnected_after_the_timeout)
{
    void *server = make (ZMQ_PULL);
    set_int (server, ZMQ_HEARTBEAT_IVL, 50);
    set_int (server, ZMQ_HEARTBEAT_TIMEOUT, 200);
    void *mon = monitor (server, "inproc://hb-timeout",
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    handshake_31 (fd);
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    const long long start = hu_now_ms ();
    /* We never answer: the server gives up 200 ms after its first PING. */
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_DISCONNECTED);
    CHECK (hu_now_ms () - start >= 200);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (server);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (the_ttl_in_a_peers_ping_is_honoured)
{
    /* No heartbeat options on our side: the peer's PING asks us to drop it
     * if nothing more arrives within 300 ms (TTL 3 ds). */
    void *server = make (ZMQ_PULL);
    void *mon = monitor (server, "inproc://hb-ttl",
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    handshake_31 (fd);
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    send_ping (fd, 3, "");
    const long long start = hu_now_ms ();
    unsigned char body[64];
    hu_read_command (fd, "PONG", body, sizeof body);
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_DISCONNECTED);
    CHECK (hu_now_ms () - start >= 250);
    close (fd);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (server);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (a_connecter_reconnects_after_a_heartbeat_timeout)
{
    /* A raw listener that completes the handshake and then goes silent. */
    char ep[64];
    int lfd = hu_listen_raw (ep, sizeof ep);

    void *client = make (ZMQ_PUSH);
    set_int (client, ZMQ_HEARTBEAT_IVL, 50);
    set_int (client, ZMQ_HEARTBEAT_TIMEOUT, 150);
    set_int (client, ZMQ_RECONNECT_IVL, 50);
    void *mon = monitor (client, "inproc://hb-reconnect",
                         ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
    CHECK_ZMQ (zmq_connect (client, ep));
    for (int round = 0; round < 2; round++) {
        struct pollfd p = {lfd, POLLIN, 0};
        CHECK (poll (&p, 1, HU_PROMPT_MS) == 1);
        int fd = accept (lfd, NULL, NULL);
        CHECK (fd >= 0);
        unsigned char out[HU_GREETING_SIZE + 300];
        hu_greeting (out, 3, 1, "NULL", 0);
        const size_t n = HU_GREETING_SIZE
                         + hu_put_ready_frame (out + HU_GREETING_SIZE,
                                               sizeof out - HU_GREETING_SIZE,
                                               "PULL");
        HU_SEND (fd, out, n);
        hu_read_null_greeting (fd);
        unsigned char body[512];
        hu_read_command (fd, "READY", body, sizeof body);
        CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_CONNECTED);
        CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_DISCONNECTED);
        close (fd);
    }
    close (lfd);
    set_int (client, ZMQ_LINGER, 0);
    zmq_close (client);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (live_peers_with_heartbeats_stay_connected)
{
    void *server = make (ZMQ_PULL), *client = make (ZMQ_PUSH);
    set_int (server, ZMQ_HEARTBEAT_IVL, 20);
    set_int (server, ZMQ_HEARTBEAT_TIMEOUT, 100);
    set_int (client, ZMQ_HEARTBEAT_IVL, 20);
    set_int (client, ZMQ_HEARTBEAT_TIMEOUT, 100);
    void *mon = monitor (server, "inproc://hb-live",
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    CHECK_ZMQ (zmq_connect (client, ep));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    /* Ten timeouts' worth of idle time with PINGs both ways: no drop. */
    set_int (mon, ZMQ_RCVTIMEO, 1000);
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), -1);
    CHECK_EQ_INT (zmq_send (client, "still here", 10, 0), 10);
    char buf[16];
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 10);
    set_int (client, ZMQ_LINGER, 0);
    set_int (server, ZMQ_LINGER, 0);
    zmq_close (client);
    zmq_close (server);
    zmq_close (mon);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
