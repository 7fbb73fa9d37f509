/* prelude.c: the fixed part of the API misuse sweep (gen.py appends the
 * generated cases and main). Each case runs in a fork()ed child: it builds
 * the objects it needs (lazily, below), makes exactly one call, and writes
 * what the call returned to a pipe. The parent records a crash (signal), a
 * hang (no answer within SWEEP_HANG_S seconds) or the result.
 *
 * Result lines: "<case>\t<outcome>", outcome one of
 *   ret=<n>[ errno=<e>]   an integer return; errno only when it is -1
 *   ptr | null errno=<e>  a pointer return
 *   str=<text>            a string return (zmq_strerror)
 *   void                  a void function returned
 *   signal=<n>            the child died of signal n (a crash)
 *   hang                  the child did not answer in time
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq.h>

/*  Each generated program uses only some of the fixtures below.  */
#pragma GCC diagnostic ignored "-Wunused-function"

#ifndef SWEEP_HANG_S
#define SWEEP_HANG_S 2
#endif

static int sw_out = -1; /*  the pipe to the parent, in the child  */

static void sw_emit (const char *text_)
{
    const size_t n = strlen (text_);
    if (write (sw_out, text_, n) != (ssize_t) n)
        _exit (97);
    _exit (0);
}

static void sw_int (long long r_, int e_)
{
    char buf[96];
    if (r_ == -1)
        snprintf (buf, sizeof buf, "ret=-1 errno=%d", e_);
    else
        snprintf (buf, sizeof buf, "ret=%lld", r_);
    sw_emit (buf);
}

static void sw_ptr (const void *p_, int e_)
{
    char buf[64];
    if (p_)
        snprintf (buf, sizeof buf, "ptr");
    else
        snprintf (buf, sizeof buf, "null errno=%d", e_);
    sw_emit (buf);
}

static void sw_str (const char *s_, int e_)
{
    char buf[200];
    if (s_)
        snprintf (buf, sizeof buf, "str=%.150s", s_);
    else
        snprintf (buf, sizeof buf, "null errno=%d", e_);
    for (char *c = buf; *c; c++)
        if (*c == '\t' || *c == '\n')
            *c = ' ';
    sw_emit (buf);
}

/*  Each macro makes the call with errno cleared and reports it.  */
#define R_INT(call)                                                            \
    do {                                                                       \
        errno = 0;                                                             \
        const long long r_ = (long long) (call);                               \
        sw_int (r_, errno);                                                    \
    } while (0)
/*  Unsigned results (sizes): reported as their value.  */
#define R_SIZE(call)                                                           \
    do {                                                                       \
        errno = 0;                                                             \
        const unsigned long long r_ = (unsigned long long) (call);             \
        char b_[64];                                                           \
        snprintf (b_, sizeof b_, "ret=%llu", r_);                              \
        sw_emit (b_);                                                          \
    } while (0)
/*  Elapsed times: only whether it is 0.  */
#define R_ELAPSED(call)                                                        \
    do {                                                                       \
        errno = 0;                                                             \
        const unsigned long r_ = (call);                                       \
        sw_emit (r_ ? "ret=elapsed" : "ret=0");                                \
    } while (0)
#define R_PTR(call)                                                            \
    do {                                                                       \
        errno = 0;                                                             \
        const void *r_ = (const void *) (call);                                \
        sw_ptr (r_, errno);                                                    \
    } while (0)
#define R_STR(call)                                                            \
    do {                                                                       \
        errno = 0;                                                             \
        const char *r_ = (call);                                               \
        sw_str (r_, errno);                                                    \
    } while (0)
#define R_VOID(call)                                                           \
    do {                                                                       \
        call;                                                                  \
        sw_emit ("void");                                                      \
    } while (0)

/* ------------------------------------------------------------ objects ---- */

/*  "Garbage": valid, zero-filled (or 0xA5-filled) memory that is no zmq
 *  object. Static, so a library that frees it is caught (free() of a
 *  non-heap pointer aborts).  */
static _Alignas (64) unsigned char sw_zeros[1 << 16];
static _Alignas (64) unsigned char sw_junk[4096];
/*  A large zero buffer for data and option values, so a length up to 64 KiB
 *  never reads past it.  */
static _Alignas (64) unsigned char sw_buf[1 << 16];
static char sw_long_str[1 << 16];
static char sw_long_tcp[1 << 16];
static char sw_long_ipc[400];

