/* draft_ws.c: ws:// (ZWS 2.0 over RFC 6455), as libzmq 4.3.5 builds it with
 * the draft API: endpoints with and without a path, LAST_ENDPOINT, unbind
 * and disconnect, small and large messages, shared and constant messages
 * (a client masks a copy, never the caller's buffer), PUB/SUB
 * subscriptions, CURVE, heartbeats (WebSocket PING/PONG, a silent peer is
 * dropped), and a raw tcp peer speaking the wire format by hand: the 101
 * answer (accept key, subprotocol), masked frames, bare ZWS2.0 routing
 * ids, and refused handshakes and frames (400, HANDSHAKE_FAILED_PROTOCOL
 * with ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, the connection closed, other
 * peers still served). */
#include "testutil.h"
#include "hostile_util.h"

static void *ctx;

static void *sock (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int v = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v));
    v = 3000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &v, sizeof v));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDTIMEO, &v, sizeof v));
    return s;
}

static void done (void)
{
    CHECK_ZMQ (zmq_ctx_term (ctx));
    ctx = NULL;
}

static void last_endpoint (void *s, char *ep, size_t cap)
{
    size_t len = cap;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
}

static void bind_local (void *s, const char *path, char *ep, size_t cap)
{
    char addr[128];
    snprintf (addr, sizeof addr, "ws://127.0.0.1:*%s", path);
    CHECK_ZMQ (zmq_bind (s, addr));
    last_endpoint (s, ep, cap);
}

static void bounce (void *server, void *client)
{
    char buf[32];
    CHECK_EQ_INT (zmq_send (client, "ping", 4, 0), 4);
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 4);
    CHECK_EQ_MEM (buf, "ping", 4);
    CHECK_EQ_INT (zmq_send (server, "pong", 4, 0), 4);
    CHECK_EQ_INT (zmq_recv (client, buf, sizeof buf, 0), 4);
    CHECK_EQ_MEM (buf, "pong", 4);
}

TEST (ws_and_draft_are_capabilities)
{
    /* As libzmq 4.3.5 spells them (and only so). */
    CHECK_EQ_INT (zmq_has ("WS"), 1);
    CHECK_EQ_INT (zmq_has ("ws"), 0);
    CHECK_EQ_INT (zmq_has ("draft"), 1);
    CHECK_EQ_INT (zmq_has ("DRAFT"), 0);
}

