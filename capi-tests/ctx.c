/* ctx.c: context lifecycle (new/term/shutdown/destroy, zmq_init/zmq_term) and every context option's default and validation. */
#include "testutil.h"

#include <limits.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/*  Readable memory that holds no context: libzmq's tag check rejects it.  */
static char not_a_context[65536];

static void *new_ctx (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    return ctx;
}

/* ---- lifecycle ---------------------------------------------------------- */

TEST (ctx_new_then_term_succeeds)
{
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
}

TEST (ctx_destroy_terminates_a_context)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_destroy (ctx), 0);
}

TEST (ctx_shutdown_then_term_succeeds)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_shutdown (ctx), 0);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
}

TEST (ctx_shutdown_twice_succeeds)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_shutdown (ctx), 0);
    CHECK_EQ_INT (zmq_ctx_shutdown (ctx), 0);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_options_stay_readable_after_shutdown)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 3));
    CHECK_ZMQ (zmq_ctx_shutdown (ctx));
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 3);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_many_contexts_can_live_at_once)
{
    void *ctxs[50];
    for (int i = 0; i < 50; i++) {
        ctxs[i] = zmq_ctx_new ();
        CHECK_NOT_NULL (ctxs[i]);
    }
    for (int i = 0; i < 50; i++)
        for (int j = 0; j < i; j++)
            CHECK_NE_PTR (ctxs[i], ctxs[j]);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT (zmq_ctx_term (ctxs[i]), 0);
}

TEST (ctx_options_are_per_context)
{
    void *a = new_ctx ();
    void *b = new_ctx ();
    CHECK_ZMQ (zmq_ctx_set (a, ZMQ_IO_THREADS, 5));
    CHECK_ZMQ (zmq_ctx_set (a, ZMQ_IPV6, 1));
    CHECK_EQ_INT (zmq_ctx_get (b, ZMQ_IO_THREADS), 1);
    CHECK_EQ_INT (zmq_ctx_get (b, ZMQ_IPV6), 0);
    CHECK_ZMQ (zmq_ctx_term (a));
    CHECK_ZMQ (zmq_ctx_term (b));
}

TEST (init_sets_the_io_thread_count)
{
    void *ctx = zmq_init (3);
    CHECK_NOT_NULL (ctx);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 3);
    CHECK_EQ_INT (zmq_term (ctx), 0);
}

TEST (init_with_zero_io_threads_succeeds)
{
    void *ctx = zmq_init (0);
    CHECK_NOT_NULL (ctx);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_EQ_INT (zmq_term (ctx), 0);
}

TEST (init_with_negative_io_threads_fails_einval)
{
    CHECK_NULL_ERRNO (zmq_init (-1), EINVAL);
    CHECK_NULL_ERRNO (zmq_init (INT_MIN), EINVAL);
}

/* ---- NULL and foreign contexts --------------------------------------- */

TEST (null_context_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_ctx_term (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_shutdown (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_set (NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_get (NULL, ZMQ_IO_THREADS), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_destroy (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_term (NULL), EFAULT);
}

TEST (pointer_to_non_context_memory_fails_efault)
{
    void *p = not_a_context;
    CHECK_ZMQ_FAILS (zmq_ctx_term (p), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_shutdown (p), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_set (p, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_get (p, ZMQ_IO_THREADS), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_destroy (p), EFAULT);
}

/* ---- defaults ------------------------------------------------------------- */

TEST (ctx_option_defaults)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), ZMQ_IO_THREADS_DFLT);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), ZMQ_MAX_SOCKETS_DFLT);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), sizeof (zmq_msg_t));
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 0);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_thread_sched_policy_defaults_to_minus_1)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), -1);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY),
                  ZMQ_THREAD_SCHED_POLICY_DFLT);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ---- set then get ------------------------------------------------------- */

TEST (ctx_io_threads_round_trips)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 4), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 4);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 0), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_max_sockets_round_trips)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 1), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 5000), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 5000);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_max_sockets_accepts_values_above_the_socket_limit)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 100000), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 100000);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ipv6_round_trips_as_a_boolean)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IPV6, 1), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IPV6, 0), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IPV6, 7), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_blocky_round_trips_as_a_boolean)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_BLOCKY, 0), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_BLOCKY, 9), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_max_msgsz_round_trips)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 1000), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 1000);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 0), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, INT_MAX), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_thread_sched_policy_round_trips)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_OTHER), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), SCHED_OTHER);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_FIFO), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), SCHED_FIFO);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_thread_name_prefix_round_trips_as_an_int)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 1234), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 1234);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, -5), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), -5);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ---- write-only and read-only options ------------------------------------ */

/*  ZMQ_THREAD_PRIORITY and ZMQ_SOCKET_LIMIT are both option 3: setting it
 *  sets the thread priority, reading it reads the socket limit.  */
