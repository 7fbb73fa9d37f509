/* draft_poller.c: the draft zmq_poller_* API with libzmq 4.3's return
 * values and errnos: handle checks (EFAULT/ENOTSOCK/EBADF), add/modify/remove
 * rules (EINVAL twice or unknown, bad event bits), empty and disabled
 * pollers (EAGAIN with a timeout, EFAULT when asked to wait forever), events
 * in registration order with user data, POLLOUT, plain fds, wait_all limits
 * and zeroed trailing slots, a socket closed while registered, ETERM, and
 * zmq_poller_fd (EINVAL for plain sockets). */
#include "testutil.h"

#include <limits.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *ctx;

static void *sock (int type)
{
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int linger = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

static void bind_any (void *s, char *ep, size_t cap)
{
    CHECK_ZMQ (zmq_bind (s, "tcp://127.0.0.1:*"));
    size_t len = cap;
    CHECK_ZMQ (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
}

static void setup (void)
{
    ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
}

static void teardown (void)
{
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

static long ms_since (const struct timespec *t0)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

TEST (null_and_destroyed_pollers_fail_efault)
{
    setup ();
    void *s = sock (ZMQ_PAIR);
    zmq_poller_event_t ev;
    zmq_fd_t fd = 0;
    void *null_poller = NULL;
    CHECK_ZMQ_FAILS (zmq_poller_destroy (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_destroy (&null_poller), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_size (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_size (&null_poller), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_add (NULL, s, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_add (&null_poller, s, NULL, ZMQ_POLLIN),
                     EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_modify (NULL, s, ZMQ_POLLIN), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_remove (NULL, s), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_add_fd (NULL, 0, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_modify_fd (NULL, 0, ZMQ_POLLIN), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_remove_fd (NULL, 0), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_wait (NULL, &ev, 0), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (NULL, &ev, 1, 0), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_fd (NULL, &fd), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_fd (&null_poller, &fd), EFAULT);

    void *p = zmq_poller_new ();
    CHECK_NOT_NULL (p);
    void *copy = p;
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_NULL (p);
    /* The handle is dead now: every call says EFAULT, none crashes. */
    CHECK_ZMQ_FAILS (zmq_poller_size (copy), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_add (copy, s, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_destroy (&copy), EFAULT);
    CHECK_ZMQ (zmq_close (s));
    teardown ();
}

TEST (bad_sockets_fds_and_events_are_refused)
{
    setup ();
    void *s = sock (ZMQ_PAIR);
    void *p = zmq_poller_new ();
    CHECK_ZMQ_FAILS (zmq_poller_add (p, NULL, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_poller_modify (p, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_poller_remove (p, NULL), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_poller_add (p, ctx, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_poller_add_fd (p, -1, NULL, ZMQ_POLLIN), EBADF);
    CHECK_ZMQ_FAILS (zmq_poller_modify_fd (p, -1, ZMQ_POLLIN), EBADF);
    CHECK_ZMQ_FAILS (zmq_poller_remove_fd (p, -1), EBADF);

    CHECK_ZMQ_FAILS (zmq_poller_add (p, s, NULL, SHRT_MAX), EINVAL);
    CHECK_ZMQ (zmq_poller_add (p, s, NULL, 0));
    CHECK_ZMQ_FAILS (zmq_poller_add (p, s, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_modify (p, s, SHRT_MAX), EINVAL);
    CHECK_ZMQ (zmq_poller_modify (p, s, ZMQ_POLLIN | ZMQ_POLLOUT));
    CHECK_EQ_INT (zmq_poller_size (p), 1);
    CHECK_ZMQ (zmq_poller_remove (p, s));
    CHECK_ZMQ_FAILS (zmq_poller_remove (p, s), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_modify (p, s, ZMQ_POLLIN), EINVAL);

    int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    CHECK_ZMQ_FAILS (zmq_poller_add_fd (p, fd, NULL, SHRT_MAX), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_modify_fd (p, fd, ZMQ_POLLIN), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_remove_fd (p, fd), EINVAL);
    CHECK_ZMQ (zmq_poller_add_fd (p, fd, NULL, 0));
    CHECK_ZMQ_FAILS (zmq_poller_add_fd (p, fd, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_modify_fd (p, fd, SHRT_MAX), EINVAL);
    CHECK_EQ_INT (zmq_poller_size (p), 1);
    CHECK_ZMQ (zmq_poller_remove_fd (p, fd));
    CHECK_EQ_INT (zmq_poller_size (p), 0);
    close (fd);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (s));
    teardown ();
}

TEST (empty_or_disabled_poller_times_out_or_refuses_an_endless_wait)
{
    setup ();
    void *p = zmq_poller_new ();
    zmq_poller_event_t ev[2];
    memset (ev, 0x55, sizeof ev);
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev[0], 0), EAGAIN);
    /* A failed wait leaves an empty event behind. */
    CHECK_NULL (ev[0].socket);
    CHECK_EQ_INT (ev[0].fd, -1);
    CHECK_NULL (ev[0].user_data);
    CHECK_EQ_INT (ev[0].events, 0);
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev[0], -1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, NULL, 0), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, NULL, 1, 0), EFAULT);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, ev, -1, 0), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, ev, 0, 0), EAGAIN);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, ev, 0, -1), EFAULT);

    struct timespec t0;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev[0], 50), EAGAIN);
    CHECK (ms_since (&t0) >= 45);

    /* Registered with no events: still nothing to wait on. */
    void *s = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_poller_add (p, s, NULL, 0));
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, ev, 2, 0), EAGAIN);
    CHECK_ZMQ_FAILS (zmq_poller_wait_all (p, ev, 2, -1), EFAULT);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (s));
    teardown ();
}

