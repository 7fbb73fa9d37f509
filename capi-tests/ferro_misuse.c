/* ferro_misuse.c: misuse where libzmq crashes, aborts or hangs and ferrozmq refuses cleanly instead (not expected to pass against libzmq). */
#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

/*  Rules pinned here:
 *  - calls that create or change a message fail with -1/EFAULT on a NULL,
 *    closed or all-zero message;
 *  - reads of such a message behave as on an all-zero message in libzmq
 *    (zmq_msg_more and ZMQ_MORE/ZMQ_SHARED are 0, ZMQ_SRCFD and zmq_msg_gets
 *    fail with EINVAL), and zmq_msg_size/zmq_msg_data, which libzmq asserts
 *    on, give 0/NULL with EFAULT;
 *  - stale (terminated) contexts and NULL helper handles give an error.  */

static void closed (zmq_msg_t *msg_)
{
    CHECK_ZMQ (zmq_msg_init_size (msg_, 100));
    CHECK_ZMQ (zmq_msg_close (msg_));
}

static void zeroed (zmq_msg_t *msg_)
{
    memset (msg_, 0, sizeof *msg_);
}

typedef void (*make_invalid_fn) (zmq_msg_t *);
static const make_invalid_fn invalid_kinds[] = {closed, zeroed};
#define NKINDS (sizeof invalid_kinds / sizeof invalid_kinds[0])

static int ffn_calls;
static void count_ffn (void *data_, void *hint_)
{
    (void) data_;
    (void) hint_;
    ffn_calls++;
}

/* ---- NULL messages ---------------------------------------------------------- */

TEST (msg_init_functions_with_a_null_message_fail_efault)
{
    char buf[8] = "payload";
    CHECK_ZMQ_FAILS (zmq_msg_init (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_msg_init_size (NULL, 10), EFAULT);
    CHECK_ZMQ_FAILS (zmq_msg_init_size (NULL, 1000), EFAULT);
    ffn_calls = 0;
    CHECK_ZMQ_FAILS (zmq_msg_init_data (NULL, buf, sizeof buf, count_ffn, NULL),
                     EFAULT);
    CHECK_EQ_INT (ffn_calls, 0);
}

TEST (msg_close_of_a_null_message_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_msg_close (NULL), EFAULT);
}

TEST (msg_copy_and_move_with_a_null_message_fail_efault)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 100));
    CHECK_ZMQ_FAILS (zmq_msg_copy (NULL, &msg), EFAULT);
    CHECK_ZMQ_FAILS (zmq_msg_copy (&msg, NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_msg_move (NULL, &msg), EFAULT);
    CHECK_ZMQ_FAILS (zmq_msg_move (&msg, NULL), EFAULT);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 100);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_size_and_data_of_a_null_message_are_0_and_null_with_efault)
{
    errno = 0;
    CHECK_EQ_SIZE (zmq_msg_size (NULL), 0);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_NULL_ERRNO (zmq_msg_data (NULL), EFAULT);
}

TEST (msg_reads_of_a_null_message_behave_as_on_an_all_zero_message)
{
    CHECK_EQ_INT (zmq_msg_more (NULL), 0);
    CHECK_EQ_INT (zmq_msg_get (NULL, ZMQ_MORE), 0);
    CHECK_EQ_INT (zmq_msg_get (NULL, ZMQ_SHARED), 0);
    CHECK_ZMQ_FAILS (zmq_msg_get (NULL, ZMQ_SRCFD), EINVAL);
    CHECK_NULL_ERRNO (zmq_msg_gets (NULL, "Socket-Type"), EINVAL);
}

/* ---- closed and all-zero messages --------------------------------------- */

TEST (msg_size_and_data_of_an_invalid_message_are_0_and_null_with_efault)
{
    for (size_t k = 0; k < NKINDS; k++) {
        zmq_msg_t msg;
        invalid_kinds[k](&msg);
        errno = 0;
        CHECK_EQ_SIZE (zmq_msg_size (&msg), 0);
        CHECK_EQ_INT (errno, EFAULT);
        CHECK_NULL_ERRNO (zmq_msg_data (&msg), EFAULT);
    }
}

