/* Interop with ZMTP 2.0 peers (RFC 15, libzmq 3.x): a raw TCP socket (plain
 * POSIX, no zmq) plays a 2.0 peer against a zmq socket, and each test pins
 * what libzmq 4.3.4 does, byte for byte where it matters.
 *
 * ZMTP 2.0 on the wire:
 *   greeting:  FF, 8 padding bytes, 7F (the signature; byte 9 bit 0 set),
 *              revision 01, socket type (PAIR 0, PUB 1, SUB 2, REQ 3, REP 4,
 *              DEALER 5, ROUTER 6, PULL 7, PUSH 8),
 *              then the identity as one final frame 00 len id.
 *   frames:    flags (MORE 0x01, LONG 0x02) | size (u8, or u64 BE with
 *              LONG) | body. No commands, no mechanism, no metadata.
 *   subscriptions are ordinary messages 01 topic / 00 topic.
 *
 * What libzmq 4.3.4 does (src/zmtp_engine.cpp, v2_encoder.cpp,
 * v2_decoder.cpp, session_base.cpp):
 *   - It sends its 10-byte signature FF be64(routing_id_size + 1) 7F at once
 *     (for an empty routing id: FF 00 00 00 00 00 00 00 01 7F).
 *   - When it has read the peer's whole signature (byte 9 bit 0 set), it
 *     sends its major version byte 03 (receive_greeting_versioned).
 *   - When it has read the peer's revision byte (byte 10) and it is 00 or 01,
 *     it sends ONE byte, its own socket type (options.type, unmapped: XPUB
 *     goes out as 09, XSUB as 0A), instead of the 3.x minor + mechanism +
 *     as-server + filler; it then waits for 12 greeting bytes in all and
 *     switches to handshake_v2_0: the v2 encoder/decoder, no mechanism, no
 *     READY, no socket-type compatibility check.
 *   - A bound socket attaches the new pipe (and a SUB sends its cached
 *     subscriptions) only when the application thread next processes
 *     commands (any zmq call on the socket), so tests that wait for the
 *     SUB's subscription keep poking the socket (ZMQ_EVENTS).
 *   - Its first frame is its identity: 00 len routing_id (00 00 when empty).
 *     The peer's first frame is taken as the peer's identity (a ROUTER uses
 *     it as the routing id).
 *   - Frames use the short size form up to 255 bytes and the LONG form
 *     (02 / 03 + u64 BE) above.
 *   - A SUB's subscription goes to a 2.0 peer as the message 00 02 01 'x'
 *     (v2_encoder turns the subscribe flag into a leading 01 byte).
 *   - No subscribe-all is injected for a 2.0 peer (_subscription_required is
 *     only set for unversioned ZMTP 1.0 peers).
 *   - handshake_v2_0 refuses the peer when ZAP is enabled (a mechanism other
 *     than NULL, or a non-empty ZAP_DOMAIN): downgrade protection. It fails
 *     in the same call that queued the type byte, so the peer gets the
 *     signature and 03 but never the type byte or an identity frame; the
 *     connection is closed.
 *
 * Everything is bounded: raw fds are read with poll() timeouts, zmq sockets
 * have RCVTIMEO/SNDTIMEO; nothing sleeps to synchronise. The few "nothing
 * more arrives" checks are short bounded polls (Z2_QUIET_MS).
 */
#include "testutil.h"
#include "hostile_util.h"

/*  ZMTP 2.0 socket type bytes (RFC 15).  */
#define Z2_PAIR 0x00
#define Z2_PUB 0x01
#define Z2_SUB 0x02
#define Z2_REQ 0x03
#define Z2_REP 0x04
#define Z2_DEALER 0x05
#define Z2_ROUTER 0x06
#define Z2_PULL 0x07
#define Z2_PUSH 0x08
/*  What libzmq sends for its XPUB / XSUB (options.type, not mapped).  */
#define Z2_LIBZMQ_XPUB 0x09
#define Z2_LIBZMQ_XSUB 0x0a

/*  How long a "nothing (more) arrives" check listens.  */
#define Z2_QUIET_MS 150

/* -------------------------------------------------------------- bytes ---- */

