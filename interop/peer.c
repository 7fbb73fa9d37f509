/*
 * interop/peer.c - one side of a ZeroMQ interoperability scenario.
 *
 * The same source is compiled twice by interop/run.sh: once against Debian's
 * libzmq and once against ferrozmq.  Two processes (one of each, or two of
 * the same for --reference) then talk to each other over tcp or ipc.
 *
 * Usage:
 *   peer <pair> <a|b> <bind|connect> <endpoint[,back-endpoint]> <scenario>
 *   peer --version
 *
 *   pair      two socket types joined by '-', e.g. req-router, pub-sub.
 *             Side "a" plays the first type (the initiator: PAIR/DEALER/
 *             ROUTER sending first, PUSH, REQ, PUB/XPUB), side "b" the
 *             second (the responder / receiver / subscriber).
 *   bind      bind the endpoint(s) and print the resolved endpoint(s)
 *             (ZMQ_LAST_ENDPOINT, comma separated) as ONE line on stdout;
 *             use tcp://127.0.0.1:* for an ephemeral port.
 *   connect   connect to the endpoint(s) printed by the binding side.
 *   scenario  basic | multipart | sizes          (non pub/sub pairs)
 *             filter | sizes                     (pub/sub pairs)
 *             monitor | heartbeat | proxy        (features, on the "basic"
 *                                                 exchange; proxy: req-rep)
 *
 * Feature scenarios (each checks this side's library against the other):
 *   monitor   both sides monitor their socket (ZMQ_EVENT_ALL) and, after
 *             the exchange, check the events of the connection: LISTENING
 *             then ACCEPTED (bind side) or CONNECTED (connect side), then
 *             HANDSHAKE_SUCCEEDED, with the socket's endpoint.
 *   heartbeat side a alone sets ZMQ_HEARTBEAT_IVL 50 ms / TIMEOUT 250 ms;
 *             it idles 1 s after the handshake (so only side b's PONGs keep
 *             the connection) and must see no DISCONNECTED, then exchanges.
 *   proxy     side b (REP) sits behind a zmq_proxy in its own process:
 *             ROUTER frontend on the endpoint -> DEALER backend (inproc)
 *             -> REP; side a's REQ talks to the other library's proxy.
 *
 * Pub/sub pairs use a REQ(subscriber) -> REP(publisher) back-channel on a
 * second endpoint so the publisher knows when the subscriber is ready (the
 * slow-joiner problem), and both know when the other one is finished:
 *   publisher: publish sync topic(s) until "ready" arrives -> reply "go"
 *   subscriber: after seeing every sync topic -> "ready", wait for "go"
 *   publisher: publish the scenario's messages
 *   subscriber: check them, (filter) unsubscribe, -> "done"
 *   publisher: (XPUB, filter) wait for the 0x00+topic message -> "bye"
 * The subscriber closes its SUB/XSUB with ZMQ_LINGER 0: once the publisher
 * is gone, libzmq re-queues the subscriptions for the reconnect ("hiccup"),
 * and a non-zero linger would then wait for the whole linger period.  When binding, the back-channel endpoint is derived
 * from the main one: the same string if it contains '*' (tcp wildcard port),
 * otherwise the main endpoint with ".back" appended (ipc path).
 *
 * Everything that blocks is bounded: ZMQ_RCVTIMEO/ZMQ_SNDTIMEO on every
 * socket, ZMQ_LINGER on close, bounded retry loops, and alarm() overall.
 *
 * Exit codes: 0 scenario passed, 1 check failed, 2 setup/usage/API error,
 * 3 overall timeout (SIGALRM).
 *
 * The first line on stderr is always
 *   [tag] zmq_version X.Y.Z header X.Y.Z lib=/path/of/loaded/libzmq[,...]
 * (runtime version, version of the zmq.h compiled against, and every
 * mapped file whose name starts with "libzmq")
 * so the runner can verify which library was really loaded.
 */
#define _POSIX_C_SOURCE 200809L

#include <zmq.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 10000 /* per blocking send/recv */
#define LINGER_MS 10000     /* bounded flush on close */
#define OVERALL_ALARM_S 25  /* whole process (runner's timeout is 30) */
#define RETRY_WINDOW_MS 10000

static char g_tag[64] = "peer";

/* ------------------------------------------------------------------ */
/* logging / failure                                                    */

static void vlog_line (const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf (buf, sizeof buf, "[%s] %s", g_tag, prefix);
    if (n < 0)
        n = 0;
    if ((size_t) n < sizeof buf)
        vsnprintf (buf + n, sizeof buf - (size_t) n, fmt, ap);
    fprintf (stderr, "%s\n", buf);
    fflush (stderr);
}

static void info (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vlog_line ("", fmt, ap);
    va_end (ap);
}

/* Exit immediately (no zmq_ctx_term: it could block on a broken peer). */
static void die (int code, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vlog_line ("FAIL: ", fmt, ap);
    va_end (ap);
    fflush (stdout);
    _exit (code);
}

static void on_alarm (int sig)
{
    static const char msg[] = "FAIL: overall timeout (alarm) expired\n";
    (void) sig;
    if (write (2, "[", 1) < 0 || write (2, g_tag, strlen (g_tag)) < 0
        || write (2, "] ", 2) < 0 || write (2, msg, sizeof msg - 1) < 0) {
        /* nothing useful to do */
    }
    _exit (3);
}

static int64_t now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms (long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------ */
/* socket types and pairs                                               */

static const struct
{
    const char *name;
    int type;
} k_types[] = {
  {"pair", ZMQ_PAIR},     {"pub", ZMQ_PUB},   {"sub", ZMQ_SUB},
  {"req", ZMQ_REQ},       {"rep", ZMQ_REP},   {"dealer", ZMQ_DEALER},
  {"router", ZMQ_ROUTER}, {"pull", ZMQ_PULL}, {"push", ZMQ_PUSH},
  {"xpub", ZMQ_XPUB},     {"xsub", ZMQ_XSUB},
};

/* RFC 37 compatible pairs: first = side a, second = side b. */
static const char *const k_pairs[] = {
  "pair-pair",     "push-pull",     "req-rep",       "req-router",
  "dealer-rep",    "dealer-router", "dealer-dealer", "router-router",
  "pub-sub",       "xpub-sub",      "pub-xsub",      "xpub-xsub",
};

static int type_of (const char *name)
{
    size_t i;
    for (i = 0; i < sizeof k_types / sizeof k_types[0]; i++)
        if (strcmp (k_types[i].name, name) == 0)
            return k_types[i].type;
    return -1;
}

static int is_pub (int t)
{
    return t == ZMQ_PUB || t == ZMQ_XPUB;
}
static int is_sub (int t)
{
    return t == ZMQ_SUB || t == ZMQ_XSUB;
}

/* ------------------------------------------------------------------ */
/* frames and messages                                                  */

typedef struct
{
    size_t len;
    unsigned char *data; /* owned */
} frame_t;

#define MAX_FRAMES 8
typedef struct
{
    size_t n;
    frame_t f[MAX_FRAMES];
} msg_t;

/* Deterministic content derived from (size, seed, index). */
static unsigned char pattern_byte (size_t size, unsigned seed, size_t i)
{
    uint32_t x = (uint32_t) i * 2654435761u + (uint32_t) size * 40503u
                 + seed * 97u + 0x9e3779b9u;
    x ^= x >> 15;
    return (unsigned char) (x >> 3);
}

static frame_t frame_bytes (const void *data, size_t len)
{
    frame_t f;
    f.len = len;
    f.data = malloc (len ? len : 1);
    if (!f.data)
        die (2, "out of memory (%zu bytes)", len);
    if (len)
        memcpy (f.data, data, len);
    return f;
}

static frame_t frame_str (const char *s)
{
    return frame_bytes (s, strlen (s));
}

static frame_t frame_pattern (size_t size, unsigned seed)
{
    frame_t f;
    size_t i;
    f.len = size;
    f.data = malloc (size ? size : 1);
    if (!f.data)
        die (2, "out of memory (%zu bytes)", size);
    for (i = 0; i < size; i++)
        f.data[i] = pattern_byte (size, seed, i);
    return f;
}

static void msg_free (msg_t *m)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        free (m->f[i].data);
    m->n = 0;
}