#define GARBAGE ((void *) sw_zeros)
#define JUNK ((void *) sw_junk)
#define BUF ((void *) sw_buf)
#define LONG_STR ((const char *) sw_long_str)
#define LONG_TCP ((const char *) sw_long_tcp)
#define LONG_IPC ((const char *) sw_long_ipc)

static void sw_init_buffers (void)
{
    memset (sw_junk, 0xa5, sizeof sw_junk);
    memset (sw_long_str, 'a', sizeof sw_long_str - 1);
    snprintf (sw_long_tcp, sizeof sw_long_tcp, "tcp://");
    memset (sw_long_tcp + 6, 'h', sizeof sw_long_tcp - 16);
    memcpy (sw_long_tcp + sizeof sw_long_tcp - 10, ":5555", 6);
    snprintf (sw_long_ipc, sizeof sw_long_ipc, "ipc:///tmp/");
    memset (sw_long_ipc + 11, 'p', sizeof sw_long_ipc - 12);
}

static int sw_fail_setup (const char *what_)
{
    char buf[128];
    snprintf (buf, sizeof buf, "setup-failed %s errno=%d", what_, errno);
    sw_emit (buf);
    return 0;
}

static void *sw_ctx_v;
static void *ctx_valid (void)
{
    if (!sw_ctx_v && !(sw_ctx_v = zmq_ctx_new ()))
        sw_fail_setup ("ctx");
    return sw_ctx_v;
}

/*  A context that zmq_ctx_term has destroyed.  */
static void *ctx_terminated (void)
{
    void *c = zmq_ctx_new ();
    if (!c || zmq_ctx_term (c) != 0)
        sw_fail_setup ("ctx_term");
    return c;
}

/*  A context after zmq_ctx_shutdown (sockets on it give ETERM).  */
static void *ctx_shut (void)
{
    void *c = zmq_ctx_new ();
    if (!c || zmq_ctx_shutdown (c) != 0)
        sw_fail_setup ("ctx_shutdown");
    return c;
}

static void sw_timeouts (void *s_)
{
    const int zero = 0;
    if (zmq_setsockopt (s_, ZMQ_SNDTIMEO, &zero, sizeof zero)
        || zmq_setsockopt (s_, ZMQ_RCVTIMEO, &zero, sizeof zero)
        || zmq_setsockopt (s_, ZMQ_LINGER, &zero, sizeof zero))
        sw_fail_setup ("timeouts");
}

/*  A PAIR connected over inproc to a peer (sw_peer): sends succeed,
 *  receives give EAGAIN at once (timeouts 0).  */
static void *sw_sock_v, *sw_peer;
static void *sock_valid (void)
{
    if (sw_sock_v)
        return sw_sock_v;
    void *c = ctx_valid ();
    sw_peer = zmq_socket (c, ZMQ_PAIR);
    sw_sock_v = zmq_socket (c, ZMQ_PAIR);
    if (!sw_peer || !sw_sock_v)
        sw_fail_setup ("socket");
    sw_timeouts (sw_peer);
    sw_timeouts (sw_sock_v);
    if (zmq_bind (sw_peer, "inproc://sweep-peer")
        || zmq_connect (sw_sock_v, "inproc://sweep-peer"))
        sw_fail_setup ("inproc pair");
    return sw_sock_v;
}

/*  sock_valid with a 5-byte message waiting.  */
static void *sock_ready (void)
{
    void *s = sock_valid ();
    if (zmq_send (sw_peer, "hello", 5, 0) != 5)
        sw_fail_setup ("peer send");
    return s;
}

static void *sock_typed (int type_)
{
    void *s = zmq_socket (ctx_valid (), type_);
    if (!s)
        sw_fail_setup ("typed socket");
    sw_timeouts (s);
    return s;
}

static void *sock_closed (void)
{
    void *s = zmq_socket (ctx_valid (), ZMQ_PAIR);
    if (!s || zmq_close (s) != 0)
        sw_fail_setup ("close");
    return s;
}

/*  A socket whose context has been shut down (calls give ETERM).  */
static void *sock_of_shut_ctx (void)
{
    void *c = zmq_ctx_new ();
    void *s = c ? zmq_socket (c, ZMQ_PAIR) : NULL;
    if (!s || zmq_ctx_shutdown (c) != 0)
        sw_fail_setup ("shutdown ctx socket");
    return s;
}

