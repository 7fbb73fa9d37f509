/* STREAM sockets: raw TCP with routing-id frames. A STREAM server with a
 * raw client (connect and disconnect notifications, data both ways, more
 * than one read's worth of data), an empty frame closing a connection,
 * ZMQ_STREAM_NOTIFY 0, a STREAM client of a raw listener with
 * ZMQ_CONNECT_ROUTING_ID, STREAM to STREAM, and unknown routing ids. */
#include "testutil.h"
#include "hostile_util.h"

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t));
    return s;
}

/*  Receives [routing id][data]; returns the data size and copies the id.  */
static int recv_stream (void *s, unsigned char *id, size_t *idlen, char *data,
                        size_t cap)
{
    int n = CHECK_ZMQ (zmq_recv (s, id, 255, 0));
    CHECK (n > 0);
    *idlen = (size_t) n;
    int more = 0;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 1);
    n = CHECK_ZMQ (zmq_recv (s, data, cap, 0));
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, 0);
    return n;
}

/*  Waits for s to become readable while keeping other's commands processed
 *  (libzmq finishes closing a connection only as its socket is used).  */
static void poll_until_readable (void *s, void *other)
{
    for (int i = 0; i < 500; i++) {
        zmq_pollitem_t items[2] = {{s, 0, ZMQ_POLLIN, 0}, {other, 0, ZMQ_POLLIN, 0}};
        CHECK_ZMQ (zmq_poll (items, 2, 10));
        if (items[0].revents & ZMQ_POLLIN)
            return;
    }
    tu_fail (__FILE__, __LINE__, "nothing to read within 5 s");
}

/*  Waits for the raw connection fd to be closed by s, using s meanwhile.  */
static void wait_closed_using (int fd, void *s)
{
    for (int i = 0; i < 200; i++) {
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        CHECK_ZMQ (zmq_poll (&item, 1, 0));
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, 10) == 1) {
            char c;
            if (recv (fd, &c, 1, 0) <= 0)
                return;
        }
    }
    tu_fail (__FILE__, __LINE__, "the connection was not closed within 2 s");
}

static void send_stream (void *s, const unsigned char *id, size_t idlen,
                         const void *data, size_t n)
{
    CHECK_EQ_INT (zmq_send (s, id, idlen, ZMQ_SNDMORE), (int) idlen);
    CHECK_EQ_INT (zmq_send (s, data, n, 0), (int) n);
}