static void z2_hex (char *out_, size_t cap_, const unsigned char *p_, size_t n_)
{
    size_t o = 0;
    out_[0] = '\0';
    for (size_t i = 0; i < n_ && o + 4 < cap_; i++)
        o += (size_t) snprintf (out_ + o, cap_ - o, "%s%02x", i ? " " : "",
                                p_[i]);
}

/*  Reads exactly n_ bytes and checks they are want_ (shown in hex on a
 *  mismatch).  */
static void
z2_expect_bytes (int fd_, const void *want_, size_t n_, const char *what_)
{
    unsigned char got[512];
    CHECK (n_ <= sizeof got);
    if (hu_read_exact (fd_, got, n_, HU_PROMPT_MS) != 0)
        tu_fail (__FILE__, __LINE__, "reading %s (%zu bytes): %s", what_, n_,
                 strerror (errno));
    if (memcmp (got, want_, n_) != 0) {
        char g[1600], w[1600];
        z2_hex (g, sizeof g, got, n_);
        z2_hex (w, sizeof w, (const unsigned char *) want_, n_);
        tu_fail (__FILE__, __LINE__, "%s:\n      got  %s\n      want %s", what_,
                 g, w);
    }
}

/*  Nothing arrives on fd_ within ms_, and the connection stays open.  */
static void z2_expect_quiet (int fd_, int ms_, const char *what_)
{
    struct pollfd pfd = {fd_, POLLIN, 0};
    int rc;
    do
        rc = poll (&pfd, 1, ms_);
    while (rc < 0 && errno == EINTR);
    CHECK (rc >= 0);
    if (rc == 0)
        return;
    unsigned char buf[128];
    const ssize_t k = recv (fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (k <= 0)
        tu_fail (__FILE__, __LINE__, "%s: the connection was closed (%s)",
                 what_, k == 0 ? "EOF" : strerror (errno));
    char h[600];
    z2_hex (h, sizeof h, buf, (size_t) k);
    tu_fail (__FILE__, __LINE__, "%s: unexpected %zd byte(s): %s", what_, k,
             h);
}

/* ------------------------------------------------------ the raw peer ---- */

/*  The 10-byte signature a libzmq 3.x (ZMTP 2.0) peer sends:
 *  FF be64(identity size + 1) 7F.  */
static void z2_put_signature (unsigned char *p_, size_t idlen_)
{
    p_[0] = 0xff;
    hu_put_u64 (p_ + 1, (uint64_t) idlen_ + 1);
    p_[9] = 0x7f;
}

/*  The whole 2.0 greeting of the raw peer: signature, revision 01, type,
 *  identity frame 00 len id. Returns its length.  */
static size_t z2_put_greeting (unsigned char *p_,
                               unsigned char type_,
                               const char *identity_)
{
    const size_t idlen = strlen (identity_);
    CHECK (idlen < 256);
    z2_put_signature (p_, idlen);
    p_[10] = 0x01;
    p_[11] = type_;
    p_[12] = 0x00;
    p_[13] = (unsigned char) idlen;
    memcpy (p_ + 14, identity_, idlen);
    return 14 + idlen;
}

static void z2_send_greeting (int fd_, unsigned char type_, const char *identity_)
{
    unsigned char g[300];
    const size_t n = z2_put_greeting (g, type_, identity_);
    HU_SEND (fd_, g, n);
}

/*  What libzmq sends to a 2.0 peer, all of it: FF be64(idlen + 1) 7F, 03,
 *  its type byte, then its identity frame 00 idlen id. Nothing of a 3.x
 *  greeting (no minor version, no "NULL" mechanism, no READY).  */
static void z2_expect_libzmq_greeting (int fd_,
                                       unsigned char type_,
                                       const char *identity_)
{
    unsigned char want[300];
    const size_t idlen = strlen (identity_);
    z2_put_signature (want, idlen);
    want[10] = 0x03;
    want[11] = type_;
    want[12] = 0x00;
    want[13] = (unsigned char) idlen;
    memcpy (want + 14, identity_, idlen);
    z2_expect_bytes (fd_, want, 12, "libzmq's greeting to a 2.0 peer");
    z2_expect_bytes (fd_, want + 12, 2 + idlen, "libzmq's identity frame");
}

/*  Connects to ep_ and does the whole 2.0 handshake as a peer of type_ with
 *  an empty identity; checks libzmq's greeting (want_type_, empty id).  */
static int z2_connect_handshaken (const char *ep_,
                                  unsigned char type_,
                                  unsigned char want_type_)
{
    const int fd = hu_connect_raw (ep_);
    z2_send_greeting (fd, type_, "");
    z2_expect_libzmq_greeting (fd, want_type_, "");
    return fd;
}

/*  Reads one frame: returns its size (body into body_, flags into
 *  *flags_), or -1 with errno ETIMEDOUT if no byte arrived within
 *  first_ms_. Once the frame has begun, the rest must follow promptly.  */
static long z2_read_frame (int fd_,
                           int first_ms_,
                           unsigned char *flags_,
                           unsigned char *body_,
                           size_t cap_)
{
    unsigned char hdr[9];
    if (hu_read_exact (fd_, hdr, 1, first_ms_) != 0) {
        if (errno == ETIMEDOUT)
            return -1;
        tu_fail (__FILE__, __LINE__, "reading a frame: %s", strerror (errno));
    }
    uint64_t size;
    if (hdr[0] & HU_FLAG_LONG) {
        CHECK_EQ_INT (hu_read_exact (fd_, hdr + 1, 8, HU_PROMPT_MS), 0);
        size = 0;
        for (int i = 1; i < 9; i++)
            size = (size << 8) | hdr[i];
    } else {
        CHECK_EQ_INT (hu_read_exact (fd_, hdr + 1, 1, HU_PROMPT_MS), 0);
        size = hdr[1];
    }
    CHECK (size <= cap_);
    CHECK_EQ_INT (hu_read_exact (fd_, body_, (size_t) size, HU_PROMPT_MS), 0);
    *flags_ = hdr[0];
    return (long) size;
}

/*  The next frame is exactly header (flags, short or long size as libzmq
 *  must encode it) + body_.  */
static void z2_expect_frame (int fd_,
                             unsigned char flags_,
                             const void *body_,
                             size_t len_,
                             const char *what_)
{
    unsigned char want[1024];
    const size_t n = hu_put_frame (want, sizeof want, flags_, body_, len_);
    z2_expect_bytes (fd_, want, n, what_);
}

/*  Like z2_expect_bytes, for bytes that only go out once the zmq socket s_
 *  has processed its commands (a bound socket attaches a new pipe from the
 *  application thread): pokes s_ (ZMQ_EVENTS) until fd_ becomes readable,
 *  bounded by HU_PROMPT_MS, then reads and checks the bytes.  */
static void z2_expect_bytes_poking (int fd_,
                                    void *s_,
                                    const void *want_,
                                    size_t n_,
                                    const char *what_)
{
    const long long deadline = hu_now_ms () + HU_PROMPT_MS;
    for (;;) {
        int events;
        size_t len = sizeof events;
        CHECK_ZMQ (zmq_getsockopt (s_, ZMQ_EVENTS, &events, &len));
        struct pollfd pfd = {fd_, POLLIN, 0};
        const int rc = poll (&pfd, 1, 10);
        CHECK (rc >= 0 || errno == EINTR);
        if (rc > 0)
            break;
        if (hu_now_ms () > deadline)
            tu_fail (__FILE__, __LINE__, "%s: nothing arrived within %d ms",
                     what_, HU_PROMPT_MS);
    }
    z2_expect_bytes (fd_, want_, n_, what_);
}

/*  A listening TCP socket on 127.0.0.1:0; its port goes to *port_.  */
static int z2_listen (int *port_)
{
    const int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
    CHECK (listen (fd, 4) == 0);
    socklen_t len = sizeof addr;
    CHECK (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
    *port_ = ntohs (addr.sin_port);
    return fd;
}

/*  Accepts one connection within ms_.  */
static int z2_accept (int lfd_, int ms_)
{
    struct pollfd pfd = {lfd_, POLLIN, 0};
    int rc;
    do
        rc = poll (&pfd, 1, ms_);
    while (rc < 0 && errno == EINTR);
    if (rc <= 0)
        tu_fail (__FILE__, __LINE__, "no connection to accept within %d ms",
                 ms_);
    const int fd = accept (lfd_, NULL, NULL);
    CHECK (fd >= 0);
    const int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/*  A context and a zmq socket of type_ bound on tcp://127.0.0.1:*.  */
typedef struct
{
    void *ctx;
    void *s;
    char ep[256];
} z2_fx_t;

static void z2_fx_init_ex (z2_fx_t *f_, int type_, const char *routing_id_)
{
    memset (f_, 0, sizeof *f_);
    f_->ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (f_->ctx);
    f_->s = hu_socket (f_->ctx, type_, HU_LONG_IVL_MS);
    if (routing_id_)
        CHECK_ZMQ (zmq_setsockopt (f_->s, ZMQ_ROUTING_ID, routing_id_,
                                   strlen (routing_id_)));
    hu_bind_tcp (f_->s, f_->ep, sizeof f_->ep);
}

static void z2_fx_init (z2_fx_t *f_, int type_)
{
    z2_fx_init_ex (f_, type_, NULL);
}

static void z2_fx_done (z2_fx_t *f_)
{
    CHECK_ZMQ (zmq_close (f_->s));
    CHECK_ZMQ (zmq_ctx_term (f_->ctx));
}

/* -------------------------------------------------------------- tests ---- */

/*  1. A 2.0 PUSH peer connects to a bound PULL. libzmq answers with exactly
 *  FF 00 00 00 00 00 00 00 01 7F | 03 | 07 | 00 00 (signature with padding
 *  be64(0 + 1), major 3, its type PULL, empty identity frame) and nothing
 *  of a 3.x greeting. The peer's multipart message (short frames) and a
 *  LONG-form frame arrive intact.  */
TEST (push_peer_to_bound_pull_gets_v2_greeting_and_delivers_multipart)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_PULL);
    const int fd = hu_connect_raw (f.ep);
    /*  Padding 00*7 01, byte 9 = 7F, revision 01, type PUSH, identity "".  */
    const unsigned char greeting[] = {0xff, 0, 0,    0,    0,    0,   0,
                                      0,    1, 0x7f, 0x01, 0x08, 0x00, 0x00};
    HU_SEND (fd, greeting, sizeof greeting);

    const unsigned char want[] = {0xff, 0, 0,    0,    0,    0,   0,
                                  0,    1, 0x7f, 0x03, 0x07, 0x00, 0x00};
    z2_expect_bytes (fd, want, sizeof want,
                     "bound PULL's greeting + identity to a 2.0 PUSH");

    hu_send_frame (fd, HU_FLAG_MORE, "hello");
    hu_send_frame (fd, 0, "world");
    hu_expect_msg (f.s, "hello", 1);
    hu_expect_msg (f.s, "world", 0);

    /*  A 300-byte frame in the LONG form: 02 + u64 BE 300 + body.  */
    unsigned char big[300], frame[320], got[400];
    hu_fill_random (big, sizeof big, 7);
    const size_t n = hu_put_frame (frame, sizeof frame, 0, big, sizeof big);
    CHECK_EQ_INT (frame[0], HU_FLAG_LONG);
    HU_SEND (fd, frame, n);
    CHECK_EQ_INT (zmq_recv (f.s, got, sizeof got, 0), 300);
    CHECK_EQ_MEM (got, big, sizeof big);

    /*  Nothing more: no minor version, mechanism, READY or anything.  */
    z2_expect_quiet (fd, Z2_QUIET_MS, "after the 2.0 handshake");
    close (fd);
    z2_fx_done (&f);
}

/*  2. A 2.0 PULL peer and a bound PUSH: libzmq greets with type 08 and
 *  sends messages in v2 framing: MORE = 01, the short size form up to 255
 *  bytes, the LONG form (03 with MORE / 02 last + u64 BE size) above.  */
TEST (bound_push_sends_v2_frames_to_pull_peer)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_PUSH);
    const int fd = z2_connect_handshaken (f.ep, Z2_PULL, Z2_PUSH);

    unsigned char b255[255], b256[256], b300[300];
    hu_fill_random (b255, sizeof b255, 1);
    hu_fill_random (b256, sizeof b256, 2);
    hu_fill_random (b300, sizeof b300, 3);
    /*  Blocks (SNDTIMEO-bounded) until the pipe to the peer exists.  */
    CHECK_EQ_INT (zmq_send (f.s, "a", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (f.s, b255, sizeof b255, ZMQ_SNDMORE), 255);
    CHECK_EQ_INT (zmq_send (f.s, b256, sizeof b256, ZMQ_SNDMORE), 256);
    CHECK_EQ_INT (zmq_send (f.s, b300, sizeof b300, 0), 300);
    CHECK_EQ_INT (zmq_send (f.s, "", 0, 0), 0);

    z2_expect_bytes (fd, "\x01\x01" "a", 3, "frame 1 (01 01 'a')");
    z2_expect_bytes (fd, "\x01\xff", 2, "frame 2 header (255: short form)");
    z2_expect_bytes (fd, b255, sizeof b255, "frame 2 body");
    z2_expect_bytes (fd, "\x03\0\0\0\0\0\0\x01\x00", 9,
                     "frame 3 header (256: MORE|LONG)");
    z2_expect_bytes (fd, b256, sizeof b256, "frame 3 body");
    z2_expect_bytes (fd, "\x02\0\0\0\0\0\0\x01\x2c", 9,
                     "frame 4 header (300: LONG, last)");
    z2_expect_bytes (fd, b300, sizeof b300, "frame 4 body");
    z2_expect_bytes (fd, "\x00\x00", 2, "an empty message (00 00)");
    z2_expect_quiet (fd, Z2_QUIET_MS, "after the messages");
    close (fd);
    z2_fx_done (&f);
}