/*  A PAIR whose peer has queued TERMINATE: a steerable proxy given it as
 *  control returns at once.  */
static void *sock_control (void)
{
    void *c = ctx_valid ();
    void *ctl = zmq_socket (c, ZMQ_PAIR);
    void *cmd = zmq_socket (c, ZMQ_PAIR);
    if (!ctl || !cmd || zmq_bind (ctl, "inproc://sweep-control")
        || zmq_connect (cmd, "inproc://sweep-control")
        || zmq_send (cmd, "TERMINATE", 9, 0) != 9)
        sw_fail_setup ("control");
    return ctl;
}

static zmq_msg_t sw_msg_v, sw_msg_c, sw_msg_e;
static zmq_msg_t *msg_valid (void)
{
    if (zmq_msg_init_size (&sw_msg_v, 5) != 0)
        sw_fail_setup ("msg");
    memcpy (zmq_msg_data (&sw_msg_v), "hello", 5);
    return &sw_msg_v;
}
static zmq_msg_t *msg_empty (void)
{
    if (zmq_msg_init (&sw_msg_e) != 0)
        sw_fail_setup ("msg");
    return &sw_msg_e;
}
static zmq_msg_t *msg_closed (void)
{
    if (zmq_msg_init_size (&sw_msg_c, 5) != 0 || zmq_msg_close (&sw_msg_c))
        sw_fail_setup ("msg close");
    return &sw_msg_c;
}
#define MSG_ZEROS ((zmq_msg_t *) sw_zeros)
#define MSG_JUNK ((zmq_msg_t *) sw_junk)

static void *counter_valid (void)
{
    void *c = zmq_atomic_counter_new ();
    if (!c)
        sw_fail_setup ("counter");
    return c;
}
static void *counter_destroyed (void)
{
    void *c = counter_valid ();
    void *p = c;
    zmq_atomic_counter_destroy (&p);
    return c;
}
static void *sw_counter_slot;
static void **counter_slot (void)
{
    sw_counter_slot = counter_valid ();
    return &sw_counter_slot;
}

static void sw_timer_fn (int id_, void *arg_)
{
    (void) id_;
    (void) arg_;
}
static void *timers_valid (void)
{
    void *t = zmq_timers_new ();
    if (!t)
        sw_fail_setup ("timers");
    return t;
}
/*  A timer set with timer 1 (interval 1000 ms).  */
static void *timers_with_one (void)
{
    void *t = timers_valid ();
    if (zmq_timers_add (t, 1000, sw_timer_fn, NULL) < 0)
        sw_fail_setup ("timers_add");
    return t;
}
static void *timers_destroyed (void)
{
    void *t = timers_valid ();
    void *p = t;
    if (zmq_timers_destroy (&p) != 0)
        sw_fail_setup ("timers_destroy");
    return t;
}
static void *sw_timers_slot;
static void **timers_slot (void)
{
    sw_timers_slot = timers_valid ();
    return &sw_timers_slot;
}

static void *watch_valid (void)
{
    void *w = zmq_stopwatch_start ();
    if (!w)
        sw_fail_setup ("stopwatch");
    return w;
}

static void sw_thread_fn (void *arg_)
{
    (void) arg_;
}
static void *thread_valid (void)
{
    void *t = zmq_threadstart (sw_thread_fn, NULL);
    if (!t)
        sw_fail_setup ("threadstart");
    return t;
}

static void *sw_null_slot;
static void **null_slot (void)
{
    sw_null_slot = NULL;
    return &sw_null_slot;
}
static void *sw_garbage_slot;
static void **garbage_slot (void)
{
    sw_garbage_slot = GARBAGE;
    return &sw_garbage_slot;
}

static size_t sw_len;
static size_t *len_ptr (size_t v_)
{
    sw_len = v_;
    return &sw_len;
}

static int sw_int_v;
static const void *int_ptr (int v_)
{
    sw_int_v = v_;
    return &sw_int_v;
}

/*  Poll items: [0] is what the case names, the rest of the (64 KiB) array
 *  is zeros ({NULL, fd 0, events 0}), so an over-long count reads no
 *  further than the buffer.  */
static zmq_pollitem_t *items_with (void *socket_, int fd_, short events_)
{
    zmq_pollitem_t *it = (zmq_pollitem_t *) sw_buf;
    memset (sw_buf, 0, sizeof sw_buf);
    it[0].socket = socket_;
    it[0].fd = fd_;
    it[0].events = events_;
    return it;
}