TEST (stream_server_talks_raw_tcp_with_notifications)
{
    void *server = make (ZMQ_STREAM);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    unsigned char id[256];
    size_t idlen;
    char buf[256];
    /* The connection is announced by an empty data frame. */
    CHECK_EQ_INT (recv_stream (server, id, &idlen, buf, sizeof buf), 0);
    CHECK_EQ_INT ((int) idlen, 5);
    CHECK_EQ_INT (id[0], 0);
    HU_SEND (fd, "GET / HTTP/1.0\r\n\r\n", 18);
    /* Bytes arrive as the reads bring them: gather up to the request. */
    char got[64] = {0};
    size_t have = 0;
    while (have < 18) {
        unsigned char id2[256];
        size_t id2len;
        int n = recv_stream (server, id2, &id2len, got + have, sizeof got - have);
        CHECK (n > 0);
        CHECK_EQ_INT ((int) id2len, (int) idlen);
        CHECK_EQ_MEM (id2, id, idlen);
        have += (size_t) n;
    }
    CHECK_EQ_MEM (got, "GET / HTTP/1.0\r\n\r\n", 18);
    send_stream (server, id, idlen, "HTTP/1.0 200 OK\r\n", 17);
    char reply[17];
    CHECK_EQ_INT (hu_read_exact (fd, reply, sizeof reply, HU_PROMPT_MS), 0);
    CHECK_EQ_MEM (reply, "HTTP/1.0 200 OK\r\n", 17);
    /* An empty data frame closes the connection. */
    send_stream (server, id, idlen, "", 0);
    wait_closed_using (fd, server);
    close (fd);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (peer_disconnect_is_announced_by_an_empty_frame)
{
    void *server = make (ZMQ_STREAM);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    unsigned char id[256], id2[256];
    size_t idlen, id2len;
    char buf[64];
    CHECK_EQ_INT (recv_stream (server, id, &idlen, buf, sizeof buf), 0);
    HU_SEND (fd, "bye", 3);
    CHECK_EQ_INT (recv_stream (server, id2, &id2len, buf, sizeof buf), 3);
    close (fd);
    CHECK_EQ_INT (recv_stream (server, id2, &id2len, buf, sizeof buf), 0);
    CHECK_EQ_MEM (id2, id, idlen);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (stream_notify_0_delivers_data_only)
{
    void *server = make (ZMQ_STREAM);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_STREAM_NOTIFY, &zero, sizeof zero));
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    HU_SEND (fd, "x", 1);
    unsigned char id[256];
    size_t idlen;
    char buf[64];
    CHECK_EQ_INT (recv_stream (server, id, &idlen, buf, sizeof buf), 1);
    close (fd);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (large_writes_and_reads_go_through_whole)
{
    void *server = make (ZMQ_STREAM);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    int fd = hu_connect_raw (ep);
    unsigned char id[256];
    size_t idlen;
    static char big[200000], back[200000];
    CHECK_EQ_INT (recv_stream (server, id, &idlen, big, sizeof big), 0);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char) (i * 7 + 3);
    send_stream (server, id, idlen, big, sizeof big);
    CHECK_EQ_INT (hu_read_exact (fd, back, sizeof back, HU_PROMPT_MS), 0);
    CHECK (memcmp (big, back, sizeof big) == 0);
    /* And the other way: the reads come in pieces, in order. */
    HU_SEND (fd, big, sizeof big);
    size_t have = 0;
    while (have < sizeof big) {
        unsigned char id2[256];
        size_t id2len;
        int n = recv_stream (server, id2, &id2len, back + have, sizeof back - have);
        CHECK (n > 0);
        have += (size_t) n;
    }
    CHECK (memcmp (big, back, sizeof big) == 0);
    close (fd);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (stream_client_of_a_raw_listener_uses_connect_routing_id)
{
    char ep[64];
    int lfd = hu_listen_raw (ep, sizeof ep);

    void *client = make (ZMQ_STREAM);
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "conn1", 5));
    CHECK_ZMQ (zmq_connect (client, ep));
    struct pollfd p = {lfd, POLLIN, 0};
    CHECK (poll (&p, 1, HU_PROMPT_MS) == 1);
    int fd = accept (lfd, NULL, NULL);
    CHECK (fd >= 0);
    unsigned char id[256];
    size_t idlen;
    char buf[64];
    CHECK_EQ_INT (recv_stream (client, id, &idlen, buf, sizeof buf), 0);
    CHECK_EQ_INT ((int) idlen, 5);
    CHECK_EQ_MEM (id, "conn1", 5);
    send_stream (client, id, idlen, "hello", 5);
    CHECK_EQ_INT (hu_read_exact (fd, buf, 5, HU_PROMPT_MS), 0);
    CHECK_EQ_MEM (buf, "hello", 5);
    HU_SEND (fd, "world", 5);
    CHECK_EQ_INT (recv_stream (client, id, &idlen, buf, sizeof buf), 5);
    CHECK_EQ_MEM (buf, "world", 5);
    close (fd);
    /* The listener went away: announced, as for an accepted peer. */
    CHECK_EQ_INT (recv_stream (client, id, &idlen, buf, sizeof buf), 0);
    CHECK_EQ_MEM (id, "conn1", 5);
    close (lfd);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero));
    zmq_close (client);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (stream_to_stream_exchanges_bytes)
{
    void *server = make (ZMQ_STREAM), *client = make (ZMQ_STREAM);
    char ep[64];
    hu_bind_tcp (server, ep, sizeof ep);
    CHECK_ZMQ (zmq_connect (client, ep));
    unsigned char sid[256], cid[256];
    size_t sidlen, cidlen;
    char buf[64];
    CHECK_EQ_INT (recv_stream (client, cid, &cidlen, buf, sizeof buf), 0);
    CHECK_EQ_INT (recv_stream (server, sid, &sidlen, buf, sizeof buf), 0);
    send_stream (client, cid, cidlen, "ping", 4);
    CHECK_EQ_INT (recv_stream (server, sid, &sidlen, buf, sizeof buf), 4);
    CHECK_EQ_MEM (buf, "ping", 4);
    send_stream (server, sid, sidlen, "pong", 4);
    CHECK_EQ_INT (recv_stream (client, cid, &cidlen, buf, sizeof buf), 4);
    CHECK_EQ_MEM (buf, "pong", 4);
    /* An empty data frame closes the connection: the other side is told
     * by an empty frame (libzmq's test_stream_disconnect). */
    send_stream (client, cid, cidlen, "", 0);
    poll_until_readable (server, client);
    CHECK_EQ_INT (recv_stream (server, sid, &sidlen, buf, sizeof buf), 0);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (client, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (server, ZMQ_LINGER, &zero, sizeof zero));
    zmq_close (client);
    zmq_close (server);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (sending_to_an_unknown_routing_id_fails_ehostunreach)
{
    void *s = make (ZMQ_STREAM);
    CHECK_ZMQ_FAILS (zmq_send (s, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    zmq_close (s);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
