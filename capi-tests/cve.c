/* CVE regressions: one test per class of libzmq security advisory, in the
 * shape of its exploit, from a raw TCP peer (plain POSIX sockets). Each test
 * checks that the hostile connection is closed (or the hostile input
 * refused or safely absorbed) with libzmq's monitor event where there is
 * one, that a well-behaved peer of the same socket is still served
 * afterwards, and that the process's memory (RSS, /proc/self/statm) grows
 * by a bounded amount that a leak or an unbounded buffer would exceed.
 *
 *   CVE-2019-6250   v2 decoder: a frame size near 2^64 wrapped a pointer
 *                   comparison (4.2.0-4.3.0).
 *   CVE-2019-13132  CURVE server: INITIATE metadata copied into a fixed
 *                   stack buffer (4.0.0-4.3.1); here also the client side,
 *                   a malicious server's READY metadata.
 *   CVE-2020-15166  (GHSA-25wp-cf8g-938m) pre-authentication denial of
 *                   service on CURVE servers; here with the shapes: many
 *                   handshakes that never finish, a peer that never reads.
 *   GHSA-4p5v-h92w-6wxw  PUB kept the metadata of every message a
 *                   subscriber sent it (leak).
 *   GHSA-wfr2-29gj-5w87  a client leaked an unfinished multipart message
 *                   when its server went away.
 *   GHSA-fc3w-qxf5-7hp6  ZMTP 1.0 decoder: two messages over 8192 bytes
 *                   overflowed its static buffer.
 *   CVE-2021-20236  (GHSA-qq65-x72m-9wr8, 4.3.3) the PUB/XPUB subscription
 *                   trie was removed recursively: a long topic overflowed
 *                   the stack.
 *
 * Every test must pass against Debian's libzmq 4.3.4 (fixed for all of
 * them) as well as ferrozmq; ferro_cve.c pins what only ferrozmq does (it
 * does not speak ZMTP 1.0). The raw CURVE peers (client and server, RFC 26)
 * need libsodium's crypto_box, loaded with dlopen (libzmq itself links it).
 */
#include "testutil.h"
#include "hostile_util.h"

#include <dlfcn.h>
#include <sys/resource.h>

/* ------------------------------------------------------------ memory ---- */

