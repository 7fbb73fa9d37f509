/* CVE regressions, ferrozmq's own answers (cve.c holds the ones libzmq
 * 4.3.4 shares):
 *
 *   GHSA-fc3w-qxf5-7hp6 (ZMTP 1.0 decoder heap overflow): ferrozmq does not
 *     speak ZMTP 1.0 (RFC 13), so the bytes of a 1.0 peer are never
 *     decoded at all: the connection is closed at once, the monitor says
 *     HANDSHAKE_FAILED_PROTOCOL (ZMTP_UNSPECIFIED) and DISCONNECTED, and
 *     nothing is delivered. libzmq reads such bytes as 1.0 frames and
 *     closes only when HANDSHAKE_IVL runs out.
 *   CVE-2020-15166 (pre-authentication denial of service): a peer that has
 *     not completed the handshake cannot make the server take a frame over
 *     1 MiB: the header alone closes the connection (libzmq takes a frame
 *     of any size before authentication and buffers what arrives).
 *
 * Each test also checks that the socket serves a well-behaved peer after
 * the attack and that RSS (/proc/self/statm) stays bounded.
 */
#include "testutil.h"
#include "hostile_util.h"

static long rss_kb (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    CHECK_NOT_NULL (f);
    long size = 0, resident = 0;
    CHECK_EQ_INT (fscanf (f, "%ld %ld", &size, &resident), 2);
    fclose (f);
    return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static void *monitor_of (void *ctx_, void *s_, const char *name_)
{
    CHECK_ZMQ (zmq_socket_monitor (s_, name_, ZMQ_EVENT_ALL));
    void *m = zmq_socket (ctx_, ZMQ_PAIR);
    CHECK_NOT_NULL (m);
    const int tmo = HU_PROMPT_MS, zero = 0;
    CHECK_ZMQ (zmq_setsockopt (m, ZMQ_RCVTIMEO, &tmo, sizeof tmo));
    CHECK_ZMQ (zmq_setsockopt (m, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_connect (m, name_));
    return m;
}

/*  The next event other than ACCEPTED; its value to value_.  */
static int next_event (void *m_, uint32_t *value_)
{
    for (;;) {
        const int ev = tu_monitor_event (m_, value_, NULL, 0);
        if (ev != ZMQ_EVENT_ACCEPTED)
            return ev;
    }
}

/*  A ZMTP 1.0 peer, in three shapes: a short identity then a message; the
 *  GHSA-fc3w exploit (0xFF, a 64-bit length, a flags byte with bit 0 clear,
 *  then frames over 8192 bytes); 0xFF and a length of 2^64-1. Each is
 *  closed within HU_PROMPT_MS (HANDSHAKE_IVL is 30 s), with
 *  HANDSHAKE_FAILED_PROTOCOL / ZMTP_UNSPECIFIED then DISCONNECTED, and
 *  nothing reaches the socket. 30 rounds leave RSS within 8 MiB.  */
TEST (zmtp_1_0_peers_are_closed_at_once_and_never_decoded)
{
    void *ctx = zmq_ctx_new ();
    void *pull = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    char ep[256];
    hu_bind_tcp (pull, ep, sizeof ep);
    void *mon = monitor_of (ctx, pull, "inproc://ferro-cve-v1");

    static unsigned char exploit[3 * (10 + 9000)];
    size_t n = 0;
    for (int f = 0; f < 3; f++) {
        exploit[n] = 0xff;
        hu_put_u64 (exploit + n + 1, 9001);
        exploit[n + 9] = 0;
        memset (exploit + n + 10, 'a' + f, 9000);
        n += 10 + 9000;
    }
    static const unsigned char short_v1[] = {0x01, 0x00, 0x06, 0x00,
                                             'h',  'e',  'l',  'l', 'o'};
    unsigned char huge[10];
    huge[0] = 0xff;
    hu_put_u64 (huge + 1, ~(uint64_t) 0);
    huge[9] = 0;
    const struct
    {
        const unsigned char *bytes;
        size_t len;
    } shapes[] = {{short_v1, sizeof short_v1}, {exploit, n}, {huge, sizeof huge}};

    const long before = rss_kb ();
    for (int round = 0; round < 10; round++) {
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            const int fd = hu_connect_raw (ep);
            hu_send_raw (fd, shapes[i].bytes, shapes[i].len);
            HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
            close (fd);
            uint32_t v = 0;
            CHECK_EQ_INT (next_event (mon, &v), ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
            CHECK_EQ_INT (v, ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED);
            CHECK_EQ_INT (next_event (mon, &v), ZMQ_EVENT_DISCONNECTED);
        }
    }
    hu_expect_no_msg (pull, 0);
    hu_probe (ctx, pull, ep, "after-v1");
    const long grew = rss_kb () - before;
    if (grew >= 8 * 1024 && !TU_SANITIZED)
        tu_fail (__FILE__, __LINE__, "RSS grew by %ld KiB", grew);
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

#define SERVER_PUBLIC "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define SERVER_SECRET "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

/*  Before authentication: 20 raw peers greet a CURVE server (or a NULL
 *  one) and announce a command frame of 1 GiB, or one of 1 MiB + 1 byte,
 *  then stream its body for up to 300 ms without blocking. The header
 *  alone closes each connection (within HU_PROMPT_MS; no
 *  HANDSHAKE_SUCCEEDED, a DISCONNECTED), the server takes no more than
 *  socket buffers hold (under 16 MiB per peer), RSS grows less than
 *  16 MiB in all, and a real client is served.  */
TEST (pre_auth_frames_over_1_mib_close_the_connection_from_the_header)
{
    const char *mechanisms[] = {"CURVE", "NULL"};
    static unsigned char junk[1 << 16];
    memset (junk, 0x5a, sizeof junk);
    for (int k = 0; k < 2; k++) {
        const int curve = k == 0;
        void *ctx = zmq_ctx_new ();
        void *s = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
        if (curve) {
            const int one = 1;
            CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &one, sizeof one));
            CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, SERVER_SECRET, 40));
        }
        char ep[256];
        hu_bind_tcp (s, ep, sizeof ep);
        void *mon = monitor_of (ctx, s, curve ? "inproc://ferro-cve-pre-c" : "inproc://ferro-cve-pre-n");
        const long before = rss_kb ();
        for (int i = 0; i < 20; i++) {
            const int fd = hu_connect_raw (ep);
            unsigned char g[HU_GREETING_SIZE];
            hu_greeting (g, 3, 0, mechanisms[k], 0);
            HU_SEND (fd, g, sizeof g);
            unsigned char h[9];
            const uint64_t size = i % 2 ? ((uint64_t) 1 << 20) + 1 : (uint64_t) 1 << 30;
            hu_send_raw (fd, h, hu_put_header (h, HU_FLAG_COMMAND | HU_FLAG_LONG, size));
            CHECK (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK) == 0);
            size_t sent = 0;
            const long long until = hu_now_ms () + 300;
            while (hu_now_ms () < until && sent < size) {
                const ssize_t w = send (fd, junk, sizeof junk, MSG_NOSIGNAL);
                if (w > 0) {
                    sent += (size_t) w;
                    continue;
                }
                if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    break; /*  closed by the server  */
                struct pollfd p = {fd, POLLOUT, 0};
                poll (&p, 1, 20);
            }
            CHECK (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK) == 0);
            HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
            close (fd);
            if (sent >= (size_t) 16 << 20)
                tu_fail (__FILE__, __LINE__, "[%s] the server took %zu KiB of a frame it must refuse",
                         mechanisms[k], sent >> 10);
            uint32_t v = 0;
            const int ev = next_event (mon, &v);
            CHECK (ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
            if (ev != ZMQ_EVENT_DISCONNECTED)
                CHECK_EQ_INT (next_event (mon, &v), ZMQ_EVENT_DISCONNECTED);
        }
        const long grew = rss_kb () - before;
        if (grew >= 16 * 1024 && !TU_SANITIZED)
            tu_fail (__FILE__, __LINE__, "[%s] RSS grew by %ld KiB", mechanisms[k], grew);
        if (curve) {
            char pub[41], sec[41];
            CHECK_ZMQ (zmq_curve_keypair (pub, sec));
            void *c = hu_socket (ctx, ZMQ_PUSH, HU_LONG_IVL_MS);
            CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SERVERKEY, SERVER_PUBLIC, 40));
            CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_PUBLICKEY, pub, 40));
            CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SECRETKEY, sec, 40));
            CHECK_ZMQ (zmq_connect (c, ep));
            CHECK_EQ_INT (zmq_send (c, "real", 4, 0), 4);
            hu_expect_msg (s, "real", 0);
            CHECK_ZMQ (zmq_close (c));
        } else
            hu_probe (ctx, s, ep, "after-pre-auth");
        CHECK_ZMQ (zmq_close (mon));
        CHECK_ZMQ (zmq_close (s));
        CHECK_ZMQ (zmq_ctx_term (ctx));
    }
}

/*  The limit is on frames before authentication only: after the handshake
 *  a frame of 2 MiB is delivered whole (ZMQ_MAXMSGSIZE is -1).  */
TEST (frames_over_1_mib_are_delivered_after_the_handshake)
{
    void *ctx = zmq_ctx_new ();
    void *pull = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    char ep[256];
    hu_bind_tcp (pull, ep, sizeof ep);
    const int fd = hu_connect_raw (ep);
    hu_handshake_null (fd, "PUSH");
    static unsigned char big[2 << 20], got[(2 << 20) + 1];
    memset (big, 'B', sizeof big);
    unsigned char h[9];
    HU_SEND (fd, h, hu_put_header (h, HU_FLAG_LONG, sizeof big));
    HU_SEND (fd, big, sizeof big);
    CHECK_EQ_INT (zmq_recv (pull, got, sizeof got, 0), (int) sizeof big);
    CHECK_EQ_MEM (got, big, sizeof big);
    close (fd);
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