TEST (ctx_option_3_sets_thread_priority_and_reads_socket_limit)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (ZMQ_THREAD_PRIORITY, ZMQ_SOCKET_LIMIT);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 0), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 1), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 99), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_PRIORITY), 65535);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_SOCKET_LIMIT, 100), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_affinity_add_then_remove_succeeds)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 1), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 1), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), 0);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_affinity_remove_of_a_cpu_not_added_fails_einval)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 5),
                     EINVAL);
    CHECK_ZMQ (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 2));
    CHECK_ZMQ (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 2));
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 2),
                     EINVAL);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_affinity_options_cannot_be_read)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0));
    CHECK_ZMQ_FAILS (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE),
                     EINVAL);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_msg_t_size_cannot_be_set)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 64), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 128), EINVAL);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ---- validation -------------------------------------------------------- */

TEST (ctx_unknown_option_fails_einval)
{
    const int options[] = {-1, 0, 11, 1000, INT_MAX};
    void *ctx = new_ctx ();
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, options[i], 0), EINVAL);
        CHECK_ZMQ_FAILS (zmq_ctx_get (ctx, options[i]), EINVAL);
    }
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_negative_values_fail_einval_and_keep_the_old_value)
{
    const int options[] = {ZMQ_IO_THREADS, ZMQ_MAX_SOCKETS, ZMQ_IPV6,
                           ZMQ_BLOCKY, ZMQ_MAX_MSGSZ};
    void *ctx = new_ctx ();
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        const int before = zmq_ctx_get (ctx, options[i]);
        CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, options[i], -1), EINVAL);
        CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, options[i], INT_MIN), EINVAL);
        CHECK_EQ_INT (zmq_ctx_get (ctx, options[i]), before);
    }
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_thread_option_negative_values_fail_einval)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, -1), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, -1), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, -1),
                     EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, -1),
                     EINVAL);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), -1);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_max_sockets_of_zero_fails_einval)
{
    void *ctx = new_ctx ();
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 0), EINVAL);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/*  The library's threads block every signal (libzmq's thread routine
 *  does): a process-directed signal goes to an application thread, never
 *  to an I/O thread, whose write to a vanished peer must not raise SIGPIPE
 *  either (see hostile_tcp). With SIGUSR1 blocked in this thread, a signal
 *  sent to the process stays pending, unless a library thread takes it.  */
static pthread_t signal_test_main;
static volatile sig_atomic_t usr1_off_main, usr1_on_main;

static void on_usr1 (int sig_)
{
    (void) sig_;
    if (pthread_equal (pthread_self (), signal_test_main))
        usr1_on_main++;
    else
        usr1_off_main++;
}

TEST (the_librarys_threads_take_no_process_signals)
{
    signal_test_main = pthread_self ();
    usr1_off_main = usr1_on_main = 0;
    struct sigaction sa, old;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset (&sa.sa_mask);
    CHECK_EQ_INT (sigaction (SIGUSR1, &sa, &old), 0);
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    /*  I/O threads at work: a connection over tcp.  */
    void *a = zmq_socket (ctx, ZMQ_PAIR), *b = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_NOT_NULL (a);
    CHECK_NOT_NULL (b);
    CHECK_ZMQ (zmq_bind (a, "tcp://127.0.0.1:*"));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (a, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_ZMQ (zmq_connect (b, ep));
    CHECK_EQ_INT (zmq_send (b, "x", 1, 0), 1);
    char c;
    CHECK_EQ_INT (zmq_recv (a, &c, 1, 0), 1);
    sigset_t usr1, pending;
    sigemptyset (&usr1);
    sigaddset (&usr1, SIGUSR1);
    CHECK_EQ_INT (pthread_sigmask (SIG_BLOCK, &usr1, NULL), 0);
    CHECK_EQ_INT (kill (getpid (), SIGUSR1), 0);
    /*  A thread that takes it clears it from the pending set at once;
     *  pending for 200 ms, nobody will.  */
    for (int i = 0; i < 200; i++) {
        CHECK_EQ_INT (sigpending (&pending), 0);
        if (!sigismember (&pending, SIGUSR1))
            break;
        const struct timespec ms = {0, 1000000};
        nanosleep (&ms, NULL);
    }
    CHECK_EQ_INT (sigismember (&pending, SIGUSR1), 1);
    CHECK_EQ_INT (usr1_off_main, 0);
    /*  Unblocked here, it is delivered here.  */
    CHECK_EQ_INT (pthread_sigmask (SIG_UNBLOCK, &usr1, NULL), 0);
    CHECK_EQ_INT (usr1_on_main, 1);
    CHECK_EQ_INT (usr1_off_main, 0);
    CHECK_EQ_INT (sigaction (SIGUSR1, &old, NULL), 0);
    CHECK_ZMQ (zmq_close (a));
    CHECK_ZMQ (zmq_close (b));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
