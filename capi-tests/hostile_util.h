/* hostile_util.h: helpers for tests where a raw TCP client (plain POSIX
 * sockets, no zmq) speaks well-formed or malformed ZMTP to a zmq socket.
 *
 * Header-only, C99 + POSIX. Include order: "testutil.h" first (it defines
 * _XOPEN_SOURCE before any system header and provides the CHECK macros),
 * then this header:
 *
 *     #include "testutil.h"
 *     #include "hostile_util.h"
 *
 * Everything here is bounded: every wait takes a timeout in milliseconds and
 * waits with poll() (raw fds) or zmq_poll / RCVTIMEO (zmq sockets); nothing
 * sleeps to synchronise.
 *
 * Wire layouts (RFC 23 / RFC 37, ZMTP 3.x):
 *   greeting (64 bytes): FF, 8 padding bytes, 7F, major, minor,
 *                        mechanism (20 bytes, NUL padded), as-server, 31 x 00
 *   frame:  flags (MORE 0x01, LONG 0x02, COMMAND 0x04), size (u8, or u64 BE
 *           when LONG), body
 *   command body: name_len:u8 name data
 *   READY data (metadata): repeated name_len:u8 name value_len:u32 BE value
 */
#ifndef FERROZMQ_CAPI_HOSTILE_UTIL_H
#define FERROZMQ_CAPI_HOSTILE_UTIL_H

#ifndef FERROZMQ_CAPI_TESTUTIL_H
#error "include testutil.h before hostile_util.h"
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define HU_FLAG_MORE 0x01
#define HU_FLAG_LONG 0x02
#define HU_FLAG_COMMAND 0x04

#define HU_GREETING_SIZE 64

/*  Timeout for anything that should happen "at once" (a reply, a close
 *  caused by a protocol error): generous so a loaded machine does not flake,
 *  small enough to keep the program quick.  */
#define HU_PROMPT_MS 2000

/*  The handshake interval used by tests that expect the stall timer to fire,
 *  and the (long) one used by tests that must prove a close was caused by the
 *  bad input rather than by the timer.  */
#define HU_SHORT_IVL_MS 200
#define HU_LONG_IVL_MS 30000

/*  Receive timeout on zmq sockets.  */
#define HU_RCVTIMEO_MS 3000

/* ---------------------------------------------------------------- time ---- */

__attribute__ ((unused)) static long long hu_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -------------------------------------------------------- zmq sockets ---- */

/*  A zmq socket with LINGER 0, the given HANDSHAKE_IVL (ms; 0 disables) and
 *  send/receive timeouts, so every blocking call in a test is bounded.
 *  Set any further options before hu_bind_tcp.  */
__attribute__ ((unused)) static void *
hu_socket (void *ctx_, int type_, int handshake_ivl_ms_)
{
    void *s = zmq_socket (ctx_, type_);
    CHECK_NOT_NULL (s);
    const int zero = 0, tmo = HU_RCVTIMEO_MS;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &tmo, sizeof tmo));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_SNDTIMEO, &tmo, sizeof tmo));
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_HANDSHAKE_IVL, &handshake_ivl_ms_,
                               sizeof handshake_ivl_ms_));
    return s;
}

/*  Binds s to tcp://127.0.0.1:* and stores ZMQ_LAST_ENDPOINT in ep_.  */
__attribute__ ((unused)) static void
hu_bind_tcp (void *s_, char *ep_, size_t cap_)
{
    CHECK_ZMQ (zmq_bind (s_, "tcp://127.0.0.1:*"));
    size_t len = cap_;
    CHECK_ZMQ (zmq_getsockopt (s_, ZMQ_LAST_ENDPOINT, ep_, &len));
    CHECK (strncmp (ep_, "tcp://127.0.0.1:", 16) == 0);
}

/*  Receives one frame into a NUL-terminated string; checks its text and its
 *  MORE flag.  */
__attribute__ ((unused)) static void
hu_expect_msg (void *s_, const char *want_, int want_more_)
{
    char buf[1024];
    const int n = CHECK_ZMQ (zmq_recv (s_, buf, sizeof buf - 1, 0));
    CHECK (n < (int) sizeof buf);
    buf[n] = '\0';
    CHECK_EQ_STR (buf, want_);
    int more = 0;
    size_t len = sizeof more;
    CHECK_ZMQ (zmq_getsockopt (s_, ZMQ_RCVMORE, &more, &len));
    CHECK_EQ_INT (more, want_more_);
}