/*  iovecs: n entries of 5 bytes in sw_buf, or with NULL bases.  */
static struct iovec sw_iov[8];
static struct iovec *iov_valid (void)
{
    for (int i = 0; i < 8; i++) {
        sw_iov[i].iov_base = sw_buf + 64 * i;
        sw_iov[i].iov_len = 5;
    }
    return sw_iov;
}
static struct iovec *iov_null_bases (void)
{
    for (int i = 0; i < 8; i++) {
        sw_iov[i].iov_base = NULL;
        sw_iov[i].iov_len = 5;
    }
    return sw_iov;
}

static char sw_z85[64];
static char *z85_dest (void)
{
    return sw_z85;
}

static void sw_free_fn (void *data_, void *hint_)
{
    (void) data_;
    (void) hint_;
}

/* ------------------------------------------------------- draft API ---- */
#ifdef ZMQ_BUILD_DRAFT_API
static void *poller_empty (void)
{
    void *p = zmq_poller_new ();
    if (!p)
        sw_fail_setup ("poller");
    return p;
}
/*  A poller watching sock_valid for POLLIN.  */
static void *poller_with_sock (void)
{
    void *p = poller_empty ();
    if (zmq_poller_add (p, sock_valid (), NULL, ZMQ_POLLIN) != 0)
        sw_fail_setup ("poller_add");
    return p;
}
/*  A poller watching a socket with a message waiting.  */
static void *poller_ready (void)
{
    void *p = poller_empty ();
    if (zmq_poller_add (p, sock_ready (), NULL, ZMQ_POLLIN) != 0)
        sw_fail_setup ("poller_add");
    return p;
}
static int sw_pipe[2] = {-1, -1};
static int pipe_fd (void)
{
    if (sw_pipe[0] < 0 && pipe (sw_pipe) != 0)
        sw_fail_setup ("pipe");
    return sw_pipe[0];
}
/*  A poller watching pipe_fd for POLLIN.  */
static void *poller_with_fd (void)
{
    void *p = poller_empty ();
    if (zmq_poller_add_fd (p, pipe_fd (), NULL, ZMQ_POLLIN) != 0)
        sw_fail_setup ("poller_add_fd");
    return p;
}
static void *poller_destroyed (void)
{
    void *p = poller_empty ();
    void *q = p;
    if (zmq_poller_destroy (&q) != 0)
        sw_fail_setup ("poller_destroy");
    return p;
}
static void *sw_poller_slot;
static void **poller_slot (void)
{
    sw_poller_slot = poller_empty ();
    return &sw_poller_slot;
}
static void **destroyed_poller_slot (void)
{
    sw_poller_slot = poller_destroyed ();
    return &sw_poller_slot;
}
#define EVENTS ((zmq_poller_event_t *) sw_buf)

static sigset_t sw_sigset;
static const sigset_t *empty_sigset (void)
{
    sigemptyset (&sw_sigset);
    return &sw_sigset;
}

/*  A 255- and a 256-character group name (ZMQ_GROUP_MAX_LENGTH is 255).  */
static char sw_group[300];
static const char *group_of (size_t n_)
{
    memset (sw_group, 'g', n_);
    sw_group[n_] = '\0';
    return sw_group;
}

/*  sock_valid with a version 2 monitor asking for ZMQ_EVENT_PIPES_STATS.  */
static void *monitored_socket (void)
{
    void *s = sock_valid ();
    if (zmq_socket_monitor_versioned (s, "inproc://sweep-stats",
                                      ZMQ_EVENT_PIPES_STATS, 2, ZMQ_PAIR))
        sw_fail_setup ("monitor_versioned");
    return s;
}

/*  uint32 results that are 0 on failure (zmq_connect_peer).  */
#define R_U32(call)                                                            \
    do {                                                                       \
        errno = 0;                                                             \
        const unsigned long r_ = (unsigned long) (call);                       \
        char b_[64];                                                           \
        if (r_)                                                                \
            snprintf (b_, sizeof b_, "ret=nonzero");                           \
        else                                                                   \
            snprintf (b_, sizeof b_, "ret=0 errno=%d", errno);                 \
        sw_emit (b_);                                                          \
    } while (0)
#endif