TEST (readiness_reported_with_socket_and_user_data_then_eagain)
{
    setup ();
    char ep[256];
    void *push = sock (ZMQ_PUSH);
    bind_any (push, ep, sizeof ep);
    void *pull = sock (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (pull, ep));
    void *p = zmq_poller_new ();
    int tag;
    CHECK_ZMQ (zmq_poller_add (p, pull, &tag, ZMQ_POLLIN));
    zmq_poller_event_t ev;
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, 0), EAGAIN);
    CHECK_EQ_INT (zmq_send (push, "H", 1, 0), 1);
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 5000));
    CHECK_EQ_PTR (ev.socket, pull);
    CHECK_EQ_PTR (ev.user_data, &tag);
    CHECK_EQ_INT (ev.fd, -1);
    CHECK_EQ_INT (ev.events, ZMQ_POLLIN);
    char buf[4];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), 1);
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, 0), EAGAIN);

    /* A message already queued before the wait is found at once. */
    CHECK_EQ_INT (zmq_send (push, "I", 1, 0), 1);
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 5000));
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 0));
    CHECK_EQ_PTR (ev.socket, pull);
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), 1);

    /* POLLOUT on the sender, which has a peer. */
    CHECK_ZMQ (zmq_poller_add (p, push, NULL, ZMQ_POLLOUT | ZMQ_POLLIN));
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 1000));
    CHECK_EQ_PTR (ev.socket, push);
    CHECK_NULL (ev.user_data);
    CHECK_EQ_INT (ev.events, ZMQ_POLLOUT);
    CHECK_ZMQ (zmq_poller_modify (p, push, ZMQ_POLLIN));
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, 0), EAGAIN);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    teardown ();
}