/*  Publishes "apple" and "banana" on pub_ until the raw 2.0 subscriber
 *  (subscribed to "a") has received an "apple"; no "banana" ever arrives,
 *  every frame is exactly 00 05 "apple".  */
static void z2_publish_until_apple (void *pub_, int fd_)
{
    const long long deadline = hu_now_ms () + 4000;
    int apples = 0;
    while (apples == 0) {
        if (hu_now_ms () > deadline)
            tu_fail (__FILE__, __LINE__,
                     "the 2.0 subscriber got no \"apple\" within 4 s");
        CHECK_EQ_INT (zmq_send (pub_, "apple", 5, 0), 5);
        CHECK_EQ_INT (zmq_send (pub_, "banana", 6, 0), 6);
        unsigned char flags, body[64];
        long n;
        /*  Read whatever arrived; after an apple, drain a little longer
         *  so a banana sent right behind it would be seen.  */
        while ((n = z2_read_frame (fd_, apples ? Z2_QUIET_MS : 20, &flags,
                                   body, sizeof body))
               >= 0) {
            if (n == 6 && memcmp (body, "banana", 6) == 0)
                tu_fail (__FILE__, __LINE__,
                         "the 2.0 subscriber to \"a\" received \"banana\"");
            CHECK_EQ_INT (flags, 0);
            CHECK_EQ_INT (n, 5);
            CHECK_EQ_MEM (body, "apple", 5);
            apples++;
        }
    }
}

