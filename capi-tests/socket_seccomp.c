/* socket_seccomp.c: a host process under a seccomp filter keeps working.
 *
 * Operators swap the library under binaries they cannot rebuild, some of
 * which confine themselves with seccomp (systemd's SystemCallFilter= kills
 * the process on a syscall outside its list). Whatever ferrozmq does
 * internally, it must not make a syscall libzmq does not make once such a
 * filter is in place. The filter here kills the process on membarrier(2),
 * which ferrozmq uses (when unconfined) for its biased per-socket lock;
 * a socket used enough to be biased must keep working.  */
#include "testutil.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef SYS_membarrier
#define SYS_membarrier 324
#endif

static int forbid_membarrier (void)
{
    struct sock_filter filter[] = {
        BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
        BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short) (sizeof filter / sizeof filter[0]), filter};
    if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

TEST (sockets_work_under_a_seccomp_filter_that_kills_on_membarrier)
{
    CHECK (forbid_membarrier () == 0);
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_ZMQ (zmq_bind (pull, "inproc://seccomp"));
    CHECK_ZMQ (zmq_connect (push, "inproc://seccomp"));
    /*  Many calls from one thread: enough for a lock to become biased.  */
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ_INT (zmq_send (push, &i, sizeof i, 0), (int) sizeof i);
        int got = -1;
        CHECK_EQ_INT (zmq_recv (pull, &got, sizeof got, 0), (int) sizeof got);
        CHECK_EQ_INT (got, i);
    }
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