/*  Resident set size of this process, in KiB.  */
static long rss_kb (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    CHECK_NOT_NULL (f);
    long size = 0, resident = 0;
    CHECK_EQ_INT (fscanf (f, "%ld %ld", &size, &resident), 2);
    fclose (f);
    return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/*  RSS grew by less than limit_kb since before_kb.  */
#define CHECK_RSS_GROWTH(before_kb, limit_kb, what)                            \
    do {                                                                       \
        const long grew_ = rss_kb () - (before_kb);                            \
        if (grew_ >= (limit_kb) && !TU_SANITIZED)                              \
            tu_fail (__FILE__, __LINE__,                                       \
                     "%s: RSS grew by %ld KiB, want < %ld KiB", (what),        \
                     grew_, (long) (limit_kb));                                \
        if (getenv ("CVE_VERBOSE"))                                            \
            printf ("    [%s] RSS grew by %ld KiB (limit %ld)\n", (what),     \
                    grew_, (long) (limit_kb));                                 \
    } while (0)

/*  With CVE_VERBOSE set: a note with the time since the test began.  */
static long long t0;
static void note (const char *what_)
{
    if (!t0)
        t0 = hu_now_ms ();
    if (getenv ("CVE_VERBOSE"))
        printf ("    [%5lld ms] %s\n", hu_now_ms () - t0, what_);
}

/* ----------------------------------------------------------- monitor ---- */

static void *monitor_of (void *ctx_, void *s_, const char *name_)
{
    CHECK_ZMQ (zmq_socket_monitor (s_, name_, ZMQ_EVENT_ALL));
    void *m = zmq_socket (ctx_, ZMQ_PAIR);
    CHECK_NOT_NULL (m);
    const int tmo = 100, zero = 0;
    CHECK_ZMQ (zmq_setsockopt (m, ZMQ_RCVTIMEO, &tmo, sizeof tmo));
    CHECK_ZMQ (zmq_setsockopt (m, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_connect (m, name_));
    return m;
}

/*  Waits up to ms_ for event want_ (other events are skipped, but none of
 *  forbid_ may come first); its value goes to value_. Returns 1 when
 *  seen.  */
static int
wait_event_not (void *m_, int want_, int forbid_, uint32_t *value_, int ms_)
{
    const long long deadline = hu_now_ms () + ms_;
    while (hu_now_ms () < deadline) {
        uint32_t v = 0;
        const int ev = tu_monitor_event (m_, &v, NULL, 0);
        if (ev >= 0 && getenv ("CVE_VERBOSE"))
            printf ("    event %d value %u\n", ev, v);
        if (ev >= 0 && (ev & forbid_))
            tu_fail (__FILE__, __LINE__, "monitor event %d (value %u) before %d",
                     ev, v, want_);
        if (ev == want_) {
            if (value_)
                *value_ = v;
            return 1;
        }
    }
    return 0;
}

static int wait_event (void *m_, int want_, uint32_t *value_, int ms_)
{
    return wait_event_not (m_, want_, 0, value_, ms_);
}

#define CHECK_EVENT(m, ev, value, ms)                                          \
    do {                                                                       \
        if (!wait_event ((m), (ev), (value), (ms)))                            \
            tu_fail (__FILE__, __LINE__,                                       \
                     "no monitor event %s within %d ms", #ev, (int) (ms));     \
    } while (0)

/*  Counts events ev_ until ms_ pass with none at all.  */
static int count_events (void *m_, int ev_, int quiet_ms_)
{
    int n = 0;
    long long last = hu_now_ms ();
    while (hu_now_ms () - last < quiet_ms_) {
        const int e = tu_monitor_event (m_, NULL, NULL, 0);
        if (e < 0)
            continue;
        last = hu_now_ms ();
        if (e == ev_)
            n++;
    }
    return n;
}

/* --------------------------------------------------------- raw frames ---- */

/*  Reads one frame from a raw peer: flags to *flags_, size returned; the
 *  body (up to cap_ bytes kept, the rest discarded) to body_.  */
static uint64_t
read_frame (int fd_, unsigned char *flags_, unsigned char *body_, size_t cap_)
{
    unsigned char h[9];
    CHECK_EQ_INT (hu_read_exact (fd_, h, 2, HU_PROMPT_MS), 0);
    uint64_t size = h[1];
    if (h[0] & HU_FLAG_LONG) {
        CHECK_EQ_INT (hu_read_exact (fd_, h + 2, 7, HU_PROMPT_MS), 0);
        size = 0;
        for (int i = 1; i < 9; i++)
            size = (size << 8) | h[i];
    }
    *flags_ = h[0];
    uint64_t left = size;
    while (left > 0) {
        unsigned char sink[4096];
        const size_t at = (size_t) (size - left);
        unsigned char *dst = at < cap_ ? body_ + at : sink;
        size_t n = at < cap_ ? cap_ - at : sizeof sink;
        if (n > left)
            n = (size_t) left;
        if (n > sizeof sink && dst == sink)
            n = sizeof sink;
        CHECK_EQ_INT (hu_read_exact (fd_, dst, n, HU_PROMPT_MS), 0);
        left -= n;
    }
    return size;
}

/*  Sends a message frame with a body of n_ bytes.  */
static void send_body (int fd_, unsigned char flags_, const void *body_, size_t n_)
{
    unsigned char h[9];
    const size_t hl = hu_put_header (h, flags_, n_);
    HU_SEND (fd_, h, hl);
    HU_SEND (fd_, body_, n_);
}

/* ============================================== CVE-2019-6250 ============ */

/*  After a NULL handshake (ZMTP 3.0) or a ZMTP 2.0 greeting, a frame whose
 *  64-bit size is near 2^63 or 2^64 (where libzmq 4.2.0-4.3.0 computed
 *  "read_pos + size" and wrapped), followed by 4 KiB of body: the
 *  connection is closed at once (the socket's monitor says DISCONNECTED),
 *  nothing is delivered, a well-behaved peer is served, and 60 such
 *  connections leave the RSS within 16 MiB.  */
TEST (cve_2019_6250_frame_sizes_near_2_pow_64_close_the_connection)
{
    void *ctx = zmq_ctx_new ();
    void *pull = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    char ep[256];
    hu_bind_tcp (pull, ep, sizeof ep);
    void *mon = monitor_of (ctx, pull, "inproc://cve-6250");
    static const uint64_t sizes[] = {
      ~(uint64_t) 0,           ~(uint64_t) 0 - 8,      ~(uint64_t) 0 - 8192,
      (uint64_t) 1 << 63,      ((uint64_t) 1 << 63) - 1, ~(uint64_t) 0 - 65535};
    static unsigned char body[4096];
    memset (body, 0x41, sizeof body);
    const long before = rss_kb ();
    for (int round = 0; round < 10; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            const int fd = hu_connect_raw (ep);
            if (round % 2 == 0)
                hu_handshake_null (fd, "PUSH");
            else {
                /*  ZMTP 2.0: signature, revision 1, PUSH, empty identity.  */
                static const unsigned char v2[] = {0xff, 0, 0, 0, 0, 0, 0, 0,
                                                   1,    0x7f, 1, 8, 0, 0};
                HU_SEND (fd, v2, sizeof v2);
                unsigned char g[12];
                CHECK_EQ_INT (hu_read_exact (fd, g, 10, HU_PROMPT_MS), 0);
                CHECK_EQ_INT (g[0], 0xff);
            }
            unsigned char h[9];
            const size_t hl = hu_put_header (h, HU_FLAG_LONG, sizes[i]);
            hu_send_raw (fd, h, hl);
            hu_send_raw (fd, body, sizeof body);
            HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
            close (fd);
            CHECK_EVENT (mon, ZMQ_EVENT_DISCONNECTED, NULL, HU_PROMPT_MS);
        }
    }
    hu_expect_no_msg (pull, 0);
    hu_probe (ctx, pull, ep, "after-6250");
    CHECK_RSS_GROWTH (before, 16 * 1024, "60 connections with sizes near 2^64");
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ============================================= CVE-2019-13132 ============ */

/*  libsodium's crypto_box_easy / crypto_box_open_easy (a 16-byte MAC, then
 *  the ciphertext: the wire form CurveZMQ boxes take).  */
typedef int (*box_fn) (unsigned char *out_,
                       const unsigned char *in_,
                       unsigned long long len_,
                       const unsigned char *nonce_,
                       const unsigned char *pk_,
                       const unsigned char *sk_);
static box_fn box_seal, box_open;

static void load_sodium (void)
{
    void *h = dlopen ("libsodium.so.23", RTLD_NOW);
    if (!h)
        h = dlopen ("libsodium.so", RTLD_NOW);
    if (!h)
        tu_fail (__FILE__, __LINE__, "dlopen libsodium: %s", dlerror ());
    int (*init) (void);
    *(void **) (&init) = dlsym (h, "sodium_init");
    *(void **) (&box_seal) = dlsym (h, "crypto_box_easy");
    *(void **) (&box_open) = dlsym (h, "crypto_box_open_easy");
    CHECK (init && box_seal && box_open);
    CHECK (init () >= 0);
}

typedef struct
{
    unsigned char pub[32], sec[32];
    char pub_z85[41], sec_z85[41];
} keypair_t;

static void keypair (keypair_t *k_)
{
    CHECK_ZMQ (zmq_curve_keypair (k_->pub_z85, k_->sec_z85));
    CHECK_NOT_NULL (zmq_z85_decode (k_->pub, k_->pub_z85));
    CHECK_NOT_NULL (zmq_z85_decode (k_->sec, k_->sec_z85));
}

/*  A raw CurveZMQ client (RFC 26) mid-handshake.  */
typedef struct
{
    int fd;
    const keypair_t *server; /*  S (public only used)  */
    keypair_t client;        /*  C, c  */
    keypair_t transient;     /*  C', c'  */
    unsigned char server_transient[32]; /*  S'  */
    unsigned char cookie[96];
} curve_client_t;

static void nonce24 (unsigned char *n_, const char *prefix_, const unsigned char *tail_, size_t tail_len_)
{
    const size_t p = strlen (prefix_);
    CHECK_EQ_INT (p + tail_len_, 24);
    memcpy (n_, prefix_, p);
    memcpy (n_ + p, tail_, tail_len_);
}

/*  Connects, greets as a CURVE client, sends a valid HELLO and reads the
 *  server's WELCOME (S' and the cookie).  */
static void curve_hello (curve_client_t *c_, const keypair_t *server_, const char *ep_)
{
    memset (c_, 0, sizeof *c_);
    c_->server = server_;
    keypair (&c_->client);
    keypair (&c_->transient);
    c_->fd = hu_connect_raw (ep_);
    unsigned char g[HU_GREETING_SIZE];
    hu_greeting (g, 3, 0, "CURVE", 0);
    HU_SEND (c_->fd, g, sizeof g);

    unsigned char hello[200];
    memset (hello, 0, sizeof hello);
    memcpy (hello, "\5HELLO\1\0", 8);
    memcpy (hello + 80, c_->transient.pub, 32);
    const unsigned char short_nonce[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    memcpy (hello + 112, short_nonce, 8);
    unsigned char n[24], zeros[64];
    memset (zeros, 0, sizeof zeros);
    nonce24 (n, "CurveZMQHELLO---", short_nonce, 8);
    CHECK_EQ_INT (box_seal (hello + 120, zeros, 64, n, server_->pub, c_->transient.sec), 0);
    send_body (c_->fd, HU_FLAG_COMMAND, hello, sizeof hello);

    CHECK_EQ_INT (hu_read_exact (c_->fd, g, sizeof g, HU_PROMPT_MS), 0);
    CHECK_EQ_MEM (g + 12, "CURVE", 5);
    unsigned char welcome[168];
    CHECK_EQ_INT (hu_read_command (c_->fd, "WELCOME", welcome, sizeof welcome), 168);
    unsigned char plain[128];
    nonce24 (n, "WELCOME-", welcome + 8, 16);
    CHECK_EQ_INT (box_open (plain, welcome + 24, 144, n, server_->pub, c_->transient.sec), 0);
    memcpy (c_->server_transient, plain, 32);
    memcpy (c_->cookie, plain + 32, 96);
}

/*  Sends INITIATE with a correct vouch and the given metadata.  */
static void curve_initiate (curve_client_t *c_, const unsigned char *meta_, size_t meta_len_)
{
    static unsigned char plain[128 + 70000], cmd[9 + 96 + 8 + 16 + 128 + 70000];
    CHECK (meta_len_ <= 70000);
    unsigned char vouch_nonce[16];
    hu_fill_random (vouch_nonce, sizeof vouch_nonce, (uint32_t) hu_now_ms ());
    unsigned char vplain[64], n[24];
    memcpy (vplain, c_->transient.pub, 32);
    memcpy (vplain + 32, c_->server->pub, 32);
    nonce24 (n, "VOUCH---", vouch_nonce, 16);
    memcpy (plain, c_->client.pub, 32);
    memcpy (plain + 32, vouch_nonce, 16);
    CHECK_EQ_INT (box_seal (plain + 48, vplain, 64, n, c_->server_transient, c_->client.sec), 0);
    memcpy (plain + 128, meta_, meta_len_);

    memcpy (cmd, "\10INITIATE", 9);
    memcpy (cmd + 9, c_->cookie, 96);
    const unsigned char short_nonce[8] = {0, 0, 0, 0, 0, 0, 0, 2};
    memcpy (cmd + 105, short_nonce, 8);
    nonce24 (n, "CurveZMQINITIATE", short_nonce, 8);
    CHECK_EQ_INT (box_seal (cmd + 113, plain, 128 + meta_len_, n, c_->server_transient,
                            c_->transient.sec),
                  0);
    send_body (c_->fd, HU_FLAG_COMMAND, cmd, 113 + 16 + 128 + meta_len_);
}

static void *curve_server (void *ctx_, const keypair_t *k_, int handshake_ivl_, char *ep_)
{
    void *s = hu_socket (ctx_, ZMQ_PULL, handshake_ivl_);
    const int one = 1;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, k_->sec_z85, 40));
    hu_bind_tcp (s, ep_, 256);
    return s;
}

/*  A real CURVE PUSH client sends payload_; the server receives it.  */
static void curve_probe (void *ctx_, void *server_, const keypair_t *k_, const char *ep_, const char *payload_)
{
    keypair_t ck;
    keypair (&ck);
    void *c = hu_socket (ctx_, ZMQ_PUSH, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SERVERKEY, k_->pub_z85, 40));
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_PUBLICKEY, ck.pub_z85, 40));
    CHECK_ZMQ (zmq_setsockopt (c, ZMQ_CURVE_SECRETKEY, ck.sec_z85, 40));
    CHECK_ZMQ (zmq_connect (c, ep_));
    const int len = (int) strlen (payload_);
    CHECK_EQ_INT (zmq_send (c, payload_, (size_t) len, 0), len);
    hu_expect_msg (server_, payload_, 0);
    CHECK_ZMQ (zmq_close (c));
}