/*  3a. A 2.0 SUB peer against a bound PUB: the subscription is the plain
 *  message 00 02 01 'a'; PUB filters on it (only "apple" arrives). PUB's
 *  greeting carries type 01.  */
TEST (sub_peer_subscription_message_filters_bound_pub)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_PUB);
    const int fd = z2_connect_handshaken (f.ep, Z2_SUB, Z2_PUB);
    HU_SEND (fd, "\x00\x02\x01" "a", 4);
    z2_publish_until_apple (f.s, fd);
    close (fd);
    z2_fx_done (&f);
}

/*  3b. The same against a bound XPUB. libzmq sends its XPUB type as 09 (the
 *  raw options.type; a 3.x peer does not check it). The subscription
 *  message reaches the XPUB application as "\x01a" (the sync point), and
 *  no subscribe-all was injected for the 2.0 peer: a "banana" published
 *  before an "apple" does not arrive, the apple is the first frame.  */
TEST (sub_peer_subscription_message_reaches_and_filters_bound_xpub)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_XPUB);
    const int fd = z2_connect_handshaken (f.ep, Z2_SUB, Z2_LIBZMQ_XPUB);
    HU_SEND (fd, "\x00\x02\x01" "a", 4);
    char sub[16];
    CHECK_EQ_INT (zmq_recv (f.s, sub, sizeof sub, 0), 2);
    CHECK_EQ_MEM (sub, "\x01" "a", 2);

    CHECK_EQ_INT (zmq_send (f.s, "banana", 6, 0), 6);
    CHECK_EQ_INT (zmq_send (f.s, "apple", 5, 0), 5);
    z2_expect_frame (fd, 0, "apple", 5, "first frame to the subscriber");
    z2_publish_until_apple (f.s, fd);

    /*  Unsubscribe (00 02 00 'a') reaches XPUB as "\x00a".  */
    HU_SEND (fd, "\x00\x02\x00" "a", 4);
    CHECK_EQ_INT (zmq_recv (f.s, sub, sizeof sub, 0), 2);
    CHECK_EQ_MEM (sub, "\x00" "a", 2);
    close (fd);
    z2_fx_done (&f);
}