TEST (roundtrip_with_a_path_then_disconnect_and_unbind)
{
    void *rep = sock (ZMQ_REP), *req = sock (ZMQ_REQ);
    CHECK_ZMQ (zmq_bind (rep, "ws://*:*/roundtrip"));
    char ep[256], connect_to[256];
    last_endpoint (rep, ep, sizeof ep);
    CHECK (strncmp (ep, "ws://0.0.0.0:", 13) == 0);
    CHECK (strcmp (ep + strlen (ep) - 10, "/roundtrip") == 0);
    snprintf (connect_to, sizeof connect_to, "ws://127.0.0.1%s",
              strrchr (ep, ':'));
    CHECK_ZMQ (zmq_connect (req, connect_to));
    bounce (rep, req);
    CHECK_ZMQ (zmq_disconnect (req, connect_to));
    CHECK_ZMQ (zmq_unbind (rep, ep));
    CHECK_ZMQ_FAILS (zmq_unbind (rep, ep), ENOENT);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

TEST (roundtrip_without_a_path_gets_slash)
{
    void *rep = sock (ZMQ_REP), *req = sock (ZMQ_REQ);
    char ep[256];
    bind_local (rep, "", ep, sizeof ep);
    CHECK (strncmp (ep, "ws://127.0.0.1:", 15) == 0);
    CHECK_EQ_INT (ep[strlen (ep) - 1], '/');
    CHECK_ZMQ (zmq_connect (req, ep));
    bounce (rep, req);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

static void send_and_check (void *from, void *to, size_t size)
{
    zmq_msg_t m;
    CHECK_ZMQ (zmq_msg_init_size (&m, size));
    unsigned char *d = (unsigned char *) zmq_msg_data (&m);
    for (size_t i = 0; i < size; i++)
        d[i] = (unsigned char) (i % 251);
    CHECK_EQ_INT (zmq_msg_send (&m, from, 0), (int) size);
    CHECK_EQ_INT (zmq_msg_recv (&m, to, 0), (int) size);
    d = (unsigned char *) zmq_msg_data (&m);
    for (size_t i = 0; i < size; i++)
        if (d[i] != (unsigned char) (i % 251))
            tu_fail (__FILE__, __LINE__, "byte %zu of %zu differs", i, size);
    zmq_msg_close (&m);
}

TEST (messages_of_every_length_class_cross_both_ways)
{
    void *a = sock (ZMQ_DEALER), *b = sock (ZMQ_DEALER);
    char ep[256];
    bind_local (a, "/sizes", ep, sizeof ep);
    CHECK_ZMQ (zmq_connect (b, ep));
    /* 7-bit, 16-bit and 64-bit WebSocket lengths, ZMTP short and long. */
    const size_t sizes[] = {0, 1, 124, 125, 126, 255, 256, 65534, 65535, 65536, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        send_and_check (b, a, sizes[i]); /* masked (from the client) */
        send_and_check (a, b, sizes[i]);
    }
    /* Multipart stays whole. */
    CHECK_EQ_INT (zmq_send (b, "one", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ_INT (zmq_send (b, "two", 3, 0), 3);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (a, buf, sizeof buf, 0), 3);
    int more = 0;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 1);
    CHECK_EQ_INT (zmq_recv (a, buf, sizeof buf, 0), 3);
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 0);
    zmq_close (a);
    zmq_close (b);
    done ();
}

TEST (a_socket_closed_at_once_still_delivers_what_it_sent)
{
    /* 8 MiB cannot all be in the kernel when zmq_close returns: the ws
     * stream's own buffer must drain before the connection ends. */
    for (int client_sends = 0; client_sends < 2; client_sends++) {
        void *server = sock (ZMQ_PAIR), *client = sock (ZMQ_PAIR);
        int linger = 5000;
        char ep[256];
        bind_local (server, "/linger", ep, sizeof ep);
        CHECK_ZMQ (zmq_connect (client, ep));
        bounce (server, client);
        void *from = client_sends ? client : server;
        void *to = client_sends ? server : client;
        CHECK_ZMQ (zmq_setsockopt (from, ZMQ_LINGER, &linger, sizeof linger));
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init_size (&m, 8u << 20));
        memset (zmq_msg_data (&m), 0x5a, 8u << 20);
        CHECK_EQ_INT (zmq_msg_send (&m, from, 0), 8 << 20);
        CHECK_ZMQ (zmq_close (from));
        CHECK_EQ_INT (zmq_msg_recv (&m, to, 0), 8 << 20);
        zmq_msg_close (&m);
        zmq_close (to);
    }
    done ();
}

TEST (a_client_masks_a_copy_not_a_shared_or_constant_message)
{
    void *server = sock (ZMQ_DEALER), *client = sock (ZMQ_DEALER);
    char ep[256];
    bind_local (server, "/mask-shared", ep, sizeof ep);
    CHECK_ZMQ (zmq_connect (client, ep));
    zmq_msg_t msg, copy;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 255));
    unsigned char *d = (unsigned char *) zmq_msg_data (&msg);
    for (int i = 0; i < 255; i++)
        d[i] = (unsigned char) i;
    CHECK_ZMQ (zmq_msg_init (&copy));
    CHECK_ZMQ (zmq_msg_copy (&copy, &msg));
    CHECK_EQ_INT (zmq_msg_send (&msg, client, 0), 255);
    CHECK_EQ_INT (zmq_msg_recv (&msg, server, 0), 255);
    d = (unsigned char *) zmq_msg_data (&msg);
    for (int i = 0; i < 255; i++)
        CHECK_EQ_INT (d[i], i);
    d = (unsigned char *) zmq_msg_data (&copy);
    for (int i = 0; i < 255; i++)
        CHECK_EQ_INT (d[i], i);
    static const char hello[] = "HELLO";
    CHECK_EQ_INT (zmq_send_const (client, hello, 5, 0), 5);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (server, buf, sizeof buf, 0), 5);
    CHECK_EQ_MEM (buf, "HELLO", 5);
    CHECK_EQ_MEM (hello, "HELLO", 5);
    zmq_msg_close (&copy);
    zmq_msg_close (&msg);
    zmq_close (server);
    zmq_close (client);
    done ();
}