/*  The CVE-2019-13132 exploit: an INITIATE whose metadata is far larger
 *  than libzmq's old fixed buffer. 60 KB of well-formed metadata completes
 *  the handshake (READY comes back); metadata whose property lengths lie
 *  (a value length of 0xFFFFFFF0 with 4 bytes left; a name length past the
 *  end) fails it: the connection is closed and the monitor says
 *  DISCONNECTED with no HANDSHAKE_SUCCEEDED before it (libzmq 4.3.4's
 *  parse_metadata fails with EPROTO and emits no handshake event). Then a real CURVE client is served, and RSS grew
 *  less than 16 MiB over 20 rounds.  */
TEST (cve_2019_13132_curve_initiate_with_huge_or_lying_metadata)
{
    load_sodium ();
    void *ctx = zmq_ctx_new ();
    keypair_t sk;
    keypair (&sk);
    char ep[256];
    void *server = curve_server (ctx, &sk, HU_LONG_IVL_MS, ep);
    void *mon = monitor_of (ctx, server, "inproc://cve-13132");
    static unsigned char meta[70000];
    const long before = rss_kb ();
    for (int round = 0; round < 20; round++) {
        /*  60 KB of well-formed metadata.  */
        size_t n = hu_put_property (meta, "Socket-Type", "PUSH", 4);
        static unsigned char big[60000];
        memset (big, 'b', sizeof big);
        n += hu_put_property (meta + n, "X-Big", big, sizeof big);
        curve_client_t c;
        curve_hello (&c, &sk, ep);
        curve_initiate (&c, meta, n);
        unsigned char ready[256];
        hu_read_command (c.fd, "READY", ready, sizeof ready);
        CHECK_EVENT (mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, HU_PROMPT_MS);
        close (c.fd);

        /*  A value length that lies.  */
        n = hu_put_property (meta, "Socket-Type", "PUSH", 4);
        meta[n] = 5;
        memcpy (meta + n + 1, "X-Lie", 5);
        hu_put_u32 (meta + n + 6, 0xfffffff0u);
        memcpy (meta + n + 10, "abcd", 4);
        n += 14;
        curve_hello (&c, &sk, ep);
        curve_initiate (&c, meta, n);
        HU_CHECK_CLOSED_WITHIN (c.fd, HU_PROMPT_MS, NULL);
        close (c.fd);
        CHECK (wait_event_not (mon, ZMQ_EVENT_DISCONNECTED,
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, HU_PROMPT_MS));

        /*  A name length past the end.  */
        meta[0] = 200;
        curve_hello (&c, &sk, ep);
        curve_initiate (&c, meta, 20);
        HU_CHECK_CLOSED_WITHIN (c.fd, HU_PROMPT_MS, NULL);
        close (c.fd);
        CHECK (wait_event_not (mon, ZMQ_EVENT_DISCONNECTED,
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, HU_PROMPT_MS));
    }
    curve_probe (ctx, server, &sk, ep, "after-13132");
    CHECK_RSS_GROWTH (before, 16 * 1024, "60 INITIATEs with huge or lying metadata");
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (server));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  A raw CurveZMQ server for one connection: greets, reads HELLO, sends a
 *  WELCOME with a fresh S' (and a cookie the client does not check), reads
 *  INITIATE and answers READY with the given metadata.  */