/*  4. A 2.0 PUB peer against a bound SUB subscribed to "x": the SUB greets
 *  with type 02, and its subscription reaches the peer as the MESSAGE frame
 *  00 02 01 'x' (the v2 encoder, not a 04 SUBSCRIBE command). The peer's
 *  messages are filtered: "abc" is dropped, "xyz" delivered.  */
TEST (bound_sub_sends_subscription_as_message_to_pub_peer)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_SUB);
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_SUBSCRIBE, "x", 1));
    const int fd = z2_connect_handshaken (f.ep, Z2_PUB, Z2_SUB);
    z2_expect_bytes_poking (fd, f.s, "\x00\x02\x01" "x", 4,
                            "SUB's subscription as a v2 message");
    z2_expect_quiet (fd, Z2_QUIET_MS, "after the subscription");

    hu_send_frame (fd, 0, "abc");
    hu_send_frame (fd, 0, "xyz");
    hu_send_frame (fd, 0, "abc2");
    hu_send_frame (fd, 0, "x-last");
    hu_expect_msg (f.s, "xyz", 0);
    hu_expect_msg (f.s, "x-last", 0);

    /*  A later subscription and unsubscription go out the same way.  */
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_SUBSCRIBE, "yy", 2));
    z2_expect_bytes (fd, "\x00\x03\x01" "yy", 5, "a later subscription");
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_UNSUBSCRIBE, "x", 1));
    z2_expect_bytes (fd, "\x00\x02\x00" "x", 4, "an unsubscription");
    close (fd);
    z2_fx_done (&f);
}