TEST (xpub_sees_subscriptions_and_sub_gets_only_its_topics)
{
    void *pub = sock (ZMQ_XPUB), *sub = sock (ZMQ_SUB);
    char ep[256];
    bind_local (pub, "", ep, sizeof ep);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_ZMQ (zmq_connect (sub, ep));
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\1A", 2);
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\1B", 2);
    CHECK_EQ_INT (zmq_send (pub, "C", 1, 0), 1);
    CHECK_EQ_INT (zmq_send (pub, "A", 1, 0), 1);
    CHECK_EQ_INT (zmq_send (pub, "B", 1, 0), 1);
    CHECK_EQ_INT (zmq_recv (sub, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'A');
    CHECK_EQ_INT (zmq_recv (sub, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'B');
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_EQ_INT (zmq_recv (pub, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "\0A", 2);
    zmq_close (sub);
    zmq_close (pub);
    done ();
}

TEST (curve_over_ws)
{
    char server_public[41], server_secret[41], client_public[41],
      client_secret[41];
    CHECK_ZMQ (zmq_curve_keypair (server_public, server_secret));
    CHECK_ZMQ (zmq_curve_keypair (client_public, client_secret));
    void *server = sock (ZMQ_REP), *client = sock (ZMQ_REQ);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, server_secret, 41));
    char ep[256];
    bind_local (server, "/curve", ep, sizeof ep);
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_CURVE_SERVERKEY, server_public, 41));
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_CURVE_PUBLICKEY, client_public, 41));
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_CURVE_SECRETKEY, client_secret, 41));
    CHECK_ZMQ (zmq_connect (client, ep));
    bounce (server, client);
    send_and_check (client, server, 100000);
    zmq_close (client);
    zmq_close (server);
    done ();
}

TEST (a_null_client_cannot_talk_to_a_curve_server)
{
    char server_public[41], server_secret[41];
    CHECK_ZMQ (zmq_curve_keypair (server_public, server_secret));
    void *server = sock (ZMQ_DEALER), *client = sock (ZMQ_DEALER);
    int one = 1;
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, server_secret, 41));
    CHECK_ZMQ (zmq_socket_monitor (client, "inproc://ws-mismatch",
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL));
    void *mon = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://ws-mismatch"));
    char ep[256];
    bind_local (server, "", ep, sizeof ep);
    CHECK_ZMQ (zmq_connect (client, ep));
    uint32_t value = 0;
    CHECK_EQ_INT (tu_monitor_event (mon, &value, NULL, 0),
                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK_EQ_INT (value, ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED);
    zmq_close (mon);
    zmq_close (client);
    zmq_close (server);
    done ();
}

/*  Waits ms on nothing, with zmq_poll (no event is expected).  */
static void quiet_for (void *s, int ms)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    CHECK_EQ_INT (zmq_poll (&item, 1, ms), 0);
}

TEST (heartbeats_keep_a_quiet_connection_up)
{
    void *rep = sock (ZMQ_REP), *req = sock (ZMQ_REQ);
    char ep[256];
    bind_local (rep, "/heartbeat", ep, sizeof ep);
    int ivl = 20, timeout = 100, never = -1;
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_ZMQ (
      zmq_setsockopt (req, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout));
    CHECK_ZMQ (zmq_setsockopt (req, ZMQ_RECONNECT_IVL, &never, sizeof never));
    CHECK_ZMQ (zmq_socket_monitor (req, "inproc://ws-hb",
                                   ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                     | ZMQ_EVENT_DISCONNECTED));
    void *mon = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://ws-hb"));
    CHECK_ZMQ (zmq_connect (req, ep));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0),
                  ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    /* Several timeouts long, with only PINGs and PONGs on the wire. */
    quiet_for (req, 500);
    int rcvtimeo = 0;
    CHECK_ZMQ (zmq_setsockopt (mon, ZMQ_RCVTIMEO, &rcvtimeo, sizeof rcvtimeo));
    CHECK_EQ_INT (tu_monitor_event (mon, NULL, NULL, 0), -1);
    bounce (rep, req);
    zmq_close (mon);
    zmq_close (req);
    zmq_close (rep);
    done ();
}

