/* stubs.c: argument validation of the socket-level API that needs no socket (NULL and foreign handles), zmq_poll without sockets, and zmq_proxy with bad sockets. */
#include "testutil.h"

#include <sys/uio.h>
#include <time.h>

/*  Readable memory that holds neither a socket nor a context.  */
static char not_a_handle[65536];

/* ---- zmq_socket ----------------------------------------------------------- */

TEST (socket_with_a_null_context_fails_efault)
{
    CHECK_NULL_ERRNO (zmq_socket (NULL, ZMQ_PAIR), EFAULT);
}

TEST (socket_with_a_non_context_pointer_fails_efault)
{
    CHECK_NULL_ERRNO (zmq_socket (not_a_handle, ZMQ_PAIR), EFAULT);
}

/* ---- NULL socket --------------------------------------------------------- */

TEST (close_of_a_null_socket_fails_enotsock)
{
    CHECK_ZMQ_FAILS (zmq_close (NULL), ENOTSOCK);
}

TEST (setsockopt_on_a_null_socket_fails_enotsock)
{
    int hwm = 100;
    CHECK_ZMQ_FAILS (zmq_setsockopt (NULL, ZMQ_SNDHWM, &hwm, sizeof hwm),
                     ENOTSOCK);
}

TEST (getsockopt_on_a_null_socket_fails_enotsock)
{
    int hwm = -5;
    size_t size = sizeof hwm;
    CHECK_ZMQ_FAILS (zmq_getsockopt (NULL, ZMQ_SNDHWM, &hwm, &size), ENOTSOCK);
    CHECK_EQ_INT (hwm, -5);
    CHECK_EQ_SIZE (size, sizeof hwm);
}

TEST (bind_connect_unbind_disconnect_on_a_null_socket_fail_enotsock)
{
    CHECK_ZMQ_FAILS (zmq_bind (NULL, "inproc://a"), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_connect (NULL, "inproc://a"), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_unbind (NULL, "inproc://a"), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_disconnect (NULL, "inproc://a"), ENOTSOCK);
}

TEST (send_send_const_and_recv_on_a_null_socket_fail_enotsock)
{
    char buf[8] = "payload";
    CHECK_ZMQ_FAILS (zmq_send (NULL, buf, sizeof buf, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_send_const (NULL, buf, sizeof buf, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_recv (NULL, buf, sizeof buf, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_send (NULL, buf, sizeof buf, ZMQ_DONTWAIT),
                     ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_recv (NULL, buf, sizeof buf, ZMQ_DONTWAIT),
                     ENOTSOCK);
}

TEST (msg_send_on_a_null_socket_fails_enotsock_and_keeps_the_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 100));
    CHECK_ZMQ_FAILS (zmq_msg_send (&msg, NULL, 0), ENOTSOCK);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 100);
    CHECK_ZMQ_FAILS (zmq_sendmsg (NULL, &msg, 0), ENOTSOCK);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 100);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

TEST (msg_recv_on_a_null_socket_fails_enotsock_and_keeps_the_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    CHECK_ZMQ_FAILS (zmq_msg_recv (&msg, NULL, 0), ENOTSOCK);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 10);
    CHECK_ZMQ_FAILS (zmq_recvmsg (NULL, &msg, 0), ENOTSOCK);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 10);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

