/* Hostile handshakes against PLAIN and CURVE servers, from raw TCP clients:
 * downgrades (NULL, PLAIN, ZMTP 2.0 against CURVE), truncated, oversized and
 * lying HELLOs, a HELLO whose box does not open, commands out of order, and
 * a flood of handshakes that never complete. Each bad connection is closed
 * with libzmq's monitor event, and a real client is still served. */
#include "testutil.h"
#include "hostile_util.h"

#define SERVER_PUBLIC "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define SERVER_SECRET "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
#define CLIENT_PUBLIC "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define CLIENT_SECRET "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"

static void *ctx;
static char ep[256];

static void *server (const char *mechanism, int handshake_ivl)
{
    ctx = zmq_ctx_new ();
    void *s = hu_socket (ctx, ZMQ_PULL, handshake_ivl);
    int one = 1;
    if (strcmp (mechanism, "CURVE") == 0) {
        CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &one, sizeof one));
        CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, SERVER_SECRET, 40));
    } else
        CHECK_ZMQ (zmq_setsockopt (s, ZMQ_PLAIN_SERVER, &one, sizeof one));
    hu_bind_tcp (s, ep, sizeof ep);
    return s;
}

static void *monitor (void *s)
{
    CHECK_ZMQ (zmq_socket_monitor (s, "inproc://hostile-mon", ZMQ_EVENT_ALL));
    void *m = zmq_socket (ctx, ZMQ_PAIR);
    int v = 3000;
    CHECK_ZMQ (zmq_setsockopt (m, ZMQ_RCVTIMEO, &v, sizeof v));
    CHECK_ZMQ (zmq_connect (m, "inproc://hostile-mon"));
    return m;
}

/*  The first handshake failure (or success) event, with its value.  */
static int handshake_outcome (void *m, uint32_t *value)
{
    for (;;) {
        int ev = tu_monitor_event (m, value, NULL, 0);
        if (ev < 0
            || (ev
                & (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                   | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                   | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                   | ZMQ_EVENT_HANDSHAKE_SUCCEEDED)))
            return ev;
    }
}

/*  A raw client greets with `mechanism`, sends `cmd` (len bytes) as one
 *  command frame, and must be dropped with PROTOCOL/`code`.  */
static void expect_refused (const char *server_mechanism,
                            const char *client_mechanism,
                            const void *cmd,
                            size_t len,
                            uint32_t code)
{
    void *s = server (server_mechanism, HU_LONG_IVL_MS);
    void *m = monitor (s);
    int fd = hu_connect_raw (ep);
    unsigned char g[HU_GREETING_SIZE];
    hu_greeting (g, 3, 1, client_mechanism, 0);
    HU_SEND (fd, g, sizeof g);
    if (cmd) {
        static unsigned char frame[1024];
        size_t n = hu_put_frame (frame, sizeof frame, HU_FLAG_COMMAND, cmd, len);
        HU_SEND (fd, frame, n);
    }
    uint32_t v = 0;
    CHECK_EQ_INT (handshake_outcome (m, &v), ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK_EQ_INT (v, code);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
}

TEST (a_null_client_is_refused_by_a_curve_server)
{
    expect_refused ("CURVE", "NULL", NULL, 0,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
}

TEST (a_plain_client_is_refused_by_a_curve_server)
{
    expect_refused ("CURVE", "PLAIN", NULL, 0,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
}

TEST (a_zmtp_2_peer_is_refused_by_a_curve_server)
{
    void *s = server ("CURVE", HU_LONG_IVL_MS);
    int fd = hu_connect_raw (ep);
    /* ZMTP 2.0: signature, revision 1, socket type PUSH, empty identity. */
    const unsigned char v2[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 8, 0, 0};
    HU_SEND (fd, v2, sizeof v2);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    (void) s;
}

TEST (a_truncated_hello_is_malformed)
{
    unsigned char hello[100];
    memset (hello, 0, sizeof hello);
    memcpy (hello, "\5HELLO\1\0", 8);
    expect_refused ("CURVE", "CURVE", hello, sizeof hello,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
}

TEST (an_oversized_hello_is_malformed)
{
    unsigned char hello[600];
    memset (hello, 0, sizeof hello);
    memcpy (hello, "\5HELLO\1\0", 8);
    expect_refused ("CURVE", "CURVE", hello, sizeof hello,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
}

TEST (a_hello_whose_box_does_not_open_is_cryptographic)
{
    unsigned char hello[200];
    memset (hello, 0x5a, sizeof hello);
    memcpy (hello, "\5HELLO\1\0", 8);
    expect_refused ("CURVE", "CURVE", hello, sizeof hello,
                    ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
}

TEST (an_initiate_before_hello_is_unexpected)
{
    unsigned char initiate[300];
    memset (initiate, 0, sizeof initiate);
    memcpy (initiate, "\10INITIATE", 9);
    expect_refused ("CURVE", "CURVE", initiate, sizeof initiate,
                    ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
}

TEST (a_plain_hello_whose_lengths_lie_is_malformed)
{
    /* user length 200, 3 bytes follow */
    const unsigned char hello[] = "\5HELLO\310abc";
    expect_refused ("PLAIN", "PLAIN", hello, sizeof hello - 1,
                    ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO);
}

TEST (a_flood_of_stalled_handshakes_leaves_real_clients_served)
{
    enum
    {
        FLOOD = 200
    };
    void *s = server ("CURVE", 1000);
    static int fds[FLOOD];
    unsigned char g[HU_GREETING_SIZE];
    hu_greeting (g, 3, 1, "CURVE", 0);
    for (int i = 0; i < FLOOD; i++) {
        fds[i] = hu_connect_raw (ep);
        HU_SEND (fds[i], g, sizeof g); /* and then nothing */
    }
    /* A real CURVE client gets through meanwhile. */
    void *c = hu_socket (ctx, ZMQ_PUSH, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SERVERKEY, SERVER_PUBLIC, 40));
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_PUBLICKEY, CLIENT_PUBLIC, 40));
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SECRETKEY, CLIENT_SECRET, 40));
    CHECK_ZMQ (zmq_connect (c, ep));
    CHECK_EQ_INT (zmq_send (c, "real", 4, 0), 4);
    hu_expect_msg (s, "real", 0);
    /* HANDSHAKE_IVL (1 s) ends every stalled one. */
    for (int i = 0; i < FLOOD; i++) {
        HU_CHECK_CLOSED_WITHIN (fds[i], 5000, NULL);
        close (fds[i]);
    }
}

TEST_MAIN ()