/*  4b. A bound XSUB greets a 2.0 peer with type 0A (raw options.type) and
 *  passes a subscription message written by the application through as
 *  00 02 01 'x'.  */
TEST (bound_xsub_greets_with_type_0a_and_forwards_subscription)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_XSUB);
    const int fd = z2_connect_handshaken (f.ep, Z2_PUB, Z2_LIBZMQ_XSUB);
    CHECK_EQ_INT (zmq_send (f.s, "\x01" "x", 2, 0), 2);
    /*  The connection's pipe may reach the socket only on its next API call
     *  (commands are processed in the application thread), so keep poking
     *  it while waiting, as for SUB above.  */
    z2_expect_bytes_poking (fd, f.s, "\x00\x02\x01" "x", 4, "XSUB's subscription");
    hu_send_frame (fd, 0, "xyz");
    hu_expect_msg (f.s, "xyz", 0);
    close (fd);
    z2_fx_done (&f);
}

/*  5. A 2.0 REQ peer and a bound REP: the peer sends [empty delimiter,
 *  body] = 01 00 | 00 05 hello; REP delivers "hello" and its reply goes
 *  back with the delimiter: 01 00 | 00 05 world. REP greets with 04.  */
TEST (req_peer_and_bound_rep_exchange_with_delimiter)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_REP);
    const int fd = z2_connect_handshaken (f.ep, Z2_REQ, Z2_REP);
    HU_SEND (fd, "\x01\x00\x00\x05" "hello", 9);
    hu_expect_msg (f.s, "hello", 0);
    CHECK_EQ_INT (zmq_send (f.s, "world", 5, 0), 5);
    z2_expect_bytes (fd, "\x01\x00\x00\x05" "world", 9, "REP's reply");

    /*  A second round trip on the same connection.  */
    HU_SEND (fd, "\x01\x00\x00\x03" "bye", 7);
    hu_expect_msg (f.s, "bye", 0);
    CHECK_EQ_INT (zmq_send (f.s, "ok", 2, 0), 2);
    z2_expect_bytes (fd, "\x01\x00\x00\x02" "ok", 6, "REP's second reply");
    close (fd);
    z2_fx_done (&f);
}