static void msg_add (msg_t *m, frame_t f)
{
    if (m->n >= MAX_FRAMES)
        die (2, "internal: too many frames");
    m->f[m->n++] = f;
}

static msg_t msg1 (frame_t f)
{
    msg_t m;
    memset (&m, 0, sizeof m);
    msg_add (&m, f);
    return m;
}

static void describe (const msg_t *m, char *out, size_t cap)
{
    size_t i, used = 0;
    out[0] = 0;
    for (i = 0; i < m->n && used + 40 < cap; i++) {
        const frame_t *f = &m->f[i];
        size_t j, k = 0;
        char txt[24];
        for (j = 0; j < f->len && k < sizeof txt - 4; j++) {
            unsigned char c = f->data[j];
            txt[k++] = (c >= 32 && c < 127) ? (char) c : '.';
        }
        txt[k] = 0;
        used += (size_t) snprintf (out + used, cap - used, "%s%zu:\"%s%s\"",
                                   i ? " | " : "", f->len, txt,
                                   f->len > k ? "..." : "");
    }
}

/* A received multipart message. */
typedef struct
{
    size_t n;
    zmq_msg_t m[MAX_FRAMES + 4];
} parts_t;

static void parts_close (parts_t *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        zmq_msg_close (&p->m[i]);
    p->n = 0;
}

static const unsigned char *pdata (parts_t *p, size_t i)
{
    return (const unsigned char *) zmq_msg_data (&p->m[i]);
}
static size_t plen (parts_t *p, size_t i)
{
    return zmq_msg_size (&p->m[i]);
}

/* Receive one whole multipart message (bounded by ZMQ_RCVTIMEO). */
static void recv_parts (void *s, parts_t *p, const char *what)
{
    p->n = 0;
    for (;;) {
        zmq_msg_t *m;
        if (p->n >= sizeof p->m / sizeof p->m[0])
            die (1, "%s: message has more than %zu frames", what, p->n);
        m = &p->m[p->n];
        zmq_msg_init (m);
        if (zmq_msg_recv (m, s, 0) < 0) {
            int e = zmq_errno ();
            if (e == EAGAIN)
                die (1, "%s: timed out after %d ms waiting for frame %zu", what,
                     IO_TIMEOUT_MS, p->n);
            die (2, "%s: zmq_msg_recv: %s", what, zmq_strerror (e));
        }
        p->n++;
        if (!zmq_msg_more (m))
            break;
    }
}

static void send_frame (void *s, const void *data, size_t len, int more,
                        int retry_unreachable, const char *what)
{
    int64_t deadline = now_ms () + RETRY_WINDOW_MS;
    for (;;) {
        int rc = zmq_send (s, data, len, more ? ZMQ_SNDMORE : 0);
        if (rc >= 0) {
            if ((size_t) rc != len)
                die (2, "%s: zmq_send returned %d for %zu bytes", what, rc, len);
            return;
        }
        {
            int e = zmq_errno ();
            /* A ROUTER (with ZMQ_ROUTER_MANDATORY) does not know the peer
             * until its handshake is done: retry, bounded.  */
            if (e == EHOSTUNREACH && retry_unreachable
                && now_ms () < deadline) {
                pause_ms (1);
                continue;
            }
            if (e == EAGAIN)
                die (1, "%s: send timed out after %d ms", what, IO_TIMEOUT_MS);
            die (2, "%s: zmq_send: %s", what, zmq_strerror (e));
        }
    }
}

static void send_msg (void *s, const msg_t *m, const char *what)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        send_frame (s, m->f[i].data, m->f[i].len, i + 1 < m->n, 0, what);
}

/* Compare p[first..] with m; returns 1 if equal, else reports and dies. */
static void expect_frames (parts_t *p, size_t first, const msg_t *m,
                           const char *what)
{
    size_t i;
    char exp[512], got[512];
    msg_t g;
    if (p->n - first != m->n) {
        g.n = 0;
        for (i = first; i < p->n && g.n < MAX_FRAMES; i++) {
            g.f[g.n].len = plen (p, i);
            g.f[g.n].data = (unsigned char *) pdata (p, i);
            g.n++;
        }
        describe (m, exp, sizeof exp);
        describe (&g, got, sizeof got);
        die (1, "%s: expected %zu frame(s) [%s], got %zu [%s]", what, m->n,
             exp, p->n - first, got);
    }
    for (i = 0; i < m->n; i++) {
        size_t gl = plen (p, first + i);
        const unsigned char *gd = pdata (p, first + i);
        if (gl != m->f[i].len)
            die (1, "%s: frame %zu: expected %zu bytes, got %zu", what, i,
                 m->f[i].len, gl);
        if (gl && memcmp (gd, m->f[i].data, gl) != 0) {
            size_t j = 0;
            while (gd[j] == m->f[i].data[j])
                j++;
            die (1,
                 "%s: frame %zu (%zu bytes): content differs at offset %zu "
                 "(expected 0x%02x, got 0x%02x)",
                 what, i, gl, j, m->f[i].data[j], gd[j]);
        }
    }
}

static int parts_is (parts_t *p, const char *s)
{
    size_t l = strlen (s);
    return p->n == 1 && plen (p, 0) == l && memcmp (pdata (p, 0), s, l) == 0;
}

/* ------------------------------------------------------------------ */
/* context / sockets                                                    */

static void *g_ctx;

static void set_int (void *s, int opt, int v, const char *name)
{
    if (zmq_setsockopt (s, opt, &v, sizeof v) != 0)
        die (2, "zmq_setsockopt(%s=%d): %s", name, v,
             zmq_strerror (zmq_errno ()));
}

static void set_bytes (void *s, int opt, const void *v, size_t l,
                       const char *name)
{
    if (zmq_setsockopt (s, opt, v, l) != 0)
        die (2, "zmq_setsockopt(%s): %s", name, zmq_strerror (zmq_errno ()));
}