TEST (msg_send_and_recv_check_the_socket_before_the_message)
{
    CHECK_ZMQ_FAILS (zmq_msg_send (NULL, NULL, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_msg_recv (NULL, NULL, 0), ENOTSOCK);
}

TEST (sendiov_and_recviov_on_a_null_socket_fail_enotsock)
{
    char buf[4] = "abc";
    struct iovec iov = {buf, sizeof buf};
    size_t count = 1;
    CHECK_ZMQ_FAILS (zmq_sendiov (NULL, &iov, 1, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_recviov (NULL, &iov, &count, 0), ENOTSOCK);
}

TEST (socket_monitor_on_a_null_socket_fails_enotsock)
{
    CHECK_ZMQ_FAILS (zmq_socket_monitor (NULL, "inproc://monitor",
                                         ZMQ_EVENT_ALL),
                     ENOTSOCK);
}

/* ---- foreign pointers ------------------------------------------------------ */

TEST (socket_calls_on_a_non_socket_pointer_fail_enotsock)
{
    void *s = not_a_handle;
    int value = 0;
    size_t size = sizeof value;
    char buf[4] = "abc";
    CHECK_ZMQ_FAILS (zmq_close (s), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_setsockopt (s, ZMQ_LINGER, &value, sizeof value),
                     ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_getsockopt (s, ZMQ_LINGER, &value, &size), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_bind (s, "inproc://a"), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_connect (s, "inproc://a"), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_send (s, buf, sizeof buf, 0), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_recv (s, buf, sizeof buf, 0), ENOTSOCK);
}

TEST (context_passed_as_a_socket_fails_enotsock)
{
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    CHECK_ZMQ_FAILS (zmq_close (ctx), ENOTSOCK);
    CHECK_ZMQ_FAILS (zmq_bind (ctx, "inproc://a"), ENOTSOCK);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
}

/* ---- zmq_poll without items ------------------------------------------------- */

static long long monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST (poll_of_no_items_with_zero_timeout_returns_0)
{
    zmq_pollitem_t item;
    memset (&item, 0, sizeof item);
    CHECK_EQ_INT (zmq_poll (NULL, 0, 0), 0);
    CHECK_EQ_INT (zmq_poll (&item, 0, 0), 0);
}

TEST (poll_of_no_items_sleeps_for_the_timeout)
{
    const long long start = monotonic_ms ();
    CHECK_EQ_INT (zmq_poll (NULL, 0, 50), 0);
    const long long slept = monotonic_ms () - start;
    CHECK (slept >= 49);
    CHECK (slept < 5000);
}

TEST (poll_of_a_non_socket_item_fails_enotsock)
{
    zmq_pollitem_t item;
    memset (&item, 0, sizeof item);
    item.socket = not_a_handle;
    item.events = ZMQ_POLLIN;
    CHECK_ZMQ_FAILS (zmq_poll (&item, 1, 0), ENOTSOCK);
}

/*  The next two pin libzmq's stable build (Debian's): a draft build of libzmq
 *  scans the items for thread-safe sockets first and crashes on them.  */
TEST (poll_with_null_items_and_a_count_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_poll (NULL, 1, 0), EFAULT);
}

TEST (poll_with_a_negative_count_fails_einval)
{
    zmq_pollitem_t item;
    memset (&item, 0, sizeof item);
    item.fd = -1;
    CHECK_ZMQ_FAILS (zmq_poll (&item, -1, 0), EINVAL);
    CHECK_ZMQ_FAILS (zmq_poll (NULL, -1, 0), EINVAL);
}

/* ---- zmq_proxy -------------------------------------------------------------- */

TEST (proxy_with_a_null_socket_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_proxy (NULL, NULL, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_proxy (NULL, not_a_handle, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_proxy (not_a_handle, NULL, NULL), EFAULT);
}

TEST (proxy_steerable_with_a_null_socket_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_proxy_steerable (NULL, NULL, NULL, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_proxy_steerable (NULL, not_a_handle, NULL, NULL),
                     EFAULT);
}

/*  libzmq's stable build proxies through zmq_poll, which checks the sockets;
 *  a draft build of libzmq crashes here.  */
TEST (proxy_of_non_socket_pointers_fails_enotsock)
{
    CHECK_ZMQ_FAILS (zmq_proxy (not_a_handle, not_a_handle, NULL), ENOTSOCK);
    CHECK_ZMQ_FAILS (
      zmq_proxy_steerable (not_a_handle, not_a_handle, NULL, NULL), ENOTSOCK);
}

TEST_MAIN ()