/*  Nothing becomes readable on s within ms_.  */
__attribute__ ((unused)) static void hu_expect_no_msg (void *s_, int ms_)
{
    zmq_pollitem_t item = {s_, 0, ZMQ_POLLIN, 0};
    const int rc = CHECK_ZMQ (zmq_poll (&item, 1, ms_));
    if (rc != 0) {
        char buf[64];
        const int n = zmq_recv (s_, buf, sizeof buf - 1, ZMQ_DONTWAIT);
        if (n >= 0)
            buf[n < (int) sizeof buf - 1 ? n : (int) sizeof buf - 1] = '\0';
        tu_fail (__FILE__, __LINE__,
                 "unexpected message on the bound socket: \"%s\" (%d bytes)",
                 n >= 0 ? buf : "?", n);
    }
}

/*  The bound socket still serves a well-behaved peer: a fresh PUSH socket
 *  connects to ep_, sends payload_, and the bound socket (PULL) receives it
 *  within HU_RCVTIMEO_MS. Messages other than payload_ received meanwhile
 *  ("strays") are counted and skipped; more than max_strays_ of them fails.
 *  Returns the number of strays.  */
__attribute__ ((unused)) static int hu_probe_ex (void *ctx_,
                                                 void *bound_,
                                                 const char *ep_,
                                                 const char *payload_,
                                                 int max_strays_)
{
    void *peer = hu_socket (ctx_, ZMQ_PUSH, HU_LONG_IVL_MS);
    CHECK_ZMQ (zmq_connect (peer, ep_));
    const int len = (int) strlen (payload_);
    CHECK_EQ_INT (zmq_send (peer, payload_, (size_t) len, 0), len);
    int strays = 0;
    const long long deadline = hu_now_ms () + HU_RCVTIMEO_MS;
    for (;;) {
        const long long left = deadline - hu_now_ms ();
        zmq_pollitem_t item = {bound_, 0, ZMQ_POLLIN, 0};
        const int rc =
          CHECK_ZMQ (zmq_poll (&item, 1, left > 0 ? (long) left : 0));
        if (rc == 0)
            tu_fail (__FILE__, __LINE__,
                     "the bound socket did not receive \"%s\" from a "
                     "well-behaved peer within %d ms (%d strays seen)",
                     payload_, HU_RCVTIMEO_MS, strays);
        char buf[256];
        const int n = CHECK_ZMQ (zmq_recv (bound_, buf, sizeof buf, 0));
        int more = 0;
        size_t mlen = sizeof more;
        CHECK_ZMQ (zmq_getsockopt (bound_, ZMQ_RCVMORE, &more, &mlen));
        if (n == len && memcmp (buf, payload_, (size_t) len) == 0 && !more)
            break;
        strays++;
        if (strays > max_strays_)
            tu_fail (__FILE__, __LINE__,
                     "the bound socket delivered %d unexpected message(s) "
                     "(last: %d bytes) before the probe \"%s\"",
                     strays, n, payload_);
    }
    CHECK_ZMQ (zmq_close (peer));
    return strays;
}

/*  hu_probe_ex admitting no stray message.  */
__attribute__ ((unused)) static void
hu_probe (void *ctx_, void *bound_, const char *ep_, const char *payload_)
{
    hu_probe_ex (ctx_, bound_, ep_, payload_, 0);
}

/* ---------------------------------------------------------- raw client ---- */

/*  A blocking TCP connection to the host and port of a tcp:// endpoint.  */
__attribute__ ((unused)) static int hu_connect_raw (const char *ep_)
{
    const char *colon = strrchr (ep_, ':');
    CHECK_NOT_NULL (colon);
    const int port = atoi (colon + 1);
    CHECK (port > 0 && port < 65536);
    const int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        const int e = errno;
        close (fd);
        tu_fail (__FILE__, __LINE__, "raw connect to %s: %s", ep_,
                 strerror (e));
    }
    const int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/*  Sends all n bytes; returns 0, or -1 with errno if the peer has gone
 *  (EPIPE/ECONNRESET: legitimate when the server closes while we still
 *  write). Never raises SIGPIPE.  */