static void *new_socket (int type, const char *name)
{
    void *s = zmq_socket (g_ctx, type);
    if (!s)
        die (2, "zmq_socket(%s): %s", name, zmq_strerror (zmq_errno ()));
    set_int (s, ZMQ_RCVTIMEO, IO_TIMEOUT_MS, "ZMQ_RCVTIMEO");
    set_int (s, ZMQ_SNDTIMEO, IO_TIMEOUT_MS, "ZMQ_SNDTIMEO");
    set_int (s, ZMQ_LINGER, LINGER_MS, "ZMQ_LINGER");
    return s;
}

/* wss:// (draft; Debian's header lacks the options): the binding side
 * serves interop/wss/leaf.pem, the connecting side trusts interop/wss/ca.pem
 * and expects the name ferrozmq.test. run.sh names the directory. */
#ifndef ZMQ_WSS_KEY_PEM
#define ZMQ_WSS_KEY_PEM 103
#define ZMQ_WSS_CERT_PEM 104
#define ZMQ_WSS_TRUST_PEM 105
#define ZMQ_WSS_HOSTNAME 106
#endif

static void set_file (void *s, int option, const char *name)
{
    const char *dir = getenv ("INTEROP_WSS_DIR");
    char path[1024], text[8192];
    if (!dir)
        die (2, "wss: INTEROP_WSS_DIR is not set");
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "rb");
    if (!f)
        die (2, "wss: cannot open %s", path);
    size_t n = fread (text, 1, sizeof text, f);
    fclose (f);
    if (zmq_setsockopt (s, option, text, n) != 0)
        die (2, "wss: zmq_setsockopt(%d): %s", option,
             zmq_strerror (zmq_errno ()));
}

static void wss_options (void *s, int do_bind, const char *ep)
{
    if (strncmp (ep, "wss://", 6) != 0)
        return;
    if (do_bind) {
        set_file (s, ZMQ_WSS_CERT_PEM, "leaf.pem");
        set_file (s, ZMQ_WSS_KEY_PEM, "leaf.key");
    } else {
        set_file (s, ZMQ_WSS_TRUST_PEM, "ca.pem");
        if (zmq_setsockopt (s, ZMQ_WSS_HOSTNAME, "ferrozmq.test", 13) != 0)
            die (2, "wss: zmq_setsockopt(ZMQ_WSS_HOSTNAME): %s",
                 zmq_strerror (zmq_errno ()));
    }
}

/* Bind or connect; when binding, append ZMQ_LAST_ENDPOINT to out. */
static void attach (void *s, int do_bind, const char *ep, char *out,
                    size_t cap, const char *what)
{
    wss_options (s, do_bind, ep);
    if (do_bind) {
        char last[512];
        size_t l = sizeof last;
        if (zmq_bind (s, ep) != 0)
            die (2, "zmq_bind(%s) [%s]: %s", ep, what,
                 zmq_strerror (zmq_errno ()));
        if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, last, &l) != 0)
            die (2, "zmq_getsockopt(ZMQ_LAST_ENDPOINT) [%s]: %s", what,
                 zmq_strerror (zmq_errno ()));
        last[sizeof last - 1] = 0;
        if (out[0])
            strncat (out, ",", cap - strlen (out) - 1);
        strncat (out, last, cap - strlen (out) - 1);
        info ("bound %s to %s", what, last);
    } else {
        if (zmq_connect (s, ep) != 0)
            die (2, "zmq_connect(%s) [%s]: %s", ep, what,
                 zmq_strerror (zmq_errno ()));
        info ("connecting %s to %s", what, ep);
    }
}

static void close_socket (void *s)
{
    if (s && zmq_close (s) != 0)
        die (2, "zmq_close: %s", zmq_strerror (zmq_errno ()));
}

/* ------------------------------------------------------------------ */
/* scenario contents                                                    */

static const size_t k_sizes[] = {0, 1, 33, 34, 255, 256, 65536, 4u << 20};
#define N_SIZES (sizeof k_sizes / sizeof k_sizes[0])

#define MAX_MSGS 16
typedef struct
{
    size_t n;
    msg_t req[MAX_MSGS]; /* a -> b */
    msg_t rep[MAX_MSGS]; /* b -> a (if the pattern allows replies) */
} script_t;

static void build_script (script_t *sc, const char *scenario)
{
    sc->n = 0;
    if (strcmp (scenario, "basic") == 0) {
        sc->req[0] = msg1 (frame_str ("hello"));
        sc->rep[0] = msg1 (frame_str ("world"));
        sc->n = 1;
    } else if (strcmp (scenario, "multipart") == 0) {
        msg_t *q, *r;
        /* 3 frames, the middle one empty */
        q = &sc->req[0];
        r = &sc->rep[0];
        q->n = r->n = 0;
        msg_add (q, frame_str ("frame-1"));
        msg_add (q, frame_str (""));
        msg_add (q, frame_str ("frame-3"));
        msg_add (r, frame_str ("reply-1"));
        msg_add (r, frame_str (""));
        msg_add (r, frame_str ("reply-3"));
        /* empty first and last frames */
        q = &sc->req[1];
        r = &sc->rep[1];
        q->n = r->n = 0;
        msg_add (q, frame_str (""));
        msg_add (q, frame_str ("middle"));
        msg_add (q, frame_str (""));
        msg_add (r, frame_str (""));
        msg_add (r, frame_str ("elddim"));
        msg_add (r, frame_str (""));
        /* short and long (8-byte size) frames mixed in one message */
        q = &sc->req[2];
        r = &sc->rep[2];
        q->n = r->n = 0;
        msg_add (q, frame_pattern (300, 11));
        msg_add (q, frame_str (""));
        msg_add (q, frame_pattern (70000, 12));
        msg_add (r, frame_pattern (70000, 13));
        msg_add (r, frame_str (""));
        msg_add (r, frame_pattern (255, 14));
        sc->n = 3;
    } else if (strcmp (scenario, "sizes") == 0) {
        size_t i;
        for (i = 0; i < N_SIZES; i++) {
            sc->req[i] = msg1 (frame_pattern (k_sizes[i], 1));
            sc->rep[i] = msg1 (frame_pattern (k_sizes[i], 2));
        }
        sc->n = N_SIZES;
    } else
        die (2, "unknown scenario '%s' (basic|multipart|sizes)", scenario);
}

static void free_script (script_t *sc)
{
    size_t i;
    for (i = 0; i < sc->n; i++) {
        msg_free (&sc->req[i]);
        msg_free (&sc->rep[i]);
    }
}

/* ------------------------------------------------------------------ */
/* request/reply style patterns (everything except pub/sub)             */

/* ------------------------------------------------------------------ */
/* feature scenarios: monitor, heartbeat, proxy                          */

#define MONITOR_EP "inproc://interop-monitor"

