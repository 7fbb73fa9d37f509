/* Transport options with their effect: TCP_ACCEPT_FILTER, IPC_FILTER_UID /
 * IPC_FILTER_PID, USE_FD (tcp), BINDTODEVICE and TCP_MAXRT (read back from
 * the connection's fd through ZMQ_SRCFD). */
#include "testutil.h"
#include "hostile_util.h"

#include <net/if.h>
#include <sys/un.h>

static void *ctx;

static void *make (int type)
{
    if (!ctx)
        ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    CHECK_NOT_NULL (s);
    int t = 5000;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t));
    t = 0;
    CHECK_ZMQ (zmq_setsockopt (s, ZMQ_LINGER, &t, sizeof t));
    return s;
}

static void set_int (void *s, int opt, int v)
{
    CHECK_ZMQ (zmq_setsockopt (s, opt, &v, sizeof v));
}

/*  Sends "x" from a new PUSH connected to ep and returns the fd the
 *  receiving pull saw it on (ZMQ_SRCFD). With keep, the PUSH stays
 *  connected (so the fd stays open) and is returned there.  */
static int probe_fd_keep (void *pull, const char *ep, void **keep)
{
    void *push = make (ZMQ_PUSH);
    CHECK_ZMQ (zmq_connect (push, ep));
    CHECK_EQ_INT (zmq_send (push, "x", 1, 0), 1);
    zmq_msg_t m;
    zmq_msg_init (&m);
    CHECK_EQ_INT (zmq_msg_recv (&m, pull, 0), 1);
    int fd = zmq_msg_get (&m, ZMQ_SRCFD);
    zmq_msg_close (&m);
    if (keep)
        *keep = push;
    else
        zmq_close (push);
    return fd;
}

static int probe_fd (void *pull, const char *ep)
{
    return probe_fd_keep (pull, ep, NULL);
}

TEST (tcp_accept_filter_admits_only_matching_peers)
{
    void *pull = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_TCP_ACCEPT_FILTER, "127.0.0.2", 9));
    char ep[64];
    hu_bind_tcp (pull, ep, sizeof ep);
    /* We connect from 127.0.0.1: closed at once. */
    int fd = hu_connect_raw (ep);
    HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
    close (fd);
    zmq_close (pull);

    pull = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_TCP_ACCEPT_FILTER, "127.0.0.0/8", 11));
    hu_bind_tcp (pull, ep, sizeof ep);
    CHECK (probe_fd (pull, ep) >= 0);
    zmq_close (pull);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

static int connect_ipc_raw (const char *path)
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_un a;
    memset (&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf (a.sun_path, sizeof a.sun_path, "%s", path);
    CHECK (connect (fd, (struct sockaddr *) &a, sizeof a) == 0);
    return fd;
}

static void ipc_filter_case (int option, int value, int admitted)
{
    void *pull = make (ZMQ_PULL);
    set_int (pull, option, value);
    char path[64], ep[80];
    snprintf (path, sizeof path, "/tmp/ferro-ipc-filter-%d", (int) getpid ());
    snprintf (ep, sizeof ep, "ipc://%s", path);
    CHECK_ZMQ (zmq_bind (pull, ep));
    if (admitted) {
        CHECK (probe_fd (pull, ep) >= 0);
    } else {
        int fd = connect_ipc_raw (path);
        HU_CHECK_CLOSED_WITHIN (fd, HU_PROMPT_MS, NULL);
        close (fd);
    }
    zmq_close (pull);
}

TEST (ipc_filters_admit_matching_uid_and_pid_only)
{
    ipc_filter_case (ZMQ_IPC_FILTER_UID, (int) getuid (), 1);
    ipc_filter_case (ZMQ_IPC_FILTER_UID, (int) getuid () + 1, 0);
    ipc_filter_case (ZMQ_IPC_FILTER_PID, (int) getpid (), 1);
    ipc_filter_case (ZMQ_IPC_FILTER_PID, (int) getpid () + 1, 0);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (use_fd_listens_on_the_applications_socket)
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
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    void *pull = make (ZMQ_PULL);
    set_int (pull, ZMQ_USE_FD, lfd);
    CHECK_ZMQ (zmq_bind (pull, ep));
    char last[64];
    size_t len = sizeof last;
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, last, &len));
    CHECK_EQ_STR (last, ep);
    CHECK (probe_fd (pull, ep) >= 0);
    zmq_close (pull);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (tcp_maxrt_sets_the_connections_user_timeout)
{
    void *pull = make (ZMQ_PULL);
    set_int (pull, ZMQ_TCP_MAXRT, 1234);
    char ep[64];
    hu_bind_tcp (pull, ep, sizeof ep);
    void *push;
    int fd = probe_fd_keep (pull, ep, &push);
    CHECK (fd >= 0);
    unsigned int v = 0;
    socklen_t l = sizeof v;
    CHECK (getsockopt (fd, IPPROTO_TCP, 18 /* TCP_USER_TIMEOUT */, &v, &l) == 0);
    CHECK_EQ_INT ((int) v, 1234);
    zmq_close (push);
    zmq_close (pull);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (bindtodevice_binds_tcp_sockets_to_the_interface)
{
    void *pull = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_BINDTODEVICE, "lo", 2));
    char ep[64];
    size_t len = sizeof ep;
    if (zmq_bind (pull, "tcp://127.0.0.1:*") != 0) {
        /* Without CAP_NET_RAW the kernel refuses, as for libzmq. */
        CHECK_EQ_INT (zmq_errno (), EPERM);
        zmq_close (pull);
        CHECK_ZMQ (zmq_ctx_term (ctx));
        return;
    }
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
    void *push;
    int fd = probe_fd_keep (pull, ep, &push);
    char dev[IF_NAMESIZE] = {0};
    socklen_t l = sizeof dev;
    CHECK (getsockopt (fd, SOL_SOCKET, 25 /* SO_BINDTODEVICE */, dev, &l) == 0);
    CHECK_EQ_STR (dev, "lo");
    zmq_close (push);
    zmq_close (pull);
    /* An interface that does not exist: the bind fails. */
    void *bad = make (ZMQ_PULL);
    CHECK_ZMQ (zmq_setsockopt (bad, ZMQ_BINDTODEVICE, "nosuchdev0", 10));
    CHECK_ZMQ_FAILS (zmq_bind (bad, "tcp://127.0.0.1:*"), ENODEV);
    zmq_close (bad);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