static void curve_serve (int fd_, const keypair_t *server_, const unsigned char *meta_, size_t meta_len_)
{
    unsigned char g[HU_GREETING_SIZE];
    hu_greeting (g, 3, 0, "CURVE", 1);
    HU_SEND (fd_, g, sizeof g);
    CHECK_EQ_INT (hu_read_exact (fd_, g, sizeof g, HU_PROMPT_MS), 0);
    CHECK_EQ_MEM (g + 12, "CURVE", 5);
    unsigned char hello[200];
    CHECK_EQ_INT (hu_read_command (fd_, "HELLO", hello, sizeof hello), 200);
    const unsigned char *client_transient = hello + 80;
    keypair_t st;
    keypair (&st);
    unsigned char welcome[168], plain[128], n[24];
    memcpy (welcome, "\7WELCOME", 8);
    hu_fill_random (welcome + 8, 16, (uint32_t) hu_now_ms ());
    memcpy (plain, st.pub, 32);
    hu_fill_random (plain + 32, 96, 7);
    nonce24 (n, "WELCOME-", welcome + 8, 16);
    CHECK_EQ_INT (box_seal (welcome + 24, plain, 128, n, client_transient, server_->sec), 0);
    send_body (fd_, HU_FLAG_COMMAND, welcome, sizeof welcome);
    static unsigned char initiate[4096];
    unsigned char fl;
    CHECK (read_frame (fd_, &fl, initiate, sizeof initiate) >= 257);
    CHECK_EQ_MEM (initiate, "\10INITIATE", 9);
    static unsigned char ready[14 + 16 + 70000];
    CHECK (meta_len_ <= 70000);
    memcpy (ready, "\5READY", 6);
    const unsigned char short_nonce[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    memcpy (ready + 6, short_nonce, 8);
    nonce24 (n, "CurveZMQREADY---", short_nonce, 8);
    CHECK_EQ_INT (box_seal (ready + 14, meta_, meta_len_, n, client_transient, st.sec), 0);
    send_body (fd_, HU_FLAG_COMMAND, ready, 14 + 16 + meta_len_);
}

/*  CVE-2019-13132's other direction: a malicious CURVE server answers a
 *  client's INITIATE with READY metadata whose lengths lie (a value length
 *  of 0xFFFFFFF0 with 4 bytes left; a name length past the end), 10 times
 *  over (the client connects anew each time: after a protocol error libzmq
 *  does not reconnect). The client closes each such connection,
 *  DISCONNECTED with no HANDSHAKE_SUCCEEDED before it; a READY
 *  with 60 KB of well-formed metadata completes (HANDSHAKE_SUCCEEDED); RSS
 *  grows less than 16 MiB; and a real CURVE server then gets the client's
 *  messages.  */
TEST (cve_2019_13132_curve_client_refuses_ready_with_lying_metadata)
{
    load_sodium ();
    void *ctx = zmq_ctx_new ();
    keypair_t sk, ck;
    keypair (&sk);
    keypair (&ck);
    char ep[256];
    const int lfd = hu_listen_raw (ep, sizeof ep);
    void *push = hu_socket (ctx, ZMQ_PUSH, HU_LONG_IVL_MS);
    const int ivl = 10;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_CURVE_SERVERKEY, sk.pub_z85, 40));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_CURVE_PUBLICKEY, ck.pub_z85, 40));
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_CURVE_SECRETKEY, ck.sec_z85, 40));
    void *mon = monitor_of (ctx, push, "inproc://cve-13132-ready");
    CHECK_ZMQ (zmq_connect (push, ep));
    static unsigned char meta[70000], big[60000];
    memset (big, 'r', sizeof big);
    const long before = rss_kb ();
    for (int round = 0; round <= 10; round++) {
        size_t n = hu_put_property (meta, "Socket-Type", "PULL", 4);
        if (round == 10)
            n += hu_put_property (meta + n, "X-Big", big, sizeof big);
        else if (round % 2 == 0) {
            meta[n] = 5;
            memcpy (meta + n + 1, "X-Lie", 5);
            hu_put_u32 (meta + n + 6, 0xfffffff0u);
            memcpy (meta + n + 10, "abcd", 4);
            n += 14;
        } else {
            meta[0] = 200;
            n = 20;
        }
        /*  A protocol error ends the session for good (libzmq does not
         *  reconnect after one): connect anew.  */
        if (round > 0)
            CHECK_ZMQ (zmq_connect (push, ep));
        struct pollfd p = {lfd, POLLIN, 0};
        CHECK_EQ_INT (poll (&p, 1, HU_PROMPT_MS), 1);
        const int fd = accept (lfd, NULL, NULL);
        CHECK (fd >= 0);
        curve_serve (fd, &sk, meta, n);
        if (round == 10) {
            CHECK_EVENT (mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, HU_PROMPT_MS);
            close (fd);
            break;
        }
        HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
        close (fd);
        CHECK (wait_event_not (mon, ZMQ_EVENT_DISCONNECTED, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL,
                               HU_PROMPT_MS));
    }
    close (lfd);
    CHECK_RSS_GROWTH (before, 16 * 1024, "11 READYs with lying or huge metadata");
    /*  A real server gets the client's messages.  */
    void *pull = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    const int one = 1;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_CURVE_SERVER, &one, sizeof one));
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_CURVE_SECRETKEY, sk.sec_z85, 40));
    char good[256];
    hu_bind_tcp (pull, good, sizeof good);
    CHECK_ZMQ (zmq_disconnect (push, ep));
    CHECK_ZMQ (zmq_connect (push, good));
    CHECK_EQ_INT (zmq_send (push, "after-ready", 11, 0), 11);
    hu_expect_msg (pull, "after-ready", 0);
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ============================================= CVE-2020-15166 ============ */