/* Starts a monitor on s and returns the PAIR reading it. */
static void *start_monitor (void *s)
{
    void *m;
    if (zmq_socket_monitor (s, MONITOR_EP, ZMQ_EVENT_ALL) != 0)
        die (2, "zmq_socket_monitor: %s", zmq_strerror (zmq_errno ()));
    m = new_socket (ZMQ_PAIR, "monitor");
    set_int (m, ZMQ_LINGER, 0, "ZMQ_LINGER");
    if (zmq_connect (m, MONITOR_EP) != 0)
        die (2, "zmq_connect(monitor): %s", zmq_strerror (zmq_errno ()));
    return m;
}

/* The next event (value and endpoint into the outputs), or -1 when none
 * arrives within timeout_ms. */
static int monitor_event (void *m, int timeout_ms, char *ep, size_t cap)
{
    unsigned char head[6];
    uint16_t ev;
    int n;
    set_int (m, ZMQ_RCVTIMEO, timeout_ms, "ZMQ_RCVTIMEO");
    n = zmq_recv (m, head, sizeof head, 0);
    if (n < 0)
        return -1;
    if (n != 6)
        die (1, "monitor: event frame of %d bytes, want 6", n);
    n = zmq_recv (m, ep, cap - 1, 0);
    if (n < 0)
        die (1, "monitor: no endpoint frame: %s", zmq_strerror (zmq_errno ()));
    ep[(size_t) n < cap - 1 ? (size_t) n : cap - 1] = 0;
    memcpy (&ev, head, 2);
    return ev;
}

/* Checks the connection's events: bind side LISTENING, ACCEPTED; connect
 * side (CONNECT_DELAYED,) CONNECTED; then HANDSHAKE_SUCCEEDED. */
static void check_monitor_flow (void *m, int do_bind, const char *endpoint)
{
    static const int bind_flow[] = {ZMQ_EVENT_LISTENING, ZMQ_EVENT_ACCEPTED,
                                    ZMQ_EVENT_HANDSHAKE_SUCCEEDED};
    static const int connect_flow[] = {ZMQ_EVENT_CONNECTED,
                                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED};
    const int *flow = do_bind ? bind_flow : connect_flow;
    size_t n = do_bind ? 3 : 2, i;
    char ep[512];
    for (i = 0; i < n; i++) {
        int ev = monitor_event (m, IO_TIMEOUT_MS, ep, sizeof ep);
        if (ev == ZMQ_EVENT_CONNECT_DELAYED && !do_bind)
            ev = monitor_event (m, IO_TIMEOUT_MS, ep, sizeof ep);
        if (ev != flow[i])
            die (1, "monitor: event #%zu is %#x, want %#x", i, ev, flow[i]);
        if (flow[i] != ZMQ_EVENT_HANDSHAKE_SUCCEEDED && endpoint
            && strcmp (ep, endpoint) != 0)
            die (1, "monitor: event %#x names '%s', want '%s'", ev, ep,
                 endpoint);
    }
    info ("monitor: %s events as expected", do_bind ? "bind" : "connect");
}

/* Side a of "heartbeat": waits for the handshake, idles 1 s on heartbeats
 * alone and checks the connection stayed up. */