/*  6. A bound ROUTER and a 2.0 DEALER whose identity frame is 00 03 "id1":
 *  that frame is how a 2.0 peer announces its identity, and the ROUTER uses
 *  "id1" as the routing id (both for receiving and for routing replies).
 *  ROUTER greets with 06 and an empty identity frame.  */
TEST (dealer_peer_identity_frame_becomes_router_routing_id)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_ROUTER);
    const int mandatory = 1;
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_ROUTER_MANDATORY, &mandatory,
                               sizeof mandatory));
    const int fd = hu_connect_raw (f.ep);
    z2_send_greeting (fd, Z2_DEALER, "id1");
    z2_expect_libzmq_greeting (fd, Z2_ROUTER, "");

    hu_send_frame (fd, 0, "hello");
    hu_expect_msg (f.s, "id1", 1);
    hu_expect_msg (f.s, "hello", 0);

    CHECK_EQ_INT (zmq_send (f.s, "id1", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ_INT (zmq_send (f.s, "world", 5, 0), 5);
    z2_expect_bytes (fd, "\x00\x05" "world", 7, "the reply routed to id1");
    close (fd);
    z2_fx_done (&f);
}

/*  6b. The zmq socket's own ZMQ_ROUTING_ID goes into both the signature
 *  padding, be64(3 + 1), and its identity frame 00 03 "srv".  */
TEST (own_routing_id_sets_padding_and_identity_frame)
{
    z2_fx_t f;
    z2_fx_init_ex (&f, ZMQ_DEALER, "srv");
    const int fd = hu_connect_raw (f.ep);
    z2_send_greeting (fd, Z2_DEALER, "");
    const unsigned char want[] = {0xff, 0,    0,    0,    0,   0,   0,
                                  0,    4,    0x7f, 0x03, 0x05, 0x00, 0x03,
                                  's',  'r',  'v'};
    z2_expect_bytes (fd, want, sizeof want,
                     "DEALER (routing id \"srv\") greeting + identity");
    hu_send_frame (fd, 0, "ping");
    hu_expect_msg (f.s, "ping", 0);
    close (fd);
    z2_fx_done (&f);
}

/*  7. The zmq side connects: a PUSH connects to a raw listener playing a
 *  2.0 PULL. libzmq's greeting is staged:
 *    - at once: the 10-byte signature FF 00*7 01 7F, then nothing until it
 *      has read the peer's whole signature;
 *    - then 03, then nothing until it has read the peer's revision;
 *    - then its type 08 (revision 01 selects ZMTP 2.0);
 *    - then, with 12 greeting bytes read, the identity frame 00 00 and the
 *      queued message in v2 framing.  */
TEST (connecting_push_stages_greeting_to_listening_pull_peer)
{
    int port;
    const int lfd = z2_listen (&port);
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    void *push = hu_socket (ctx, ZMQ_PUSH, HU_LONG_IVL_MS);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_ZMQ (zmq_connect (push, ep));
    /*  Queued on the connecter's pipe until the connection is up.  */
    CHECK_EQ_INT (zmq_send (push, "hello", 5, ZMQ_SNDMORE), 5);
    CHECK_EQ_INT (zmq_send (push, "world", 5, 0), 5);

    const int fd = z2_accept (lfd, HU_PROMPT_MS);
    const unsigned char sig[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f};
    z2_expect_bytes (fd, sig, sizeof sig, "the connecter's signature");
    z2_expect_quiet (fd, Z2_QUIET_MS, "before the peer's signature");

    HU_SEND (fd, sig, sizeof sig);
    z2_expect_bytes (fd, "\x03", 1, "the major version after our signature");
    z2_expect_quiet (fd, Z2_QUIET_MS, "before the peer's revision");

    HU_SEND (fd, "\x01\x07", 2); /*  revision 01, type PULL  */
    z2_expect_bytes (fd, "\x08", 1, "the PUSH type byte after our revision");

    HU_SEND (fd, "\x00\x00", 2); /*  our (empty) identity frame  */
    z2_expect_bytes (fd, "\x00\x00", 2, "the connecter's identity frame");
    z2_expect_bytes (fd, "\x01\x05" "hello\x00\x05" "world", 14,
                     "the queued message in v2 framing");
    z2_expect_quiet (fd, Z2_QUIET_MS, "after the message");
    close (fd);
    close (lfd);
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  8. An incompatible 2.0 peer (a PUSH talking to a bound PUSH). ZMTP 2.0
 *  has no READY/metadata, and handshake_v2_0 does not compare socket types:
 *  libzmq completes the handshake (FF be64(1) 7F 03 08 00 00), keeps the
 *  connection open and even sends its messages to the "PUSH" peer.  */
TEST (incompatible_socket_type_peer_is_not_checked)
{
    z2_fx_t f;
    z2_fx_init (&f, ZMQ_PUSH);
    const int fd = z2_connect_handshaken (f.ep, Z2_PUSH, Z2_PUSH);
    HU_CHECK_STILL_OPEN (fd, Z2_QUIET_MS);
    CHECK_EQ_INT (zmq_send (f.s, "hi", 2, 0), 2);
    z2_expect_bytes (fd, "\x00\x02" "hi", 4, "PUSH's message to a 2.0 PUSH");
    close (fd);
    z2_fx_done (&f);
}

/*  A 2.0 PUSH peer to f_->ep is refused. Staged so what libzmq sends is
 *  deterministic: it sends its signature FF be64(1) 7F at once; after our
 *  signature it sends 03; our revision 01 and type 08 complete the 12-byte
 *  2.0 greeting, and handshake_v2_0 fails at once: the type byte that
 *  receive_greeting_versioned had just queued is never flushed, no identity
 *  frame follows, the connection is closed and nothing is delivered.  */
static void z2_expect_refused (z2_fx_t *f_)
{
    const int fd = hu_connect_raw (f_->ep);
    unsigned char g[16];
    z2_put_greeting (g, Z2_PUSH, "");
    const unsigned char sig[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f};
    z2_expect_bytes (fd, sig, sizeof sig, "the server's signature");
    HU_SEND (fd, g, 10);
    z2_expect_bytes (fd, "\x03", 1, "the major version after our signature");
    HU_SEND (fd, g + 10, 2); /*  revision 01, type PUSH  */
    hu_close_t c;
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, &c);
    if (c.received != 0) {
        char h[800];
        z2_hex (h, sizeof h, c.head,
                c.received < sizeof c.head ? c.received : sizeof c.head);
        tu_fail (__FILE__, __LINE__,
                 "before closing, the server sent %zu more bytes: %s; want "
                 "none (not even the type byte)",
                 c.received, h);
    }
    close (fd);
    hu_expect_no_msg (f_->s, Z2_QUIET_MS);
}

/*  9. Downgrade protection: with a ZAP domain set on the bound PULL (ZAP
 *  enabled even without a handler), a 2.0 peer is refused: the connection
 *  is closed as soon as its revision byte is read. A ZMTP 3 NULL peer is still served
 *  (no ZAP handler: ZAP is skipped).  */
TEST (zap_domain_refuses_zmtp2_peer)
{
    z2_fx_t f;
    memset (&f, 0, sizeof f);
    f.ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (f.ctx);
    f.s = hu_socket (f.ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_ZAP_DOMAIN, "global", 6));
    hu_bind_tcp (f.s, f.ep, sizeof f.ep);
    z2_expect_refused (&f);
    hu_probe (f.ctx, f.s, f.ep, "zmtp3-probe");
    z2_fx_done (&f);
}

/*  9b. The same with a security mechanism (PLAIN server): mechanism !=
 *  NULL enables ZAP, and the 2.0 peer is refused the same way.  */
TEST (plain_server_refuses_zmtp2_peer)
{
    z2_fx_t f;
    memset (&f, 0, sizeof f);
    f.ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (f.ctx);
    f.s = hu_socket (f.ctx, ZMQ_PULL, HU_LONG_IVL_MS);
    const int one = 1;
    CHECK_ZMQ (zmq_setsockopt (f.s, ZMQ_PLAIN_SERVER, &one, sizeof one));
    hu_bind_tcp (f.s, f.ep, sizeof f.ep);
    z2_expect_refused (&f);
    z2_fx_done (&f);
}

TEST_MAIN ()