TEST (wait_all_reports_in_registration_order_and_zeroes_the_rest)
{
    setup ();
    enum { N = 3 };
    void *a[N], *b[N];
    void *p = zmq_poller_new ();
    int tags[N];
    for (int i = 0; i < N; i++) {
        char ep[64];
        snprintf (ep, sizeof ep, "inproc://order-%d", i);
        a[i] = sock (ZMQ_PAIR);
        b[i] = sock (ZMQ_PAIR);
        CHECK_ZMQ (zmq_bind (a[i], ep));
        CHECK_ZMQ (zmq_connect (b[i], ep));
    }
    /* Registered in reverse; only 2 and 0 get a message. */
    for (int i = N - 1; i >= 0; i--)
        CHECK_ZMQ (zmq_poller_add (p, a[i], &tags[i], ZMQ_POLLIN));
    CHECK_EQ_INT (zmq_send (b[0], "x", 1, 0), 1);
    CHECK_EQ_INT (zmq_send (b[2], "y", 1, 0), 1);

    zmq_poller_event_t ev[5];
    memset (ev, 0x55, sizeof ev);
    int n = CHECK_ZMQ (zmq_poller_wait_all (p, ev, 5, 5000));
    if (n == 1) /* the second may land a moment later */
        n = CHECK_ZMQ (zmq_poller_wait_all (p, ev, 5, 5000));
    CHECK_EQ_INT (n, 2);
    CHECK_EQ_PTR (ev[0].socket, a[2]);
    CHECK_EQ_PTR (ev[0].user_data, &tags[2]);
    CHECK_EQ_PTR (ev[1].socket, a[0]);
    CHECK_EQ_PTR (ev[1].user_data, &tags[0]);
    for (int i = 2; i < 5; i++) {
        CHECK_NULL (ev[i].socket);
        CHECK_NULL (ev[i].user_data);
        CHECK_EQ_INT (ev[i].events, 0);
    }
    /* Room for one: the first in registration order. */
    CHECK_EQ_INT (zmq_poller_wait_all (p, ev, 1, 0), 1);
    CHECK_EQ_PTR (ev[0].socket, a[2]);

    CHECK_ZMQ (zmq_poller_remove (p, a[2]));
    CHECK_EQ_INT (zmq_poller_wait_all (p, ev, 5, 0), 1);
    CHECK_EQ_PTR (ev[0].socket, a[0]);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    for (int i = 0; i < N; i++) {
        CHECK_ZMQ (zmq_close (a[i]));
        CHECK_ZMQ (zmq_close (b[i]));
    }
    teardown ();
}

TEST (plain_fds_report_in_out_and_err)
{
    setup ();
    int sv[2];
    CHECK_ZMQ (socketpair (AF_UNIX, SOCK_STREAM, 0, sv));
    void *p = zmq_poller_new ();
    int tag;
    CHECK_ZMQ (zmq_poller_add_fd (p, sv[0], &tag, ZMQ_POLLIN));
    zmq_poller_event_t ev;
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, 0), EAGAIN);
    CHECK_EQ_INT (write (sv[1], "z", 1), 1);
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 1000));
    CHECK_NULL (ev.socket);
    CHECK_EQ_INT (ev.fd, sv[0]);
    CHECK_EQ_PTR (ev.user_data, &tag);
    CHECK_EQ_INT (ev.events, ZMQ_POLLIN);

    CHECK_ZMQ (zmq_poller_modify_fd (p, sv[0], ZMQ_POLLIN | ZMQ_POLLOUT));
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 1000));
    CHECK_EQ_INT (ev.events, ZMQ_POLLIN | ZMQ_POLLOUT);

    /* The peer goes away: readable (EOF), and no longer writable cleanly. */
    close (sv[1]);
    CHECK_ZMQ (zmq_poller_modify_fd (p, sv[0], ZMQ_POLLIN));
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 1000));
    CHECK (ev.events & ZMQ_POLLIN);
    CHECK_ZMQ (zmq_poller_remove_fd (p, sv[0]));
    close (sv[0]);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    teardown ();
}