/* ------------------------------------------------ the wire, by hand ---- */

/*  RFC 6455's example key and its accept value.  */
#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/*  Sends an upgrade request offering `protocols` and reads the answer's
 *  head into `head` (NUL-terminated). Returns the fd.  */
static int raw_upgrade (const char *ep, const char *protocols, char *head,
                        size_t cap)
{
    int fd = hu_connect_raw (ep);
    char req[512];
    int n = snprintf (req, sizeof req,
                      "GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: " KEY "\r\n"
                      "Sec-WebSocket-Protocol: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n",
                      protocols);
    HU_SEND (fd, req, (size_t) n);
    size_t got = 0;
    while (got + 1 < cap) {
        CHECK_EQ_INT (hu_read_exact (fd, head + got, 1, HU_PROMPT_MS), 0);
        got++;
        head[got] = 0;
        if (got >= 4 && strcmp (head + got - 4, "\r\n\r\n") == 0)
            break;
    }
    return fd;
}

/*  One masked binary frame (mask 0x01020304) carrying flags + body.  */
static void raw_send_frame (int fd, unsigned char flags, const void *body,
                            size_t n)
{
    CHECK (n + 1 < 126);
    unsigned char f[256];
    const unsigned char mask[4] = {1, 2, 3, 4};
    f[0] = 0x82;
    f[1] = (unsigned char) (0x80 | (n + 1));
    memcpy (f + 2, mask, 4);
    f[6] = flags ^ mask[0];
    for (size_t i = 0; i < n; i++)
        f[7 + i] = ((const unsigned char *) body)[i] ^ mask[(i + 1) & 3];
    HU_SEND (fd, f, n + 7);
}

/*  Reads one unmasked frame from the server: returns its first byte; the
 *  payload (without the flags byte for binary frames) goes to body.  */
static int raw_read_frame (int fd, unsigned char *flags, unsigned char *body,
                           size_t *n)
{
    unsigned char h[2];
    CHECK_EQ_INT (hu_read_exact (fd, h, 2, HU_PROMPT_MS), 0);
    CHECK_EQ_INT (h[1] & 0x80, 0); /* a server does not mask */
    size_t len = h[1] & 0x7F;
    CHECK (len < 126);
    unsigned char p[128];
    if (len > 0)
        CHECK_EQ_INT (hu_read_exact (fd, p, len, HU_PROMPT_MS), 0);
    if ((h[0] & 0x0F) == 0x2) {
        CHECK (len >= 1);
        *flags = p[0];
        *n = len - 1;
        memcpy (body, p + 1, len - 1);
    } else {
        *n = len;
        memcpy (body, p, len);
    }
    return h[0];
}

static const unsigned char ready_dealer[] =
  "\x05READY\x0bSocket-Type\x00\x00\x00\x06"
  "DEALER";

TEST (the_server_answers_101_with_the_accept_key_and_speaks_masked_frames)
{
    void *router = sock (ZMQ_ROUTER);
    char ep[256], head[1024];
    bind_local (router, "/raw", ep, sizeof ep);
    int fd = raw_upgrade (ep, "ZWS2.0/NULL,ZWS2.0", head, sizeof head);
    CHECK (strncmp (head, "HTTP/1.1 101 ", 13) == 0);
    CHECK_NOT_NULL (strstr (head, "Sec-WebSocket-Accept: " ACCEPT "\r\n"));
    CHECK_NOT_NULL (strstr (head, "Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"));
    /* NULL's READY both ways, as command frames. */
    unsigned char flags, body[128];
    size_t n;
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82);
    CHECK_EQ_INT (flags, 2);
    CHECK (n > 6 && memcmp (body, "\x05READY", 6) == 0);
    raw_send_frame (fd, 2, ready_dealer, sizeof ready_dealer - 1);
    raw_send_frame (fd, 1, "a", 1); /* MORE */
    raw_send_frame (fd, 0, "b", 1);
    char id[16], buf[8];
    CHECK (zmq_recv (router, id, sizeof id, 0) > 0);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'a');
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'b');
    close (fd);
    zmq_close (router);
    done ();
}