/*  Pre-authentication: 200 raw clients send a valid HELLO (the server does
 *  the key exchange and answers WELCOME) and then nothing. While they
 *  hang there a real CURVE client is served; RSS grows less than 32 MiB;
 *  HANDSHAKE_IVL (1.5 s) closes every one of them, each with
 *  HANDSHAKE_FAILED_NO_DETAIL.  */
TEST (cve_2020_15166_stalled_curve_handshakes_bound_memory_and_real_clients_are_served)
{
    enum
    {
        FLOOD = 200
    };
    load_sodium ();
    struct rlimit rl;
    CHECK (getrlimit (RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < 1024 && rl.rlim_max >= 1024) {
        rl.rlim_cur = 1024;
        CHECK (setrlimit (RLIMIT_NOFILE, &rl) == 0);
    }
    void *ctx = zmq_ctx_new ();
    keypair_t sk;
    keypair (&sk);
    char ep[256];
    void *server = curve_server (ctx, &sk, 1500, ep);
    void *mon = monitor_of (ctx, server, "inproc://cve-15166");
    static curve_client_t c[FLOOD];
    const long before = rss_kb ();
    for (int i = 0; i < FLOOD; i++)
        curve_hello (&c[i], &sk, ep);
    curve_probe (ctx, server, &sk, ep, "while-stalled");
    CHECK_RSS_GROWTH (before, 32 * 1024, "200 stalled CURVE handshakes");
    for (int i = 0; i < FLOOD; i++) {
        HU_CHECK_CLOSED_WITHIN (c[i].fd, 1500 + 3000, NULL);
        close (c[i].fd);
    }
    const int failed = count_events (mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, 300);
    CHECK_EQ_INT (failed, FLOOD);
    curve_probe (ctx, server, &sk, ep, "after-stalled");
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (server));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  A subscriber that never reads: a raw SUB peer subscribes to everything
 *  and then reads nothing (a 4 KiB receive buffer), while the PUB sends
 *  100 000 messages of 1 KiB (100 MiB). PUB drops past SNDHWM (1000): RSS
 *  grows less than 32 MiB, and a real SUB connected afterwards gets
 *  messages.  */
TEST (cve_2020_15166_subscriber_that_never_reads_leaves_publisher_memory_bounded)
{
    void *ctx = zmq_ctx_new ();
    void *pub = hu_socket (ctx, ZMQ_PUB, HU_LONG_IVL_MS);
    const int hwm = 1000;
    CHECK_ZMQ (zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm));
    char ep[256];
    hu_bind_tcp (pub, ep, sizeof ep);

    const int small = 4096;
    const int raw = hu_connect_raw (ep);
    CHECK (setsockopt (raw, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
    hu_handshake_null (raw, "SUB");
    send_body (raw, 0, "\1", 1);
    /*  The subscription has arrived once a message reaches the peer.  */
    const long long deadline = hu_now_ms () + HU_PROMPT_MS;
    unsigned char fl, got[16];
    for (;;) {
        CHECK (hu_now_ms () < deadline);
        CHECK_EQ_INT (zmq_send (pub, "sync", 4, 0), 4);
        struct pollfd p = {raw, POLLIN, 0};
        if (poll (&p, 1, 20) == 1)
            break;
    }
    CHECK_EQ_INT (read_frame (raw, &fl, got, sizeof got), 4);

    static char body[1024];
    memset (body, 'p', sizeof body);
    const long before = rss_kb ();
    for (int i = 0; i < 100000; i++)
        CHECK_EQ_INT (zmq_send (pub, body, sizeof body, ZMQ_DONTWAIT), (int) sizeof body);
    CHECK_RSS_GROWTH (before, 32 * 1024, "100 MiB published to a peer that never reads");

    void *sub = hu_socket (ctx, ZMQ_SUB, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "good", 4));
    CHECK_ZMQ (zmq_connect (sub, ep));
    const long long until = hu_now_ms () + HU_RCVTIMEO_MS;
    for (;;) {
        if (hu_now_ms () >= until)
            tu_fail (__FILE__, __LINE__, "the real subscriber got nothing");
        CHECK_EQ_INT (zmq_send (pub, "good", 4, 0), 4);
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_ZMQ (zmq_poll (&it, 1, 20)) == 1)
            break;
    }
    hu_expect_msg (sub, "good", 0);
    close (raw);
    CHECK_ZMQ (zmq_close (sub));
    CHECK_ZMQ (zmq_close (pub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ================================================ GHSA-4p5v-h92w-6wxw ==== */

/*  A subscriber floods a PUB with data messages of 1 KiB (for up to 1 s
 *  or 50 MiB, never blocking: a PUB may stop reading, and the flood then
 *  only fills socket buffers). PUB drops them (libzmq <4.3.3 kept each
 *  one's metadata): RSS grows less than 16 MiB, and a real subscriber is
 *  served meanwhile.  */
TEST (ghsa_4p5v_messages_sent_to_a_pub_are_dropped_without_keeping_memory)
{
    void *ctx = zmq_ctx_new ();
    void *pub = hu_socket (ctx, ZMQ_PUB, HU_LONG_IVL_MS);
    char ep[256];
    hu_bind_tcp (pub, ep, sizeof ep);
    const int raw = hu_connect_raw (ep);
    hu_handshake_null (raw, "SUB");
    CHECK (fcntl (raw, F_SETFL, fcntl (raw, F_GETFL) | O_NONBLOCK) == 0);
    /*  One stream of 1 KiB frames (header + body), sent as far as it goes.  */
    static unsigned char frame[9 + 1024];
    const size_t fl = hu_put_header (frame, HU_FLAG_LONG, 1024);
    memset (frame + fl, 0x02, 1024);
    const size_t frame_len = fl + 1024;
    const long before = rss_kb ();
    const long long until = hu_now_ms () + 1000;
    size_t sent = 0;
    while (sent < (size_t) 50 << 20 && hu_now_ms () < until) {
        const size_t at = sent % frame_len;
        const ssize_t k = send (raw, frame + at, frame_len - at, MSG_NOSIGNAL);
        if (k > 0) {
            sent += (size_t) k;
            continue;
        }
        CHECK (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
        struct pollfd p = {raw, POLLOUT, 0};
        poll (&p, 1, 50);
    }
    if (getenv ("CVE_VERBOSE"))
        printf ("    flooded the PUB with %zu KiB\n", sent >> 10);

    void *sub = hu_socket (ctx, ZMQ_SUB, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "good", 4));
    CHECK_ZMQ (zmq_connect (sub, ep));
    const long long deadline = hu_now_ms () + HU_RCVTIMEO_MS;
    for (;;) {
        if (hu_now_ms () >= deadline)
            tu_fail (__FILE__, __LINE__, "the real subscriber got nothing");
        CHECK_EQ_INT (zmq_send (pub, "good", 4, 0), 4);
        zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_ZMQ (zmq_poll (&it, 1, 20)) == 1)
            break;
    }
    hu_expect_msg (sub, "good", 0);
    CHECK_RSS_GROWTH (before, 16 * 1024, "a subscriber flooding a PUB");
    close (raw);
    CHECK_ZMQ (zmq_close (sub));
    CHECK_ZMQ (zmq_close (pub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ================================================ GHSA-wfr2-29gj-5w87 ==== */

/*  A malicious server: 40 times, it accepts the client's connection, sends
 *  the first part (1 MiB, MORE set) of a message it never finishes, and
 *  hangs up. The client drops each unfinished message (libzmq <4.3.3
 *  leaked it): RSS grows less than 16 MiB (a leak would be 40 MiB), nothing
 *  is delivered, the monitor sees each DISCONNECTED, and a last, complete
 *  message arrives whole.  */
TEST (ghsa_wfr2_unfinished_multipart_from_a_vanishing_server_is_not_leaked)
{
    void *ctx = zmq_ctx_new ();
    char ep[256];
    const int lfd = hu_listen_raw (ep, sizeof ep);
    void *pull = hu_socket (ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    const int ivl = 10;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl));
    void *mon = monitor_of (ctx, pull, "inproc://cve-wfr2");
    CHECK_ZMQ (zmq_connect (pull, ep));
    static unsigned char part[1 << 20];
    memset (part, 'u', sizeof part);
    const long before = rss_kb ();
    for (int i = 0; i < 41; i++) {
        struct pollfd p = {lfd, POLLIN, 0};
        CHECK_EQ_INT (poll (&p, 1, HU_PROMPT_MS), 1);
        const int fd = accept (lfd, NULL, NULL);
        CHECK (fd >= 0);
        hu_handshake_null (fd, "PUSH");
        if (i == 40) {
            hu_send_frame (fd, 0, "whole");
            hu_expect_msg (pull, "whole", 0);
            close (fd);
            break;
        }
        send_body (fd, HU_FLAG_MORE, part, sizeof part);
        close (fd);
        CHECK_EVENT (mon, ZMQ_EVENT_DISCONNECTED, NULL, HU_PROMPT_MS);
    }
    hu_expect_no_msg (pull, 0);
    CHECK_RSS_GROWTH (before, 16 * 1024, "40 unfinished 1 MiB messages");
    close (lfd);
    CHECK_ZMQ (zmq_close (mon));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ================================================ GHSA-fc3w-qxf5-7hp6 ==== */

/*  The ZMTP 1.0 heap overflow shape: bytes that are not a v2/v3 greeting
 *  (0xFF, a 64-bit length, then a byte with bit 0 clear) and carry two
 *  messages over 8192 bytes. libzmq 4.3.4 reads them as ZMTP 1.0 (and
 *  delivers the two messages intact); ferrozmq does not speak 1.0 and
 *  closes (ferro_cve.c pins that). Either way: nothing but the exact bytes
 *  sent is delivered, the connection is closed within HANDSHAKE_IVL (300 ms
 *  here) and a margin, 8 rounds leave RSS within 16 MiB, and a
 *  well-behaved peer is served. Also the short form: a 0xFF length byte
 *  followed by a length of 2^64-1.  */
TEST (ghsa_fc3w_zmtp1_frames_over_8k_are_never_misparsed)
{
    void *ctx = zmq_ctx_new ();
    void *pull = hu_socket (ctx, ZMQ_PULL, 300);
    char ep[256];
    hu_bind_tcp (pull, ep, sizeof ep);
    enum
    {
        BIG = 9000
    };
    static unsigned char wire[3 * (10 + BIG)];
    size_t n = 0;
    for (int f = 0; f < 3; f++) {
        wire[n] = 0xff;
        hu_put_u64 (wire + n + 1, BIG + 1);
        wire[n + 9] = 0; /*  flags (v1: no MORE); bit 0 clear: not v2/v3  */
        memset (wire + n + 10, 'a' + f, BIG);
        n += 10 + BIG;
    }
    static unsigned char got[2 * BIG];
    const long before = rss_kb ();
    for (int round = 0; round < 8; round++) {
        const int fd = hu_connect_raw (ep);
        hu_send_raw (fd, wire, n);
        HU_CHECK_CLOSED_WITHIN (fd, 300 + HU_PROMPT_MS, NULL);
        close (fd);
        /*  Whatever was delivered is exactly a message that was sent.  */
        for (;;) {
            const int k = zmq_recv (pull, got, sizeof got, ZMQ_DONTWAIT);
            if (k < 0)
                break;
            CHECK_EQ_INT (k, BIG);
            CHECK (got[0] == 'b' || got[0] == 'c');
            for (int i = 1; i < BIG; i++)
                CHECK_EQ_INT (got[i], got[0]);
        }
    }
    /*  0xFF, then a length of 2^64-1, then a v1 flags byte.  */
    unsigned char huge[10];
    huge[0] = 0xff;
    hu_put_u64 (huge + 1, ~(uint64_t) 0);
    huge[9] = 0;
    const int fd = hu_connect_raw (ep);
    hu_send_raw (fd, huge, sizeof huge);
    HU_CHECK_CLOSED_WITHIN (fd, 300 + HU_PROMPT_MS, NULL);
    close (fd);
    CHECK_RSS_GROWTH (before, 16 * 1024, "9 ZMTP 1.0 connections with 9000-byte frames");
    hu_probe_ex (ctx, pull, ep, "after-v1", 4);
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ============================================= CVE-2021-20236 ============ */

/*  A raw subscriber sends an XPUB a 512 KiB topic and 100 000 distinct
 *  topics, then unsubscribes the long one and hangs up: the XPUB passes on
 *  each subscription and each removal (the trie walk that recursed once
 *  per byte of topic in libzmq <4.3.3), publishing reaches the peer on a
 *  subscribed topic, a real SUB is served, and RSS grows less than
 *  128 MiB.  */
TEST (cve_2021_20236_long_topic_and_100k_subscriptions_do_not_overflow)
{
    enum
    {
        TOPIC = 1 << 19,
        MANY = 100000
    };
    void *ctx = zmq_ctx_new ();
    void *xpub = hu_socket (ctx, ZMQ_XPUB, HU_LONG_IVL_MS);
    char ep[256];
    hu_bind_tcp (xpub, ep, sizeof ep);
    const long before = rss_kb ();
    const int raw = hu_connect_raw (ep);
    hu_handshake_null (raw, "SUB");
    static unsigned char topic[TOPIC + 1], got[TOPIC + 16];
    topic[0] = 1;
    memset (topic + 1, 't', TOPIC);
    note ("send 512 KiB topic");
    send_body (raw, 0, topic, sizeof topic);
    CHECK_EQ_INT (zmq_recv (xpub, got, sizeof got, 0), TOPIC + 1);
    CHECK_EQ_MEM (got, topic, TOPIC + 1);

    static unsigned char batch[MANY / 10 * 16];
    note ("send 100k topics");
    for (int b = 0; b < 10; b++) {
        size_t n = 0;
        for (int i = b * (MANY / 10); i < (b + 1) * (MANY / 10); i++) {
            char t[16];
            const int tl = snprintf (t, sizeof t, "\1s%d", i);
            batch[n++] = 0;
            batch[n++] = (unsigned char) tl;
            memcpy (batch + n, t, (size_t) tl);
            n += (size_t) tl;
        }
        HU_SEND (raw, batch, n);
    }
    note ("recv 100k topics");
    for (int i = 0; i < MANY; i++) {
        char want[16];
        const int wl = snprintf (want, sizeof want, "\1s%d", i);
        CHECK_EQ_INT (zmq_recv (xpub, got, sizeof got, 0), wl);
        CHECK_EQ_MEM (got, want, (size_t) wl);
    }
    /*  Publishing reaches the peer on one of its topics.  */
    note ("publish");
    CHECK_EQ_INT (zmq_send (xpub, "s77777-data", 11, 0), 11);
    unsigned char fl;
    CHECK_EQ_INT (read_frame (raw, &fl, got, 16), 11);
    CHECK_EQ_MEM (got, "s77777-data", 11);

    /*  Unsubscribing the long topic removes it (XPUB reports it).  */
    topic[0] = 0;
    note ("unsubscribe long topic");
    send_body (raw, 0, topic, sizeof topic);
    CHECK_EQ_INT (zmq_recv (xpub, got, sizeof got, 0), TOPIC + 1);
    CHECK_EQ_MEM (got, topic, TOPIC + 1);
    /*  Hanging up removes the other 100 000.  */
    note ("hang up");
    close (raw);
    int removed = 0;
    while (removed < MANY) {
        const int k = zmq_recv (xpub, got, sizeof got, 0);
        if (k < 0)
            break;
        CHECK_EQ_INT (got[0], 0);
        removed++;
    }
    note ("removed all");
    CHECK_EQ_INT (removed, MANY);
    CHECK_RSS_GROWTH (before, 128 * 1024, "a 512 KiB topic and 100k subscriptions");

    void *sub = hu_socket (ctx, ZMQ_SUB, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "good", 4));
    CHECK_ZMQ (zmq_connect (sub, ep));
    CHECK_EQ_INT (zmq_recv (xpub, got, sizeof got, 0), 5);
    CHECK_EQ_MEM (got, "\1good", 5);
    CHECK_EQ_INT (zmq_send (xpub, "good", 4, 0), 4);
    hu_expect_msg (sub, "good", 0);
    CHECK_ZMQ (zmq_close (sub));
    CHECK_ZMQ (zmq_close (xpub));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