static void heartbeat_idle (void *m)
{
    char ep[512];
    int ev;
    do {
        ev = monitor_event (m, IO_TIMEOUT_MS, ep, sizeof ep);
        if (ev < 0)
            die (1, "heartbeat: no HANDSHAKE_SUCCEEDED");
    } while (ev != ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    for (;;) {
        ev = monitor_event (m, 1000, ep, sizeof ep);
        if (ev < 0)
            break;
        if (ev == ZMQ_EVENT_DISCONNECTED)
            die (1, "heartbeat: the peer was dropped (no PONG?)");
    }
    info ("heartbeat: connection kept for 1 s by PING/PONG");
}

/* ------------------------------------------------------------------ */
/* security scenarios: plain, curve, curve-nozap, zap-deny, curve-badkey */
/* Side a is the client, side b the server (with a ZAP handler in its
 * process unless curve-nozap). Keys: the example pairs of zmq_curve(7). */

#define SERVER_PUBLIC "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define SERVER_SECRET "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
#define CLIENT_PUBLIC "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"
#define CLIENT_SECRET "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
/* A valid key nobody holds the secret of (the wrong server key). */
#define OTHER_PUBLIC "ARKGCfRrZ/ry*&d/mNOP+nqdDB!NWdyLu=vlsLiN"

typedef struct
{
    void *rep;
    int deny, handled, bad;
    int stop; /* set by main, read by the ZAP thread: __atomic builtins */
} zap_run_t;

static int is_security (const char *f)
{
    return f
           && (strcmp (f, "plain") == 0 || strcmp (f, "curve") == 0
               || strcmp (f, "curve-nozap") == 0 || strcmp (f, "zap-deny") == 0
               || strcmp (f, "curve-badkey") == 0);
}

/* Receives one frame as a string ("" on error); *more tells if more follow. */
static int zap_frame (void *s, char *buf, size_t cap, int *more)
{
    int n = zmq_recv (s, buf, cap - 1, 0);
    size_t l = sizeof *more;
    if (n < 0)
        return -1;
    buf[(size_t) n < cap - 1 ? (size_t) n : cap - 1] = 0;
    zmq_getsockopt (s, ZMQ_RCVMORE, more, &l);
    return n;
}

/* The ZAP handler (RFC 27): PLAIN admin/password and the client key for
 * CURVE get 200 (user id "interop-user"), anything else 400; in "deny"
 * mode everyone gets 400. Polls so that it can be stopped. */
static void *zap_main (void *arg)
{
    zap_run_t *z = arg;
    set_int (z->rep, ZMQ_RCVTIMEO, 100, "ZMQ_RCVTIMEO");
    while (!__atomic_load_n (&z->stop, __ATOMIC_ACQUIRE)) {
        char f[8][256];
        int lens[8], more = 1, n = 0, ok;
        lens[0] = zap_frame (z->rep, f[0], sizeof f[0], &more);
        if (lens[0] < 0)
            continue;
        n = 1;
        while (more && n < 8) {
            lens[n] = zap_frame (z->rep, f[n], sizeof f[n], &more);
            if (lens[n] < 0)
                break;
            n++;
        }
        /* version, id, domain, address, identity, mechanism, creds */
        if (n < 6 || strcmp (f[0], "1.0") != 0) {
            z->bad++;
            continue;
        }
        if (strcmp (f[5], "PLAIN") == 0)
            ok = n == 8 && strcmp (f[6], "admin") == 0
                 && strcmp (f[7], "password") == 0;
        else if (strcmp (f[5], "CURVE") == 0) {
            char text[41];
            ok = n == 7 && lens[6] == 32
                 && zmq_z85_encode (text, (uint8_t *) f[6], 32)
                 && strcmp (text, CLIENT_PUBLIC) == 0;
        } else
            ok = 0;
        if (z->deny)
            ok = 0;
        zmq_send (z->rep, "1.0", 3, ZMQ_SNDMORE);
        zmq_send (z->rep, f[1], strlen (f[1]), ZMQ_SNDMORE);
        zmq_send (z->rep, ok ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send (z->rep, ok ? "OK" : "denied", ok ? 2 : 6, ZMQ_SNDMORE);
        zmq_send (z->rep, "interop-user", 12, ZMQ_SNDMORE);
        zmq_send (z->rep, "", 0, 0);
        z->handled++;
    }
    return NULL;
}

static void set_str (void *s, int opt, const char *v, const char *name)
{
    set_bytes (s, opt, v, strlen (v), name);
}

/* This side's security options for the scenario. */
static void security_setup (void *s, const char *f, int side_a)
{
    if (strcmp (f, "plain") == 0) {
        if (side_a) {
            set_str (s, ZMQ_PLAIN_USERNAME, "admin", "ZMQ_PLAIN_USERNAME");
            set_str (s, ZMQ_PLAIN_PASSWORD, "password", "ZMQ_PLAIN_PASSWORD");
        } else
            set_int (s, ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
        return;
    }
    if (side_a) {
        const char *server =
          strcmp (f, "curve-badkey") == 0 ? OTHER_PUBLIC : SERVER_PUBLIC;
        set_str (s, ZMQ_CURVE_SERVERKEY, server, "ZMQ_CURVE_SERVERKEY");
        set_str (s, ZMQ_CURVE_PUBLICKEY, CLIENT_PUBLIC, "ZMQ_CURVE_PUBLICKEY");
        set_str (s, ZMQ_CURVE_SECRETKEY, CLIENT_SECRET, "ZMQ_CURVE_SECRETKEY");
    } else {
        set_int (s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
        set_str (s, ZMQ_CURVE_SECRETKEY, SERVER_SECRET, "ZMQ_CURVE_SECRETKEY");
    }
}

/* The next event whose number is in `want` (a bit mask), its value in
 * *value; -1 on timeout. */
static int monitor_wait (void *m, int want, int timeout_ms, uint32_t *value)
{
    int64_t end = now_ms () + timeout_ms;
    for (;;) {
        unsigned char head[6];
        char ep[512];
        uint16_t ev;
        int left = (int) (end - now_ms ()), n;
        if (left <= 0)
            return -1;
        set_int (m, ZMQ_RCVTIMEO, left, "ZMQ_RCVTIMEO");
        n = zmq_recv (m, head, sizeof head, 0);
        if (n < 0)
            return -1;
        if (n != 6 || zmq_recv (m, ep, sizeof ep, 0) < 0)
            die (1, "monitor: bad event frames");
        memcpy (&ev, head, 2);
        if (ev & want) {
            if (value)
                memcpy (value, head + 2, 4);
            return ev;
        }
    }
}

/* A refused handshake: the events each side must see. */
static void check_refusal (void *m, const char *f, int side_a)
{
    uint32_t v = 0;
    int fail = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    int ev = monitor_wait (m, fail | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                                | (side_a ? ZMQ_EVENT_DISCONNECTED : 0),
                           IO_TIMEOUT_MS, &v);
    if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
        die (1, "%s: the handshake succeeded", f);
    if (strcmp (f, "zap-deny") == 0) {
        /* Both sides report the ZAP status (the client from the ERROR). */
        if (ev != ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || v != 400)
            die (1, "zap-deny: event %#x value %u, want AUTH 400", ev, v);
    } else if (!side_a) {
        if (ev != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            || v != ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
            die (1, "curve-badkey: server event %#x value %#x, want "
                    "PROTOCOL/CRYPTOGRAPHIC", ev, v);
    } else if (ev < 0)
        die (1, "curve-badkey: the client saw no failure");
    info ("%s: refused as expected (event %#x value %u)", f, ev, v);
}

typedef struct
{
    void *frontend, *backend;
    int rc, err;
} proxy_run_t;

static void *proxy_main (void *arg)
{
    proxy_run_t *p = arg;
    p->rc = zmq_proxy (p->frontend, p->backend, NULL);
    p->err = zmq_errno ();
    return NULL;
}

#define ID_A "peer-a-id"     /* REQ/DEALER routing id in "basic" */
#define ID_RA "router-a"     /* ROUTER-ROUTER, side a */
#define ID_RB "router-b"     /* ROUTER-ROUTER, side b */

static void run_exchange (void *s, int me, int peer, int side_a,
                          const char *scenario)
{
    script_t sc;
    size_t i;
    int replies = !(me == ZMQ_PUSH || me == ZMQ_PULL);
    /* envelope rules (what the application sees on each side) */
    int router_env = me == ZMQ_ROUTER;                /* [id] first */
    int empty_delim = (me == ZMQ_ROUTER && peer == ZMQ_REQ)
                      || (me == ZMQ_DEALER && peer == ZMQ_REP);
    int expect_set_id = strcmp (scenario, "basic") == 0;
    char idbuf[256];
    size_t idlen = 0;

    build_script (&sc, scenario);

    for (i = 0; i < sc.n; i++) {
        char what[64];
        parts_t p;
        size_t first = 0;
        msg_t *out = side_a ? &sc.req[i] : &sc.rep[i];
        msg_t *in = side_a ? &sc.rep[i] : &sc.req[i];

        if (side_a) {
            /* a sends first */
            snprintf (what, sizeof what, "send #%zu", i);
            if (router_env) /* ROUTER-ROUTER: address b by its known id */
                send_frame (s, ID_RB, strlen (ID_RB), 1, 1, what);
            if (empty_delim)
                send_frame (s, "", 0, 1, 0, what);
            send_msg (s, out, what);
            if (!replies)
                continue;
        }

        snprintf (what, sizeof what, "recv #%zu", i);
        recv_parts (s, &p, what);
        if (router_env) {
            if (p.n < 1)
                die (1, "%s: no routing id frame", what);
            if (plen (&p, 0) == 0 || plen (&p, 0) > sizeof idbuf)
                die (1, "%s: bad routing id length %zu", what, plen (&p, 0));
            if (peer == ZMQ_ROUTER) {
                const char *want = side_a ? ID_RB : ID_RA;
                if (plen (&p, 0) != strlen (want)
                    || memcmp (pdata (&p, 0), want, strlen (want)) != 0)
                    die (1, "%s: routing id is not '%s'", what, want);
            } else if (expect_set_id) {
                if (plen (&p, 0) != strlen (ID_A)
                    || memcmp (pdata (&p, 0), ID_A, strlen (ID_A)) != 0)
                    die (1, "%s: routing id is not the peer's ZMQ_ROUTING_ID "
                            "'" ID_A "'",
                         what);
            } else {
                /* generated by the ROUTER: must start with a zero byte */
                if (pdata (&p, 0)[0] != 0)
                    die (1, "%s: generated routing id does not start with 0",
                         what);
                if (idlen
                    && (idlen != plen (&p, 0)
                        || memcmp (idbuf, pdata (&p, 0), idlen) != 0))
                    die (1, "%s: generated routing id changed between "
                            "messages",
                         what);
            }
            idlen = plen (&p, 0);
            memcpy (idbuf, pdata (&p, 0), idlen);
            first = 1;
        }
        if (empty_delim) {
            if (p.n <= first || plen (&p, first) != 0)
                die (1, "%s: missing empty delimiter frame", what);
            first++;
        }
        expect_frames (&p, first, in, what);
        parts_close (&p);

        if (!side_a && replies) {
            snprintf (what, sizeof what, "reply #%zu", i);
            if (router_env)
                send_frame (s, idbuf, idlen, 1, 0, what);
            if (empty_delim)
                send_frame (s, "", 0, 1, 0, what);
            send_msg (s, out, what);
        }
    }
    info ("%s: %zu message(s) %s", scenario, sc.n,
          replies ? "exchanged" : (side_a ? "sent" : "received"));
    free_script (&sc);
}

/* ------------------------------------------------------------------ */
/* pub/sub patterns                                                     */

#define SYNC_POLL_MS 10

/* Publisher side of the filter / sizes scenarios. */
static void run_publisher (void *s, void *back, int me, const char *scenario)
{
    int filter = strcmp (scenario, "filter") == 0;
    const char *const *syncs;
    static const char *const filter_syncs[] = {"news.sync", "sports.sync", 0};
    static const char *const sizes_syncs[] = {"sync", 0};
    static const char *const filter_msgs[] = {
      "weather.1", "news.1",   "news",   "sports.2", "News.3",
      "xnews.4",   "@MULTI@", "news.", "sportsX",  "sports.end",
    };
    int64_t deadline;
    long rounds = 0;
    parts_t p;
    size_t i;

    syncs = filter ? filter_syncs : sizes_syncs;

    if (me == ZMQ_XPUB) {
        /* The subscriber's subscriptions must reach us as 0x01+topic. */
        const char *want[2];
        int seen[2] = {0, 0}, nwant = filter ? 2 : 1;
        want[0] = filter ? "\001news." : "\001";
        want[1] = "\001sports.";
        while (!(seen[0] && (nwant < 2 || seen[1]))) {
            int k, hit = 0;
            recv_parts (s, &p, "xpub: waiting for subscription message");
            for (k = 0; k < nwant; k++)
                if (p.n == 1 && plen (&p, 0) == strlen (want[k])
                    && memcmp (pdata (&p, 0), want[k], strlen (want[k])) == 0) {
                    if (seen[k])
                        die (1, "xpub: duplicate subscription message");
                    seen[k] = hit = 1;
                }
            if (!hit) {
                msg_t g;
                char d[256];
                g.n = 1;
                g.f[0].len = plen (&p, 0);
                g.f[0].data = (unsigned char *) pdata (&p, 0);
                describe (&g, d, sizeof d);
                die (1, "xpub: unexpected message while waiting for "
                        "subscriptions: %zu frame(s) [%s]",
                     p.n, d);
            }
            parts_close (&p);
        }
        info ("xpub: received subscription message(s) (0x01+topic)");
    }

    /* Slow joiner: publish the sync topic(s) until the subscriber says, on
     * the back-channel, that it has seen them all.  Bounded. */
    deadline = now_ms () + RETRY_WINDOW_MS;
    for (;;) {
        zmq_pollitem_t it;
        int rc;
        for (i = 0; syncs[i]; i++)
            if (zmq_send (s, syncs[i], strlen (syncs[i]), ZMQ_DONTWAIT) < 0
                && zmq_errno () != EAGAIN)
                die (2, "publish sync: %s", zmq_strerror (zmq_errno ()));
        rounds++;
        it.socket = back;
        it.fd = 0;
        it.events = ZMQ_POLLIN;
        it.revents = 0;
        rc = zmq_poll (&it, 1, SYNC_POLL_MS);
        if (rc < 0)
            die (2, "zmq_poll(back-channel): %s", zmq_strerror (zmq_errno ()));
        if (rc > 0 && (it.revents & ZMQ_POLLIN)) {
            recv_parts (back, &p, "back-channel ready");
            if (!parts_is (&p, "ready"))
                die (1, "back-channel: expected 'ready'");
            parts_close (&p);
            send_frame (back, "go", 2, 0, 0, "back-channel: send 'go'");
            break;
        }
        if (now_ms () > deadline)
            die (1, "subscriber never confirmed the sync topic (%ld rounds "
                    "in %d ms)",
                 rounds, RETRY_WINDOW_MS);
    }
    info ("subscriber ready after %ld sync round(s)", rounds);

    if (filter) {
        for (i = 0; i < sizeof filter_msgs / sizeof filter_msgs[0]; i++) {
            if (strcmp (filter_msgs[i], "@MULTI@") == 0) {
                send_frame (s, "news.multi", 10, 1, 0, "publish multipart");
                send_frame (s, "", 0, 1, 0, "publish multipart");
                send_frame (s, "third-frame", 11, 0, 0, "publish multipart");
            } else
                send_frame (s, filter_msgs[i], strlen (filter_msgs[i]), 0, 0,
                            "publish");
        }
    } else {
        for (i = 0; i < N_SIZES; i++) {
            frame_t f = frame_pattern (k_sizes[i], 3);
            send_frame (s, f.data, f.len, 0, 0, "publish size");
            free (f.data);
        }
    }

    recv_parts (back, &p, "back-channel: waiting for 'done'");
    if (!parts_is (&p, "done"))
        die (1, "back-channel: expected 'done'");
    parts_close (&p);

    if (me == ZMQ_XPUB && filter) {
        recv_parts (s, &p, "xpub: waiting for unsubscription message");
        if (!(p.n == 1 && plen (&p, 0) == 6
              && memcmp (pdata (&p, 0), "\000news.", 6) == 0))
            die (1, "xpub: expected unsubscription message 0x00+'news.'");
        parts_close (&p);
        info ("xpub: received unsubscription message (0x00+topic)");
    }
    send_frame (back, "bye", 3, 0, 0, "back-channel: send 'bye'");
    info ("%s: publisher done", scenario);
}

static void subscribe (void *s, int me, const char *topic, int on)
{
    if (me == ZMQ_SUB)
        set_bytes (s, on ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, topic,
                   strlen (topic), on ? "ZMQ_SUBSCRIBE" : "ZMQ_UNSUBSCRIBE");
    else {
        char buf[64];
        size_t l = strlen (topic);
        buf[0] = on ? 1 : 0;
        memcpy (buf + 1, topic, l);
        send_frame (s, buf, l + 1, 0, 0, "xsub: send (un)subscription");
    }
}

static int is_one_of (parts_t *p, const char *const *list, int *idx)
{
    int i;
    for (i = 0; list[i]; i++)
        if (parts_is (p, list[i])) {
            *idx = i;
            return 1;
        }
    return 0;
}

static void run_subscriber (void *s, void *back, int me, const char *scenario)
{
    int filter = strcmp (scenario, "filter") == 0;
    static const char *const filter_syncs[] = {"news.sync", "sports.sync", 0};
    static const char *const sizes_syncs[] = {"sync", 0};
    const char *const *syncs = filter ? filter_syncs : sizes_syncs;
    int nsync = filter ? 2 : 1, seen = 0, k;
    unsigned seenmask = 0;
    msg_t expected[16];
    size_t nexp = 0, i;
    long skipped = 0;
    parts_t p;

    if (filter) {
        subscribe (s, me, "news.", 1);
        subscribe (s, me, "sports.", 1);
        expected[nexp++] = msg1 (frame_str ("news.1"));
        expected[nexp++] = msg1 (frame_str ("sports.2"));
        expected[nexp].n = 0;
        msg_add (&expected[nexp], frame_str ("news.multi"));
        msg_add (&expected[nexp], frame_str (""));
        msg_add (&expected[nexp], frame_str ("third-frame"));
        nexp++;
        expected[nexp++] = msg1 (frame_str ("news."));
        expected[nexp++] = msg1 (frame_str ("sports.end"));
    } else {
        subscribe (s, me, "", 1);
        for (i = 0; i < N_SIZES; i++)
            expected[nexp++] = msg1 (frame_pattern (k_sizes[i], 3));
    }

    /* Until every sync topic has been seen, only sync messages may arrive. */
    while (seen < nsync) {
        recv_parts (s, &p, "waiting for sync topic");
        if (!is_one_of (&p, syncs, &k))
            die (1, "received a non-sync message before being ready");
        if (!(seenmask & (1u << k))) {
            seenmask |= 1u << k;
            seen++;
        }
        parts_close (&p);
    }
    send_frame (back, "ready", 5, 0, 0, "back-channel: send 'ready'");
    recv_parts (back, &p, "back-channel: waiting for 'go'");
    if (!parts_is (&p, "go"))
        die (1, "back-channel: expected 'go'");
    parts_close (&p);

    for (i = 0; i < nexp; i++) {
        char what[64];
        snprintf (what, sizeof what, "subscribed message #%zu", i);
        recv_parts (s, &p, what);
        if (i == 0 && is_one_of (&p, syncs, &k)) {
            /* sync messages still queued from before 'ready' */
            skipped++;
            parts_close (&p);
            i--;
            continue;
        }
        expect_frames (&p, 0, &expected[i], what);
        parts_close (&p);
    }
    info ("%s: %zu message(s) received and checked (%ld late sync(s) "
          "skipped)",
          scenario, nexp, skipped);

    if (filter)
        subscribe (s, me, "news.", 0); /* XPUB must see 0x00+news. */
    send_frame (back, "done", 4, 0, 0, "back-channel: send 'done'");
    recv_parts (back, &p, "back-channel: waiting for 'bye'");
    if (!parts_is (&p, "bye"))
        die (1, "back-channel: expected 'bye'");
    parts_close (&p);
    /* nothing left to deliver; see the comment at the top */
    set_int (s, ZMQ_LINGER, 0, "ZMQ_LINGER");
    for (i = 0; i < nexp; i++)
        msg_free (&expected[i]);
}

/* ------------------------------------------------------------------ */

/* Report the runtime version and every mapped file named libzmq*, so the
 * runner can tell which library was really loaded (and that only one was). */
static void print_version_line (void)
{
    int ma, mi, pa;
    char libs[1024] = "";
    FILE *f;
    zmq_version (&ma, &mi, &pa);
    f = fopen ("/proc/self/maps", "r");
    if (f) {
        char line[4096];
        while (fgets (line, sizeof line, f)) {
            char *path = strchr (line, '/'), *base;
            size_t l;
            if (!path)
                continue;
            l = strlen (path);
            while (l && (path[l - 1] == '\n' || path[l - 1] == ' '))
                path[--l] = 0;
            base = strrchr (path, '/') + 1;
            if (strncmp (base, "libzmq", 6) != 0)
                continue;
            {
                /* distinct paths only (a library is mapped several times) */
                const char *hit = strstr (libs, path);
                size_t pl = strlen (path);
                if (hit && (hit[pl] == 0 || hit[pl] == ',')
                    && (hit == libs || hit[-1] == ','))
                    continue;
            }
            if (strlen (libs) + l + 2 < sizeof libs) {
                if (libs[0])
                    strcat (libs, ",");
                strcat (libs, path);
            }
        }
        fclose (f);
    }
    info ("zmq_version %d.%d.%d header %d.%d.%d lib=%s", ma, mi, pa,
          ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH,
          libs[0] ? libs : "?");
}

static void usage (void)
{
    fprintf (stderr,
             "usage: peer <pair> <a|b> <bind|connect> <endpoint[,back]> "
             "<scenario>\n"
             "       peer --version\n");
    _exit (2);
}

int main (int argc, char **argv)
{
    const char *pair, *side, *mode, *eparg, *scenario, *feature = NULL;
    void *mon = NULL, *proxy_back = NULL, *app = NULL;
    pthread_t proxy_thread;
    proxy_run_t proxy_run = {NULL, NULL, -2, 0};
    pthread_t zap_thread;
    zap_run_t zap = {NULL, 0, 0, 0, 0};
    int refused = 0;
    char pairbuf[32], *dash;
    int ta, tb, me, peer, side_a, do_bind, pubsub;
    size_t i;
    int known = 0;
    char ep_main[512], ep_back[600], bound[1200];
    void *s, *back = NULL;
    struct sigaction sa;

    setvbuf (stdout, NULL, _IOLBF, 0);

    if (argc == 2 && strcmp (argv[1], "--version") == 0) {
        snprintf (g_tag, sizeof g_tag, "version");
        print_version_line ();
        return 0;
    }
    if (argc != 6)
        usage ();
    pair = argv[1];
    side = argv[2];
    mode = argv[3];
    eparg = argv[4];
    scenario = argv[5];

    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGALRM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    alarm (OVERALL_ALARM_S);

    for (i = 0; i < sizeof k_pairs / sizeof k_pairs[0]; i++)
        if (strcmp (k_pairs[i], pair) == 0)
            known = 1;
    if (!known || strlen (pair) >= sizeof pairbuf)
        die (2, "unknown socket pair '%s'", pair);
    strcpy (pairbuf, pair);
    dash = strchr (pairbuf, '-');
    *dash = 0;
    ta = type_of (pairbuf);
    tb = type_of (dash + 1);
    if (strcmp (side, "a") != 0 && strcmp (side, "b") != 0)
        usage ();
    side_a = side[0] == 'a';
    if (strcmp (mode, "bind") != 0 && strcmp (mode, "connect") != 0)
        usage ();
    do_bind = mode[0] == 'b';
    me = side_a ? ta : tb;
    peer = side_a ? tb : ta;
    pubsub = is_pub (ta) && is_sub (tb);

    snprintf (g_tag, sizeof g_tag, "%s:%s:%s", side_a ? pairbuf : dash + 1,
              mode, scenario);
    print_version_line ();

    /* endpoints */
    {
        const char *comma = strchr (eparg, ',');
        size_t l = comma ? (size_t) (comma - eparg) : strlen (eparg);
        if (l >= sizeof ep_main)
            die (2, "endpoint too long");
        memcpy (ep_main, eparg, l);
        ep_main[l] = 0;
        if (comma)
            snprintf (ep_back, sizeof ep_back, "%s", comma + 1);
        else if (strchr (ep_main, '*'))
            snprintf (ep_back, sizeof ep_back, "%s", ep_main);
        else
            snprintf (ep_back, sizeof ep_back, "%s.back", ep_main);
        if (pubsub && !do_bind && !comma)
            die (2, "pub/sub connect needs '<endpoint>,<back-endpoint>'");
    }
    if (pubsub) {
        if (strcmp (scenario, "filter") != 0 && strcmp (scenario, "sizes") != 0)
            die (2, "unknown pub/sub scenario '%s' (filter|sizes)", scenario);
    } else if (strcmp (scenario, "monitor") == 0
               || strcmp (scenario, "heartbeat") == 0
               || strcmp (scenario, "proxy") == 0 || is_security (scenario)) {
        feature = scenario;
        scenario = "basic";
        if (strcmp (feature, "proxy") == 0 && (ta != ZMQ_REQ || tb != ZMQ_REP))
            die (2, "the proxy scenario is for req-rep");
    } else if (strcmp (scenario, "basic") != 0
               && strcmp (scenario, "multipart") != 0
               && strcmp (scenario, "sizes") != 0)
        die (2, "unknown scenario '%s' (basic|multipart|sizes)", scenario);

    g_ctx = zmq_ctx_new ();
    if (!g_ctx)
        die (2, "zmq_ctx_new: %s", zmq_strerror (zmq_errno ()));

    if (feature && strcmp (feature, "proxy") == 0 && !side_a) {
        /* s (on the wire) is the proxy's ROUTER frontend; the REP that
         * runs the exchange sits behind its DEALER backend. */
        s = new_socket (ZMQ_ROUTER, "proxy frontend");
        proxy_back = new_socket (ZMQ_DEALER, "proxy backend");
        if (zmq_bind (proxy_back, "inproc://interop-proxy") != 0)
            die (2, "zmq_bind(backend): %s", zmq_strerror (zmq_errno ()));
        app = new_socket (me, "rep behind the proxy");
        if (zmq_connect (app, "inproc://interop-proxy") != 0)
            die (2, "zmq_connect(backend): %s", zmq_strerror (zmq_errno ()));
        proxy_run.frontend = s;
        proxy_run.backend = proxy_back;
    } else
        s = new_socket (me, side_a ? pairbuf : dash + 1);
    /* (proxy: the monitor tells when side a has gone, so that the reply
     * is on the wire before the proxy is stopped.) */
    if (feature && (strcmp (feature, "monitor") == 0 || proxy_run.frontend
                    || (strcmp (feature, "heartbeat") == 0 && side_a)))
        mon = start_monitor (s);
    if (is_security (feature)) {
        security_setup (s, feature, side_a);
        refused = strcmp (feature, "zap-deny") == 0
                  || strcmp (feature, "curve-badkey") == 0;
        if (refused)
            mon = start_monitor (s);
        if (!side_a && strcmp (feature, "curve-nozap") != 0) {
            zap.rep = new_socket (ZMQ_REP, "zap handler");
            zap.deny = strcmp (feature, "zap-deny") == 0;
            if (zmq_bind (zap.rep, "inproc://zeromq.zap.01") != 0)
                die (2, "zmq_bind(zap): %s", zmq_strerror (zmq_errno ()));
            if (pthread_create (&zap_thread, NULL, zap_main, &zap) != 0)
                die (2, "pthread_create failed");
        }
    }
    if (feature && strcmp (feature, "heartbeat") == 0 && side_a) {
        set_int (s, ZMQ_HEARTBEAT_IVL, 50, "ZMQ_HEARTBEAT_IVL");
        set_int (s, ZMQ_HEARTBEAT_TIMEOUT, 250, "ZMQ_HEARTBEAT_TIMEOUT");
    }

    /* identities / router options */
    if (me == ZMQ_ROUTER) {
        set_int (s, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY");
        if (peer == ZMQ_ROUTER)
            set_bytes (s, ZMQ_ROUTING_ID, side_a ? ID_RA : ID_RB,
                       strlen (ID_RA), "ZMQ_ROUTING_ID");
    } else if (peer == ZMQ_ROUTER && strcmp (scenario, "basic") == 0)
        set_bytes (s, ZMQ_ROUTING_ID, ID_A, strlen (ID_A), "ZMQ_ROUTING_ID");

    bound[0] = 0;
    attach (s, do_bind, ep_main, bound, sizeof bound, "main socket");
    if (pubsub) {
        back = new_socket (side_a ? ZMQ_REP : ZMQ_REQ,
                           side_a ? "rep" : "req");
        attach (back, do_bind, ep_back, bound, sizeof bound, "back-channel");
    }
    if (do_bind) {
        /* the one and only line on stdout: what the runner connects to */
        printf ("%s\n", bound);
        fflush (stdout);
    }

    if (proxy_run.frontend
        && pthread_create (&proxy_thread, NULL, proxy_main, &proxy_run) != 0)
        die (2, "pthread_create failed");
    if (mon && feature && strcmp (feature, "heartbeat") == 0)
        heartbeat_idle (mon);

    if (pubsub) {
        if (side_a)
            run_publisher (s, back, me, scenario);
        else
            run_subscriber (s, back, me, scenario);
    } else if (refused)
        check_refusal (mon, feature, side_a);
    else
        run_exchange (app ? app : s, me, peer, side_a, scenario);
    if (zap.rep) {
        __atomic_store_n (&zap.stop, 1, __ATOMIC_RELEASE);
        pthread_join (zap_thread, NULL);
        close_socket (zap.rep);
        if (zap.bad)
            die (1, "zap: %d malformed request(s)", zap.bad);
        /* (A client with the wrong server key never gets that far.) */
        if (!zap.handled && strcmp (feature, "curve-badkey") != 0)
            die (1, "zap: the handler was never asked");
        info ("zap: %d request(s) answered", zap.handled);
    }

    if (mon && strcmp (feature, "monitor") == 0) {
        char last[512];
        size_t l = sizeof last;
        if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, last, &l) != 0)
            die (2, "ZMQ_LAST_ENDPOINT: %s", zmq_strerror (zmq_errno ()));
        check_monitor_flow (mon, do_bind, last);
    }
    if (proxy_run.frontend) {
        char ep[512];
        int ev;
        do {
            ev = monitor_event (mon, IO_TIMEOUT_MS, ep, sizeof ep);
            if (ev < 0)
                die (1, "proxy: side a never disconnected");
        } while (ev != ZMQ_EVENT_DISCONNECTED);
        /* The proxy ends with ETERM once the context shuts down. */
        zmq_ctx_shutdown (g_ctx);
        pthread_join (proxy_thread, NULL);
        if (proxy_run.rc != -1 || proxy_run.err != ETERM)
            die (1, "zmq_proxy returned %d (errno %d), want -1/ETERM",
                 proxy_run.rc, proxy_run.err);
        info ("proxy: exchange went through, ended with ETERM");
    }
    close_socket (mon);
    close_socket (app);
    close_socket (proxy_back);
    close_socket (s);
    close_socket (back);
    if (zmq_ctx_term (g_ctx) != 0)
        die (2, "zmq_ctx_term: %s", zmq_strerror (zmq_errno ()));
    info ("OK");
    return 0;
}