__attribute__ ((unused)) static int
hu_send_raw (int fd_, const void *buf_, size_t n_)
{
    const unsigned char *p = (const unsigned char *) buf_;
    while (n_ > 0) {
        const ssize_t k = send (fd_, p, n_, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n_ -= (size_t) k;
    }
    return 0;
}

/*  Sends n bytes that the server must accept (the connection is healthy).  */
#define HU_SEND(fd, buf, n)                                                    \
    do {                                                                       \
        if (hu_send_raw ((fd), (buf), (n)) != 0)                               \
            tu_fail (__FILE__, __LINE__, "raw send of %zu bytes: %s",          \
                     (size_t) (n), strerror (errno));                          \
    } while (0)

/*  Reads exactly n bytes within timeout_ms_ (total). Returns 0, or -1 on
 *  EOF, error or timeout (errno ETIMEDOUT for a timeout, EPIPE for EOF).  */
__attribute__ ((unused)) static int
hu_read_exact (int fd_, void *buf_, size_t n_, int timeout_ms_)
{
    unsigned char *p = (unsigned char *) buf_;
    const long long deadline = hu_now_ms () + timeout_ms_;
    while (n_ > 0) {
        const long long left = deadline - hu_now_ms ();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = {fd_, POLLIN, 0};
        const int rc = poll (&pfd, 1, (int) left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0) {
            if (rc == 0)
                errno = ETIMEDOUT;
            return -1;
        }
        const ssize_t k = recv (fd_, p, n_, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EPIPE;
            return -1;
        }
        p += k;
        n_ -= (size_t) k;
    }
    return 0;
}

/*  What hu_wait_closed saw.  */
typedef struct
{
    long long elapsed_ms; /*  since the call (or -1: still open)  */
    int reset;            /*  1: ECONNRESET, 0: orderly EOF  */
    size_t received;      /*  bytes the server sent meanwhile  */
    unsigned char head[256]; /*  the first bytes of those  */
} hu_close_t;

/*  Waits up to timeout_ms_ for the server to close the connection (EOF or
 *  ECONNRESET), reading and discarding whatever it sends meanwhile. Returns
 *  1 if it was closed, 0 if it is still open at the deadline.  */
__attribute__ ((unused)) static int
hu_wait_closed (int fd_, int timeout_ms_, hu_close_t *out_)
{
    hu_close_t dummy;
    hu_close_t *o = out_ ? out_ : &dummy;
    memset (o, 0, sizeof *o);
    o->elapsed_ms = -1;
    const long long start = hu_now_ms ();
    const long long deadline = start + timeout_ms_;
    for (;;) {
        const long long left = deadline - hu_now_ms ();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {fd_, POLLIN, 0};
        const int rc = poll (&pfd, 1, (int) left);
        if (rc < 0 && errno == EINTR)
            continue;
        CHECK (rc >= 0);
        if (rc == 0)
            return 0;
        unsigned char buf[4096];
        const ssize_t k = recv (fd_, buf, sizeof buf, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k > 0) {
            if (o->received < sizeof o->head) {
                const size_t room = sizeof o->head - o->received;
                memcpy (o->head + o->received, buf,
                        (size_t) k < room ? (size_t) k : room);
            }
            o->received += (size_t) k;
            continue;
        }
        if (k < 0 && errno != ECONNRESET)
            tu_fail (__FILE__, __LINE__, "raw recv: %s", strerror (errno));
        o->reset = k < 0;
        o->elapsed_ms = hu_now_ms () - start;
        return 1;
    }
}

/*  The server closes the connection within ms; the details go to out (a
 *  hu_close_t *, may be NULL).  */
#define HU_CHECK_CLOSED_WITHIN(fd, ms, out)                                    \
    do {                                                                       \
        if (!hu_wait_closed ((fd), (ms), (out)))                               \
            tu_fail (__FILE__, __LINE__,                                       \
                     "the server did not close the hostile connection "        \
                     "within %d ms",                                           \
                     (int) (ms));                                              \
    } while (0)

/*  The server keeps the connection open for at least ms (nothing but
 *  possibly data arrives).  */
#define HU_CHECK_STILL_OPEN(fd, ms)                                            \
    do {                                                                       \
        hu_close_t hu_c_;                                                      \
        if (hu_wait_closed ((fd), (ms), &hu_c_))                               \
            tu_fail (__FILE__, __LINE__,                                       \
                     "the server closed the connection (%s) after %lld ms, "   \
                     "want it kept open",                                      \
                     hu_c_.reset ? "reset" : "EOF", hu_c_.elapsed_ms);         \
    } while (0)

/*  A plain TCP listener on 127.0.0.1 (ephemeral port) playing a raw peer
 *  that zmq sockets connect to; its tcp:// endpoint goes to ep_.  */
__attribute__ ((unused)) static int hu_listen_raw (char *ep_, size_t cap_)
{
    int lfd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (lfd >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (lfd, (struct sockaddr *) &addr, sizeof addr) == 0);
    CHECK (listen (lfd, 4) == 0);
    socklen_t alen = sizeof addr;
    CHECK (getsockname (lfd, (struct sockaddr *) &addr, &alen) == 0);
    snprintf (ep_, cap_, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    return lfd;
}

/*  Half-closes our side (we send FIN) and waits for the server to close its
 *  side in turn: proves the server has processed the disconnect.  */
__attribute__ ((unused)) static void hu_disconnect_and_wait (int fd_)
{
    CHECK (shutdown (fd_, SHUT_WR) == 0);
    HU_CHECK_CLOSED_WITHIN (fd_, HU_PROMPT_MS, NULL);
}

/* ------------------------------------------------------ wire builders ---- */

__attribute__ ((unused)) static void hu_put_u32 (unsigned char *p_, uint32_t v_)
{
    p_[0] = (unsigned char) (v_ >> 24);
    p_[1] = (unsigned char) (v_ >> 16);
    p_[2] = (unsigned char) (v_ >> 8);
    p_[3] = (unsigned char) v_;
}

__attribute__ ((unused)) static void hu_put_u64 (unsigned char *p_, uint64_t v_)
{
    for (int i = 7; i >= 0; i--) {
        p_[i] = (unsigned char) v_;
        v_ >>= 8;
    }
}

/*  A 64-byte ZMTP 3.x greeting with the given version and mechanism (copied
 *  up to 20 bytes, NUL padded).  */
__attribute__ ((unused)) static void hu_greeting (unsigned char *g_,
                                                  unsigned char major_,
                                                  unsigned char minor_,
                                                  const char *mechanism_,
                                                  int as_server_)
{
    memset (g_, 0, HU_GREETING_SIZE);
    g_[0] = 0xff;
    g_[8] = 0x01; /*  padding: libzmq sends be64(1) for an empty identity  */
    g_[9] = 0x7f;
    g_[10] = major_;
    g_[11] = minor_;
    const size_t n = strlen (mechanism_);
    memcpy (g_ + 12, mechanism_, n < 20 ? n : 20);
    g_[32] = as_server_ ? 1 : 0;
}

/*  A frame header: flags and size; the size is written in the long form
 *  (and LONG set) when flags has LONG or size > 255. Returns its length
 *  (2 or 9).  */
__attribute__ ((unused)) static size_t
hu_put_header (unsigned char *p_, unsigned char flags_, uint64_t size_)
{
    if ((flags_ & HU_FLAG_LONG) || size_ > 255) {
        p_[0] = (unsigned char) (flags_ | HU_FLAG_LONG);
        hu_put_u64 (p_ + 1, size_);
        return 9;
    }
    p_[0] = flags_;
    p_[1] = (unsigned char) size_;
    return 2;
}

/*  A whole frame (header + body) into p_ (cap_ bytes); returns its length.  */
__attribute__ ((unused)) static size_t hu_put_frame (unsigned char *p_,
                                                     size_t cap_,
                                                     unsigned char flags_,
                                                     const void *body_,
                                                     size_t len_)
{
    CHECK (len_ + 9 <= cap_);
    const size_t h = hu_put_header (p_, flags_, len_);
    if (len_)
        memcpy (p_ + h, body_, len_);
    return h + len_;
}

/*  Appends one metadata property (name_len:u8 name value_len:u32 value) at
 *  p_; returns its length.  */
__attribute__ ((unused)) static size_t hu_put_property (unsigned char *p_,
                                                        const char *name_,
                                                        const void *value_,
                                                        size_t value_len_)
{
    const size_t nl = strlen (name_);
    p_[0] = (unsigned char) nl;
    memcpy (p_ + 1, name_, nl);
    hu_put_u32 (p_ + 1 + nl, (uint32_t) value_len_);
    if (value_len_)
        memcpy (p_ + 5 + nl, value_, value_len_);
    return 5 + nl + value_len_;
}

/*  The body of a READY command ("\5READY" + Socket-Type property) into p_;
 *  socket_type_ NULL leaves the property out. Returns its length.  */
__attribute__ ((unused)) static size_t
hu_put_ready_body (unsigned char *p_, const char *socket_type_)
{
    memcpy (p_, "\5READY", 6);
    size_t n = 6;
    if (socket_type_)
        n += hu_put_property (p_ + n, "Socket-Type", socket_type_,
                              strlen (socket_type_));
    return n;
}

/*  A whole READY command frame with Socket-Type into p_; returns its
 *  length.  */
__attribute__ ((unused)) static size_t
hu_put_ready_frame (unsigned char *p_, size_t cap_, const char *socket_type_)
{
    unsigned char body[300];
    CHECK (socket_type_ == NULL || strlen (socket_type_) < 250);
    const size_t n = hu_put_ready_body (body, socket_type_);
    return hu_put_frame (p_, cap_, HU_FLAG_COMMAND, body, n);
}

/*  Reads one frame from the server; checks it is a command frame named
 *  name_ (e.g. "READY") and returns its body length.  */
__attribute__ ((unused)) static size_t hu_read_command (int fd_,
                                                        const char *name_,
                                                        unsigned char *body_,
                                                        size_t cap_)
{
    unsigned char hdr[9];
    if (hu_read_exact (fd_, hdr, 1, HU_PROMPT_MS) != 0)
        tu_fail (__FILE__, __LINE__, "reading a command frame header: %s",
                 strerror (errno));
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
    CHECK_EQ_INT (hdr[0] & (HU_FLAG_COMMAND | HU_FLAG_MORE), HU_FLAG_COMMAND);
    CHECK (size <= cap_);
    CHECK_EQ_INT (hu_read_exact (fd_, body_, (size_t) size, HU_PROMPT_MS), 0);
    const size_t nl = strlen (name_);
    CHECK (size >= 1 + nl);
    CHECK_EQ_INT (body_[0], nl);
    CHECK_EQ_MEM (body_ + 1, name_, nl);
    return (size_t) size;
}

/*  Reads the server's 64-byte greeting and checks it is ZMTP 3.x with the
 *  NULL mechanism.  */
__attribute__ ((unused)) static void hu_read_null_greeting (int fd_)
{
    unsigned char g[HU_GREETING_SIZE];
    if (hu_read_exact (fd_, g, sizeof g, HU_PROMPT_MS) != 0)
        tu_fail (__FILE__, __LINE__, "reading the server greeting: %s",
                 strerror (errno));
    CHECK_EQ_INT (g[0], 0xff);
    CHECK_EQ_INT (g[9] & 0x01, 1);
    CHECK_EQ_INT (g[9], 0x7f);
    CHECK_EQ_INT (g[10], 3);
    CHECK_EQ_MEM (g + 12, "NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
}

/*  A complete NULL-mechanism handshake as a peer of type socket_type_
 *  (e.g. "PUSH"): sends greeting + READY, reads and checks the server's
 *  greeting and READY.  */
__attribute__ ((unused)) static void hu_handshake_null (int fd_,
                                                        const char *socket_type_)
{
    unsigned char out[HU_GREETING_SIZE + 300];
    hu_greeting (out, 3, 0, "NULL", 0);
    const size_t n =
      HU_GREETING_SIZE
      + hu_put_ready_frame (out + HU_GREETING_SIZE,
                            sizeof out - HU_GREETING_SIZE, socket_type_);
    HU_SEND (fd_, out, n);
    hu_read_null_greeting (fd_);
    unsigned char body[512];
    hu_read_command (fd_, "READY", body, sizeof body);
}

/*  Sends one complete message frame (the server must accept it).  */
__attribute__ ((unused)) static void
hu_send_frame (int fd_, unsigned char flags_, const char *text_)
{
    unsigned char hdr[9];
    const size_t len = strlen (text_);
    const size_t h = hu_put_header (hdr, flags_, len);
    HU_SEND (fd_, hdr, h);
    HU_SEND (fd_, text_, len);
}

/* ---------------------------------------------------------- resources ---- */

/*  Number of open file descriptors of this process (/proc/self/fd).  */
__attribute__ ((unused)) static int hu_count_fds (void)
{
    DIR *d = opendir ("/proc/self/fd");
    CHECK_NOT_NULL (d);
    int n = 0;
    const struct dirent *e;
    while ((e = readdir (d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir (d);
    return n - 1; /*  the directory's own fd  */
}

/*  Deterministic pseudo-random bytes (xorshift32), so a failure is
 *  reproducible.  */
__attribute__ ((unused)) static void
hu_fill_random (unsigned char *p_, size_t n_, uint32_t seed_)
{
    uint32_t x = seed_ ? seed_ : 0x9e3779b9u;
    for (size_t i = 0; i < n_; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p_[i] = (unsigned char) (x >> 24);
    }
}

#endif