TEST (msg_shared_of_a_closed_message_is_0)
{
    zmq_msg_t a, b;
    CHECK_ZMQ (zmq_msg_init_size (&a, 100));
    CHECK_ZMQ (zmq_msg_init (&b));
    CHECK_ZMQ (zmq_msg_copy (&b, &a));
    CHECK_ZMQ (zmq_msg_close (&a));
    CHECK_EQ_INT (zmq_msg_get (&a, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&b));
}

TEST (msg_init_data_with_null_data_and_a_size_fails_einval)
{
    zmq_msg_t msg;
    ffn_calls = 0;
    CHECK_ZMQ_FAILS (zmq_msg_init_data (&msg, NULL, 5, NULL, NULL), EINVAL);
    CHECK_ZMQ_FAILS (zmq_msg_init_data (&msg, NULL, 5, count_ffn, NULL),
                     EINVAL);
    CHECK_EQ_INT (ffn_calls, 0);
}

TEST (msg_close_after_a_failed_init_size_does_not_crash)
{
    zmq_msg_t msg;
    zeroed (&msg);
    CHECK_ZMQ_FAILS (zmq_msg_init_size (&msg, SIZE_MAX), ENOMEM);
    errno = 0;
    const int rc = zmq_msg_close (&msg);
    CHECK (rc == 0 || (rc == -1 && errno == EFAULT));
}

TEST (msg_move_onto_itself_keeps_the_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 100));
    memset (zmq_msg_data (&msg), 'm', 100);
    CHECK_EQ_INT (zmq_msg_move (&msg, &msg), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 100);
    CHECK_EQ_INT (((char *) zmq_msg_data (&msg))[99], 'm');
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_copy_onto_itself_keeps_the_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 100));
    memset (zmq_msg_data (&msg), 'c', 100);
    CHECK_EQ_INT (zmq_msg_copy (&msg, &msg), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 100);
    CHECK_EQ_INT (((char *) zmq_msg_data (&msg))[0], 'c');
    CHECK_ZMQ (zmq_msg_close (&msg));
}

/* ---- contexts ------------------------------------------------------------------- */

TEST (ctx_term_of_a_terminated_context_fails_efault)
{
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    CHECK_ZMQ (zmq_ctx_term (ctx));
    CHECK_ZMQ_FAILS (zmq_ctx_term (ctx), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_get (ctx, ZMQ_IO_THREADS), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_shutdown (ctx), EFAULT);
    CHECK_NULL_ERRNO (zmq_socket (ctx, ZMQ_PAIR), EFAULT);
}

/* ---- utilities ------------------------------------------------------------- */

TEST (timers_destroy_of_a_null_holder_fails_efault)
{
    CHECK_ZMQ_FAILS (zmq_timers_destroy (NULL), EFAULT);
}

static int zero_timer_calls;
static void on_zero_timer (int id_, void *arg_)
{
    (void) id_;
    (void) arg_;
    zero_timer_calls++;
}