TEST (bare_zws20_exchanges_routing_ids_instead_of_commands)
{
    void *router = sock (ZMQ_ROUTER);
    char ep[256], head[1024];
    bind_local (router, "", ep, sizeof ep);
    int fd = raw_upgrade (ep, "ZWS2.0", head, sizeof head);
    CHECK_NOT_NULL (strstr (head, "Sec-WebSocket-Protocol: ZWS2.0\r\n"));
    unsigned char flags, body[128];
    size_t n;
    /* The ROUTER's (empty) routing id comes first, as a plain frame. */
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82);
    CHECK_EQ_INT (flags, 0);
    CHECK_EQ_INT ((int) n, 0);
    raw_send_frame (fd, 0, "peer-1", 6);
    raw_send_frame (fd, 0, "hi", 2);
    char buf[16];
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 6);
    CHECK_EQ_MEM (buf, "peer-1", 6);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 2);
    CHECK_EQ_MEM (buf, "hi", 2);
    CHECK_EQ_INT (zmq_send (router, "peer-1", 6, ZMQ_SNDMORE), 6);
    CHECK_EQ_INT (zmq_send (router, "yo", 2, 0), 2);
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82);
    CHECK_EQ_INT ((int) n, 2);
    CHECK_EQ_MEM (body, "yo", 2);
    close (fd);
    zmq_close (router);
    done ();
}

TEST (a_silent_peer_is_dropped_after_the_heartbeat_timeout)
{
    void *router = sock (ZMQ_ROUTER);
    int ivl = 50, timeout = 150;
    CHECK_ZMQ (zmq_setsockopt (router, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl));
    CHECK_ZMQ (
      zmq_setsockopt (router, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout));
    char ep[256], head[1024];
    bind_local (router, "", ep, sizeof ep);
    int fd = raw_upgrade (ep, "ZWS2.0/NULL", head, sizeof head);
    unsigned char flags, body[128];
    size_t n;
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82); /* READY */
    raw_send_frame (fd, 2, ready_dealer, sizeof ready_dealer - 1);
    /* A WebSocket PING, which we do not answer. */
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x89);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    zmq_close (router);
    done ();
}

TEST (a_ping_from_the_peer_gets_a_pong_with_its_payload)
{
    void *router = sock (ZMQ_ROUTER);
    char ep[256], head[1024];
    bind_local (router, "", ep, sizeof ep);
    int fd = raw_upgrade (ep, "ZWS2.0/NULL", head, sizeof head);
    unsigned char flags, body[128];
    size_t n;
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82); /* READY */
    const unsigned char ping[] = {0x89, 0x82, 0, 0, 0, 0, 'h', 'i'};
    HU_SEND (fd, ping, sizeof ping);
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x8A);
    CHECK_EQ_INT ((int) n, 2);
    CHECK_EQ_MEM (body, "hi", 2);
    /* A CLOSE is answered and the connection ends. */
    const unsigned char bye[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE8};
    HU_SEND (fd, bye, sizeof bye);
    CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x88);
    CHECK_EQ_INT ((int) n, 2);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    zmq_close (router);
    done ();
}

/*  The server closes `fd` after `bytes`; a well-behaved client is still
 *  served afterwards.  */
static void refused_and_others_served (void *server, const char *ep, int fd,
                                       const void *bytes, size_t n)
{
    if (n > 0)
        hu_send_raw (fd, bytes, n);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    void *client = sock (ZMQ_DEALER);
    CHECK_ZMQ (zmq_connect (client, ep));
    CHECK_EQ_INT (zmq_send (client, "ok", 2, 0), 2);
    char buf[16];
    int got = zmq_recv (server, buf, sizeof buf, 0);
    if (got == 0 || got > 2) /* a ROUTER's routing id first */
        got = zmq_recv (server, buf, sizeof buf, 0);
    CHECK_EQ_INT (got, 2);
    zmq_close (client);
}