TEST (socket_fd_in_the_poller_wakes_when_the_socket_has_work)
{
    /* libzmq's test_poll_fd: a socket's ZMQ_FD registered as a plain fd. */
    setup ();
    char ep[256];
    void *push = sock (ZMQ_PUSH);
    bind_any (push, ep, sizeof ep);
    void *pull = sock (ZMQ_PULL);
    CHECK_ZMQ (zmq_connect (pull, ep));
    zmq_fd_t fd;
    size_t len = sizeof fd;
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_FD, &fd, &len));
    void *p = zmq_poller_new ();
    CHECK_ZMQ (zmq_poller_add_fd (p, fd, pull, ZMQ_POLLIN));
    CHECK_EQ_INT (zmq_send (push, "H", 1, 0), 1);
    zmq_poller_event_t ev;
    CHECK_ZMQ (zmq_poller_wait (p, &ev, 5000));
    CHECK_NULL (ev.socket);
    CHECK_EQ_INT (ev.fd, fd);
    CHECK_EQ_PTR (ev.user_data, pull);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    teardown ();
}

TEST (a_socket_closed_while_registered_gives_enotsock_not_a_crash)
{
    setup ();
    void *s = sock (ZMQ_PAIR);
    void *p = zmq_poller_new ();
    CHECK_ZMQ (zmq_poller_add (p, s, NULL, ZMQ_POLLIN));
    CHECK_ZMQ (zmq_close (s));
    zmq_poller_event_t ev;
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_poller_remove (p, s), ENOTSOCK);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    teardown ();
}

static void *shut_down_later (void *arg)
{
    struct timespec d = {0, 50 * 1000 * 1000};
    nanosleep (&d, NULL);
    zmq_ctx_shutdown (arg);
    return NULL;
}

TEST (context_shutdown_ends_an_endless_wait_with_eterm)
{
    setup ();
    void *s = sock (ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (s, "inproc://eterm"));
    void *p = zmq_poller_new ();
    CHECK_ZMQ (zmq_poller_add (p, s, NULL, ZMQ_POLLIN));
    pthread_t t;
    CHECK_EQ_INT (pthread_create (&t, NULL, shut_down_later, ctx), 0);
    zmq_poller_event_t ev;
    CHECK_ZMQ_FAILS (zmq_poller_wait (p, &ev, -1), ETERM);
    pthread_join (t, NULL);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (s));
    teardown ();
}

TEST (poller_fd_is_einval_without_thread_safe_sockets)
{
    setup ();
    void *s = sock (ZMQ_PAIR);
    void *p = zmq_poller_new ();
    CHECK_ZMQ (zmq_poller_add (p, s, NULL, ZMQ_POLLIN));
    zmq_fd_t fd;
    CHECK_ZMQ_FAILS (zmq_poller_fd (p, &fd), EINVAL);
    CHECK_ZMQ (zmq_poller_destroy (&p));
    CHECK_ZMQ (zmq_close (s));
    teardown ();
}

TEST (zmq_poll_still_reports_sockets_and_fds)
{
    setup ();
    void *a = sock (ZMQ_PAIR), *b = sock (ZMQ_PAIR);
    CHECK_ZMQ (zmq_bind (a, "inproc://zpoll"));
    CHECK_ZMQ (zmq_connect (b, "inproc://zpoll"));
    int sv[2];
    CHECK_ZMQ (socketpair (AF_UNIX, SOCK_STREAM, 0, sv));
    zmq_pollitem_t items[] = {{a, 0, ZMQ_POLLIN, 0},
                              {NULL, sv[0], ZMQ_POLLIN, 0},
                              {b, 0, ZMQ_POLLOUT, 0}};
    CHECK_EQ_INT (zmq_poll (items, 2, 0), 0);
    CHECK_EQ_INT (zmq_poll (items, 3, 0), 1);
    CHECK_EQ_INT (items[2].revents, ZMQ_POLLOUT);
    CHECK_EQ_INT (zmq_send (b, "m", 1, 0), 1);
    CHECK_EQ_INT (write (sv[1], "z", 1), 1);
    CHECK_EQ_INT (zmq_poll (items, 2, 1000) >= 1, 1);
    CHECK_EQ_INT (zmq_poll (items, 2, 0), 2);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (items[1].revents, ZMQ_POLLIN);
    close (sv[0]);
    close (sv[1]);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
    teardown ();
}

TEST_MAIN ()