/*  libzmq's execute loops forever on a zero-interval timer.  */
TEST (timers_zero_interval_timer_fires_once_per_execute)
{
    void *timers = zmq_timers_new ();
    CHECK_NOT_NULL (timers);
    CHECK_ZMQ (zmq_timers_add (timers, 0, on_zero_timer, NULL));
    CHECK_EQ_INT (zmq_timers_timeout (timers), 0);
    zero_timer_calls = 0;
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (zero_timer_calls, 1);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (zero_timer_calls, 2);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (atomic_counter_calls_with_null_fail_efault)
{
    void *none = NULL;
    CHECK_ZMQ_FAILS (zmq_atomic_counter_inc (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_atomic_counter_dec (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_atomic_counter_value (NULL), EFAULT);
    zmq_atomic_counter_set (NULL, 5);
    zmq_atomic_counter_destroy (&none);
    CHECK_NULL (none);
    zmq_atomic_counter_destroy (NULL);
}

TEST (z85_with_null_buffers_fails_einval)
{
    const uint8_t data[4] = {1, 2, 3, 4};
    char text[6];
    uint8_t bytes[4];
    CHECK_NULL_ERRNO (zmq_z85_encode (NULL, data, 4), EINVAL);
    CHECK_NULL_ERRNO (zmq_z85_encode (text, NULL, 4), EINVAL);
    CHECK_NULL_ERRNO (zmq_z85_decode (NULL, "HelloWorld"), EINVAL);
    CHECK_NULL_ERRNO (zmq_z85_decode (bytes, NULL), EINVAL);
}

TEST (stopwatch_with_null_gives_0)
{
    CHECK_EQ_SIZE (zmq_stopwatch_intermediate (NULL), 0);
    CHECK_EQ_SIZE (zmq_stopwatch_stop (NULL), 0);
}

TEST (has_of_null_is_0)
{
    CHECK_EQ_INT (zmq_has (NULL), 0);
}

TEST (version_fills_only_the_non_null_outputs)
{
    int minor = -1;
    zmq_version (NULL, &minor, NULL);
    CHECK_EQ_INT (minor, ZMQ_VERSION_MINOR);
}

TEST (sleep_of_a_negative_time_returns_at_once)
{
    struct timespec a, b;
    clock_gettime (CLOCK_MONOTONIC, &a);
    zmq_sleep (-1);
    clock_gettime (CLOCK_MONOTONIC, &b);
    CHECK (b.tv_sec - a.tv_sec < 2);
}

TEST (threadstart_without_a_function_fails)
{
    CHECK_NULL (zmq_threadstart (NULL, NULL));
    zmq_threadclose (NULL);
}

/* ---- lengths no buffer can have ------------------------------------------- */

/*  libzmq reads or copies that many bytes and crashes; ferrozmq refuses:
 *  EINVAL for option values, ENOMEM for message data (what allocating a
 *  copy that size ends in). An int option read into a buffer claimed to be
 *  SIZE_MAX long is EINVAL, as in libzmq (int options need the exact size).  */
TEST (impossible_lengths_are_refused_not_read)
{
    void *ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    char byte = 'x';
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, &byte, SIZE_MAX), -1);
    CHECK_EQ_INT (zmq_errno (), EINVAL);
    int hwm = -1;
    size_t len = SIZE_MAX;
    CHECK_EQ_INT (zmq_getsockopt (sub, ZMQ_RCVHWM, &hwm, &len), -1);
    CHECK_EQ_INT (zmq_errno (), EINVAL);
    CHECK_EQ_INT (hwm, -1);
    CHECK_EQ_INT (zmq_send (push, &byte, SIZE_MAX, ZMQ_DONTWAIT), -1);
    CHECK_EQ_INT (zmq_errno (), ENOMEM);
    struct iovec iov = {&byte, SIZE_MAX};
    CHECK_EQ_INT (zmq_sendiov (push, &iov, 1, ZMQ_DONTWAIT), -1);
    CHECK_EQ_INT (zmq_errno (), ENOMEM);
    CHECK_ZMQ (zmq_close (sub));
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

/* ---- one socket, several threads ------------------------------------------ */

/*  Sockets are not thread-safe; libzmq corrupts memory when two threads use
 *  one at once. ferrozmq serialises the calls (its per-socket call lock, which
 *  is biased to the thread that uses a socket and revoked when another one
 *  comes): every message arrives whole, none is lost or duplicated.  */

#define MISUSE_MSGS 20000

struct misuse_sender
{
    void *push;
    int id;
    int failed;
};

static void *misuse_send (void *arg_)
{
    struct misuse_sender *s = (struct misuse_sender *) arg_;
    for (int i = 0; i < MISUSE_MSGS; i++) {
        int payload[2] = {s->id, i};
        if (zmq_send (s->push, payload, sizeof payload, 0) != (int) sizeof payload) {
            s->failed = 1;
            break;
        }
    }
    return NULL;
}

TEST (one_socket_used_by_two_threads_at_once_loses_and_tears_nothing)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    CHECK_ZMQ (zmq_bind (pull, "inproc://ferro-misuse-threads"));
    CHECK_ZMQ (zmq_connect (push, "inproc://ferro-misuse-threads"));
    /*  The main thread uses the socket first (it becomes biased to it),
     *  then two other threads take over, at the same time.  */
    for (int i = 0; i < 100; i++) {
        int payload[2] = {0, i};
        CHECK_EQ_INT (zmq_send (push, payload, sizeof payload, 0), (int) sizeof payload);
    }
    struct misuse_sender senders[2] = {{push, 1, 0}, {push, 2, 0}};
    pthread_t threads[2];
    for (int t = 0; t < 2; t++)
        CHECK (pthread_create (&threads[t], NULL, misuse_send, &senders[t]) == 0);
    int next[3] = {0, 0, 0};
    int timeout = 10000;
    CHECK_ZMQ (zmq_setsockopt (pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout));
    for (int n = 0; n < 100 + 2 * MISUSE_MSGS; n++) {
        int payload[2];
        CHECK_EQ_INT (zmq_recv (pull, payload, sizeof payload, 0), (int) sizeof payload);
        CHECK (payload[0] >= 0 && payload[0] <= 2);
        /*  Per sender, in order: nothing lost, duplicated or torn.  */
        CHECK_EQ_INT (payload[1], next[payload[0]]);
        next[payload[0]]++;
    }
    for (int t = 0; t < 2; t++) {
        CHECK (pthread_join (threads[t], NULL) == 0);
        CHECK (!senders[t].failed);
    }
    /*  And back to the main thread, which closes it.  */
    int last[2] = {0, 100};
    CHECK_EQ_INT (zmq_send (push, last, sizeof last, 0), (int) sizeof last);
    int got[2];
    CHECK_EQ_INT (zmq_recv (pull, got, sizeof got, 0), (int) sizeof got);
    CHECK_EQ_INT (got[1], 100);
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

static void *steered_proxy (void *arg)
{
    void **s = arg;
    intptr_t rc = zmq_proxy_steerable (s[0], s[1], NULL, s[2]);
    return (void *) rc;
}

/*  libzmq 4.3 asserts (aborting the process) on an unknown control
 *  command; ferrozmq ignores it and keeps proxying.  */
TEST (proxy_ignores_an_unknown_control_command)
{
    void *ctx = zmq_ctx_new ();
    void *s[3] = {zmq_socket (ctx, ZMQ_PULL), zmq_socket (ctx, ZMQ_PUSH),
                  zmq_socket (ctx, ZMQ_PAIR)};
    void *steer = zmq_socket (ctx, ZMQ_PAIR);
    void *producer = zmq_socket (ctx, ZMQ_PUSH);
    void *consumer = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ZMQ (zmq_bind (s[0], "inproc://in"));
    CHECK_ZMQ (zmq_bind (s[1], "inproc://out"));
    CHECK_ZMQ (zmq_bind (s[2], "inproc://control"));
    CHECK_ZMQ (zmq_connect (steer, "inproc://control"));
    CHECK_ZMQ (zmq_connect (producer, "inproc://in"));
    CHECK_ZMQ (zmq_connect (consumer, "inproc://out"));
    pthread_t t;
    CHECK (pthread_create (&t, NULL, steered_proxy, s) == 0);
    CHECK_EQ_INT (zmq_send (steer, "BOGUS", 5, 0), 5);
    CHECK_EQ_INT (zmq_send (producer, "after", 5, 0), 5);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (consumer, buf, sizeof buf, 0), 5);
    CHECK_EQ_MEM (buf, "after", 5);
    CHECK_EQ_INT (zmq_send (steer, "TERMINATE", 9, 0), 9);
    void *rc;
    CHECK (pthread_join (t, &rc) == 0);
    CHECK_EQ_INT ((int) (intptr_t) rc, 0);
    for (int i = 0; i < 3; i++)
        zmq_close (s[i]);
    zmq_close (steer);
    zmq_close (producer);
    zmq_close (consumer);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