TEST (bad_upgrades_get_400_and_a_protocol_event)
{
    void *server = sock (ZMQ_DEALER);
    CHECK_ZMQ (zmq_socket_monitor (server, "inproc://ws-bad",
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL));
    void *mon = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_connect (mon, "inproc://ws-bad"));
    char ep[256];
    bind_local (server, "", ep, sizeof ep);
    static const char *bad[] = {
      "GET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
      "HELLO\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = hu_connect_raw (ep);
        HU_SEND (fd, bad[i], strlen (bad[i]));
        hu_close_t c;
        HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, &c);
        CHECK (c.received >= 12 && memcmp (c.head, "HTTP/1.1 400", 12) == 0);
        close (fd);
        uint32_t value = 0;
        CHECK_EQ_INT (tu_monitor_event (mon, &value, NULL, 0),
                      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
        CHECK_EQ_INT (value, ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED);
    }
    /* A head that never ends is cut off at 8 KiB. */
    int fd = hu_connect_raw (ep);
    char junk[9000];
    memset (junk, 'x', sizeof junk);
    refused_and_others_served (server, ep, fd, junk, sizeof junk);
    zmq_close (mon);
    zmq_close (server);
    done ();
}

TEST (bad_frames_close_the_connection_and_others_are_served)
{
    void *server = sock (ZMQ_DEALER);
    int64_t max = 1000;
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_MAXMSGSIZE, &max, sizeof max));
    char ep[256], head[1024];
    bind_local (server, "", ep, sizeof ep);
    static const unsigned char unmasked[] = {0x82, 0x02, 0x00, 'x'};
    static const unsigned char fragment[] = {0x02, 0x82, 0, 0, 0, 0, 0, 'x'};
    static const unsigned char text[] = {0x81, 0x81, 0, 0, 0, 0, 'x'};
    static const unsigned char long_ping[] = {0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0};
    static const unsigned char empty[] = {0x82, 0x80, 0, 0, 0, 0};
    /* Over MAXMSGSIZE (2000 bytes), and 2^40 bytes: refused before
     * anything is allocated. */
    static const unsigned char too_big[] = {0x82, 0xFE, 0x07, 0xD1, 0, 0, 0, 0, 0};
    static const unsigned char huge[] = {0x82, 0xFF, 0, 0, 1, 0,    0,
                                         0,    0,    0, 0, 0, 0, 0, 0};
    struct
    {
        const unsigned char *b;
        size_t n;
    } cases[] = {{unmasked, sizeof unmasked}, {fragment, sizeof fragment},
                 {text, sizeof text},         {long_ping, sizeof long_ping},
                 {empty, sizeof empty},       {huge, sizeof huge},
                 {too_big, sizeof too_big}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = raw_upgrade (ep, "ZWS2.0/NULL", head, sizeof head);
        unsigned char flags, body[128];
        size_t n;
        CHECK_EQ_INT (raw_read_frame (fd, &flags, body, &n), 0x82);
        raw_send_frame (fd, 2, ready_dealer, sizeof ready_dealer - 1);
        refused_and_others_served (server, ep, fd, cases[i].b, cases[i].n);
    }
    zmq_close (server);
    done ();
}

TEST (stream_and_dgram_refuse_ws)
{
    void *s = sock (ZMQ_STREAM);
    CHECK_ZMQ_FAILS (zmq_bind (s, "ws://127.0.0.1:*"), ENOCOMPATPROTO);
    CHECK_ZMQ_FAILS (zmq_connect (s, "ws://127.0.0.1:5555"), ENOCOMPATPROTO);
    zmq_close (s);
    void *r = sock (ZMQ_DEALER);
    CHECK_ZMQ_FAILS (zmq_bind (r, "ws://nohost"), EINVAL);
    zmq_close (r);
    done ();
}

TEST_MAIN ()
