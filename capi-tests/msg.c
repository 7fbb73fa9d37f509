/* msg.c: zmq_msg_t layout and the lifecycle, copy/move sharing and properties of messages. */
#include "testutil.h"

#include <pthread.h>
#include <stddef.h>

/*  Sizes around libzmq's 33-byte inline limit and a large one.  */
static const size_t sizes[] = {0, 1, 33, 34, 255, 256, 1024 * 1024};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/*  Records the calls of a free function.  */
typedef struct
{
    int calls;
    void *data;
    void *hint;
} ffn_log_t;

static void log_ffn (void *data_, void *hint_)
{
    ffn_log_t *log = (ffn_log_t *) hint_;
    log->calls++;
    log->data = data_;
    log->hint = hint_;
}

/*  A free function that only counts, atomically (closes from many threads).  */
static void count_ffn (void *data_, void *hint_)
{
    (void) data_;
    __atomic_fetch_add ((int *) hint_, 1, __ATOMIC_SEQ_CST);
}

static unsigned char pattern_byte (size_t i_)
{
    return (unsigned char) (i_ * 31 + 7);
}

static void fill (zmq_msg_t *msg_)
{
    unsigned char *p = (unsigned char *) zmq_msg_data (msg_);
    for (size_t i = 0; i < zmq_msg_size (msg_); i++)
        p[i] = pattern_byte (i);
}

static int has_pattern (zmq_msg_t *msg_, size_t size_)
{
    const unsigned char *p = (const unsigned char *) zmq_msg_data (msg_);
    if (zmq_msg_size (msg_) != size_)
        return 0;
    for (size_t i = 0; i < size_; i++)
        if (p[i] != pattern_byte (i))
            return 0;
    return 1;
}

static int is_inside (const void *p_, const zmq_msg_t *msg_)
{
    const char *p = (const char *) p_;
    const char *m = (const char *) msg_;
    return p >= m && p < m + sizeof (zmq_msg_t);
}

/* ---- layout ------------------------------------------------------------ */

TEST (msg_t_is_64_bytes)
{
    CHECK_EQ_SIZE (sizeof (zmq_msg_t), 64);
}

TEST (msg_t_is_pointer_aligned)
{
    struct probe
    {
        char c;
        zmq_msg_t msg;
    };
    CHECK_EQ_SIZE (offsetof (struct probe, msg), sizeof (void *));
}

/* ---- init, init_size, data, size --------------------------------------- */

TEST (msg_init_gives_empty_message)
{
    zmq_msg_t msg;
    memset (&msg, 0xA5, sizeof msg);
    CHECK_EQ_INT (zmq_msg_init (&msg), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

TEST (msg_data_is_not_null_for_empty_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_NOT_NULL (zmq_msg_data (&msg));
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_init_size_gives_requested_size)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        CHECK_EQ_INT (zmq_msg_init_size (&msg, sizes[i]), 0);
        CHECK_EQ_SIZE (zmq_msg_size (&msg), sizes[i]);
        CHECK_NOT_NULL (zmq_msg_data (&msg));
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (msg_init_size_data_is_writable_and_reads_back)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        CHECK_ZMQ (zmq_msg_init_size (&msg, sizes[i]));
        fill (&msg);
        CHECK (has_pattern (&msg, sizes[i]));
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (msg_data_pointer_is_stable_across_calls)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg;
        CHECK_ZMQ (zmq_msg_init_size (&msg, sizes[i]));
        void *first = zmq_msg_data (&msg);
        CHECK_EQ_PTR (zmq_msg_data (&msg), first);
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (msg_up_to_33_bytes_is_stored_inside_the_msg_t)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 33));
    CHECK (is_inside (zmq_msg_data (&msg), &msg));
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_of_34_bytes_is_stored_outside_the_msg_t)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 34));
    CHECK (!is_inside (zmq_msg_data (&msg), &msg));
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_closed_message_can_be_initialised_again)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 100));
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_EQ_INT (zmq_msg_init_size (&msg, 5), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 5);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

/* ---- init_data ---------------------------------------------------------- */

TEST (msg_init_data_exposes_the_caller_buffer)
{
    char buf[100] = "caller owned";
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, buf, sizeof buf, log_ffn, &log), 0);
    CHECK_EQ_PTR (zmq_msg_data (&msg), buf);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), sizeof buf);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_init_data_small_buffer_is_not_copied)
{
    char buf[5] = "tiny";
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_data (&msg, buf, sizeof buf, NULL, NULL));
    CHECK_EQ_PTR (zmq_msg_data (&msg), buf);
    buf[0] = 'T';
    CHECK_EQ_MEM (zmq_msg_data (&msg), "Tiny", 5);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_init_data_free_fn_called_once_on_close_with_data_and_hint)
{
    char *buf = (char *) malloc (64);
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t msg;
    CHECK_NOT_NULL (buf);
    CHECK_ZMQ (zmq_msg_init_data (&msg, buf, 64, log_ffn, &log));
    CHECK_EQ_INT (log.calls, 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_PTR (log.data, buf);
    CHECK_EQ_PTR (log.hint, &log);
    free (buf);
}

TEST (msg_init_data_small_buffer_free_fn_called_once_on_close)
{
    char buf[3] = "ab";
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_data (&msg, buf, sizeof buf, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_PTR (log.data, buf);
}

TEST (msg_init_data_free_fn_waits_for_the_last_copy)
{
    char buf[64];
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t a, b, c;
    CHECK_ZMQ (zmq_msg_init_data (&a, buf, sizeof buf, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_init (&b));
    CHECK_ZMQ (zmq_msg_init (&c));
    CHECK_ZMQ (zmq_msg_copy (&b, &a));
    CHECK_ZMQ (zmq_msg_copy (&c, &b));
    CHECK_ZMQ (zmq_msg_close (&a));
    CHECK_EQ_INT (log.calls, 0);
    CHECK_ZMQ (zmq_msg_close (&c));
    CHECK_EQ_INT (log.calls, 0);
    CHECK_EQ_PTR (zmq_msg_data (&b), buf);
    CHECK_ZMQ (zmq_msg_close (&b));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_PTR (log.data, buf);
    CHECK_EQ_PTR (log.hint, &log);
}

TEST (msg_init_data_free_fn_follows_a_move)
{
    char buf[64];
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_data (&src, buf, sizeof buf, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_move (&dst, &src));
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_EQ_INT (log.calls, 0);
    CHECK_ZMQ (zmq_msg_close (&dst));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_PTR (log.data, buf);
}

enum
{
    shared_copies = 64,
    closer_threads = 4
};

static zmq_msg_t shared_msgs[shared_copies];

/*  Closes every closer_threads-th message starting at *arg; returns the
 *  number of failed closes.  */
static void *close_some (void *arg_)
{
    const int first = *(const int *) arg_;
    intptr_t failures = 0;
    for (int i = first; i < shared_copies; i += closer_threads)
        if (zmq_msg_close (&shared_msgs[i]) != 0)
            failures++;
    return (void *) failures;
}

TEST (msg_init_data_free_fn_called_once_when_copies_close_on_many_threads)
{
    static char buf[128];
    int calls = 0;
    pthread_t tids[closer_threads];
    int firsts[closer_threads];
    CHECK_ZMQ (
      zmq_msg_init_data (&shared_msgs[0], buf, sizeof buf, count_ffn, &calls));
    for (int i = 1; i < shared_copies; i++) {
        CHECK_ZMQ (zmq_msg_init (&shared_msgs[i]));
        CHECK_ZMQ (zmq_msg_copy (&shared_msgs[i], &shared_msgs[0]));
    }
    for (int t = 0; t < closer_threads; t++) {
        firsts[t] = t;
        CHECK_EQ_INT (pthread_create (&tids[t], NULL, close_some, &firsts[t]),
                      0);
    }
    for (int t = 0; t < closer_threads; t++) {
        void *failures = NULL;
        CHECK_EQ_INT (pthread_join (tids[t], &failures), 0);
        CHECK_EQ_INT ((intptr_t) failures, 0);
    }
    CHECK_EQ_INT (__atomic_load_n (&calls, __ATOMIC_SEQ_CST), 1);
}

TEST (msg_init_data_null_free_fn_is_allowed)
{
    char buf[64] = "constant";
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, buf, sizeof buf, NULL, NULL), 0);
    CHECK_EQ_PTR (zmq_msg_data (&msg), buf);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
    CHECK_EQ_STR (buf, "constant");
}

TEST (msg_init_data_null_buffer_with_zero_size_is_allowed)
{
    zmq_msg_t msg;
    CHECK_EQ_INT (zmq_msg_init_data (&msg, NULL, 0, NULL, NULL), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

TEST (msg_init_data_null_buffer_with_zero_size_still_calls_free_fn)
{
    ffn_log_t log = {0, &log, NULL};
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_data (&msg, NULL, 0, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_NULL (log.data);
    CHECK_EQ_PTR (log.hint, &log);
}

/* ---- move --------------------------------------------------------------- */

TEST (msg_move_transfers_content_and_empties_the_source)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, sizes[i]));
        fill (&src);
        CHECK_ZMQ (zmq_msg_init (&dst));
        CHECK_EQ_INT (zmq_msg_move (&dst, &src), 0);
        CHECK (has_pattern (&dst, sizes[i]));
        CHECK_EQ_SIZE (zmq_msg_size (&src), 0);
        CHECK_ZMQ (zmq_msg_close (&src));
        CHECK_ZMQ (zmq_msg_close (&dst));
    }
}

TEST (msg_move_keeps_the_data_pointer_of_a_large_message)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 1000));
    void *data = zmq_msg_data (&src);
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_move (&dst, &src));
    CHECK_EQ_PTR (zmq_msg_data (&dst), data);
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_moved_from_message_is_reusable)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 500));
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_move (&dst, &src));
    CHECK_ZMQ (zmq_msg_init_size (&dst, 7));
    CHECK_ZMQ (zmq_msg_close (&dst));
    /* the source is an empty message: it can be the target of a move */
    CHECK_ZMQ (zmq_msg_init_size (&dst, 40));
    CHECK_EQ_INT (zmq_msg_move (&src, &dst), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&src), 40);
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_move_releases_the_previous_content_of_the_destination)
{
    char buf[64];
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_data (&dst, buf, sizeof buf, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_init_size (&src, 3));
    CHECK_ZMQ (zmq_msg_move (&dst, &src));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_PTR (log.data, buf);
    CHECK_EQ_SIZE (zmq_msg_size (&dst), 3);
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
    CHECK_EQ_INT (log.calls, 1);
}

/* ---- copy --------------------------------------------------------------- */

TEST (msg_copy_shares_the_payload_of_a_large_message)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 1024 * 1024));
    fill (&src);
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_EQ_INT (zmq_msg_copy (&dst, &src), 0);
    CHECK_EQ_PTR (zmq_msg_data (&dst), zmq_msg_data (&src));
    CHECK (has_pattern (&dst, 1024 * 1024));
    CHECK (has_pattern (&src, 1024 * 1024));
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK (has_pattern (&dst, 1024 * 1024));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_copy_of_34_bytes_shares_the_payload)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 34));
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_copy (&dst, &src));
    CHECK_EQ_PTR (zmq_msg_data (&dst), zmq_msg_data (&src));
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_copy_of_a_small_message_has_its_own_bytes)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 33));
    fill (&src);
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_copy (&dst, &src));
    CHECK (has_pattern (&dst, 33));
    CHECK_NE_PTR (zmq_msg_data (&dst), zmq_msg_data (&src));
    CHECK (is_inside (zmq_msg_data (&dst), &dst));
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK (has_pattern (&dst, 33));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_copy_of_every_size_keeps_both_messages_intact)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, sizes[i]));
        fill (&src);
        CHECK_ZMQ (zmq_msg_init (&dst));
        CHECK_ZMQ (zmq_msg_copy (&dst, &src));
        CHECK (has_pattern (&src, sizes[i]));
        CHECK (has_pattern (&dst, sizes[i]));
        CHECK_ZMQ (zmq_msg_close (&dst));
        CHECK (has_pattern (&src, sizes[i]));
        CHECK_ZMQ (zmq_msg_close (&src));
    }
}

TEST (msg_copy_of_init_data_message_shares_the_caller_buffer)
{
    char buf[10] = "0123456789";
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_data (&src, buf, sizeof buf, NULL, NULL));
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_copy (&dst, &src));
    CHECK_EQ_PTR (zmq_msg_data (&dst), buf);
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
}

TEST (msg_copy_releases_the_previous_content_of_the_destination)
{
    char buf[64];
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_data (&dst, buf, sizeof buf, log_ffn, &log));
    CHECK_ZMQ (zmq_msg_init_size (&src, 100));
    CHECK_ZMQ (zmq_msg_copy (&dst, &src));
    CHECK_EQ_INT (log.calls, 1);
    CHECK_EQ_SIZE (zmq_msg_size (&dst), 100);
    CHECK_ZMQ (zmq_msg_close (&src));
    CHECK_ZMQ (zmq_msg_close (&dst));
    CHECK_EQ_INT (log.calls, 1);
}

/* ---- ZMQ_SHARED ---------------------------------------------------------- */

TEST (msg_shared_is_0_for_fresh_messages)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
    for (size_t i = 0; i < NSIZES; i++) {
        CHECK_ZMQ (zmq_msg_init_size (&msg, sizes[i]));
        CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 0);
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (msg_shared_stays_0_after_copying_a_small_message)
{
    const size_t small[] = {0, 1, 33};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, small[i]));
        CHECK_ZMQ (zmq_msg_init (&dst));
        CHECK_ZMQ (zmq_msg_copy (&dst, &src));
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 0);
        CHECK_EQ_INT (zmq_msg_get (&dst, ZMQ_SHARED), 0);
        CHECK_ZMQ (zmq_msg_close (&src));
        CHECK_ZMQ (zmq_msg_close (&dst));
    }
}

TEST (msg_shared_becomes_1_on_both_after_copying_a_large_message)
{
    const size_t large[] = {34, 256, 1024 * 1024};
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) {
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_size (&src, large[i]));
        CHECK_ZMQ (zmq_msg_init (&dst));
        CHECK_ZMQ (zmq_msg_copy (&dst, &src));
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 1);
        CHECK_EQ_INT (zmq_msg_get (&dst, ZMQ_SHARED), 1);
        CHECK_ZMQ (zmq_msg_close (&src));
        CHECK_ZMQ (zmq_msg_close (&dst));
    }
}

TEST (msg_shared_stays_1_after_the_copy_is_closed)
{
    zmq_msg_t src, dst;
    CHECK_ZMQ (zmq_msg_init_size (&src, 100));
    CHECK_ZMQ (zmq_msg_init (&dst));
    CHECK_ZMQ (zmq_msg_copy (&dst, &src));
    CHECK_ZMQ (zmq_msg_close (&dst));
    CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 1);
    CHECK_ZMQ (zmq_msg_close (&src));
}

TEST (msg_shared_is_1_for_init_data_without_free_fn)
{
    char buf[100];
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_data (&msg, buf, sizeof buf, NULL, NULL));
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_ZMQ (zmq_msg_close (&msg));
    CHECK_ZMQ (zmq_msg_init_data (&msg, buf, 4, NULL, NULL));
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_shared_is_0_for_init_data_with_free_fn_until_copied)
{
    const size_t lens[] = {4, 100};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char buf[100];
        ffn_log_t log = {0, NULL, NULL};
        zmq_msg_t src, dst;
        CHECK_ZMQ (zmq_msg_init_data (&src, buf, lens[i], log_ffn, &log));
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 0);
        CHECK_ZMQ (zmq_msg_init (&dst));
        CHECK_ZMQ (zmq_msg_copy (&dst, &src));
        CHECK_EQ_INT (zmq_msg_get (&src, ZMQ_SHARED), 1);
        CHECK_EQ_INT (zmq_msg_get (&dst, ZMQ_SHARED), 1);
        CHECK_ZMQ (zmq_msg_close (&src));
        CHECK_ZMQ (zmq_msg_close (&dst));
        CHECK_EQ_INT (log.calls, 1);
    }
}

TEST (msg_shared_moves_with_the_content)
{
    zmq_msg_t a, b, c;
    CHECK_ZMQ (zmq_msg_init_size (&a, 100));
    CHECK_ZMQ (zmq_msg_init (&b));
    CHECK_ZMQ (zmq_msg_move (&b, &a));
    CHECK_EQ_INT (zmq_msg_get (&b, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_init (&c));
    CHECK_ZMQ (zmq_msg_copy (&c, &b));
    CHECK_ZMQ (zmq_msg_move (&a, &b));
    CHECK_EQ_INT (zmq_msg_get (&a, ZMQ_SHARED), 1);
    CHECK_EQ_INT (zmq_msg_get (&b, ZMQ_SHARED), 0);
    CHECK_ZMQ (zmq_msg_close (&a));
    CHECK_ZMQ (zmq_msg_close (&b));
    CHECK_ZMQ (zmq_msg_close (&c));
}

/* ---- properties ---------------------------------------------------------- */

TEST (msg_more_is_0_for_a_fresh_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_INT (zmq_msg_get (&msg, ZMQ_MORE), 0);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_srcfd_is_minus_1_with_einval_for_a_fresh_message)
{
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    CHECK_ZMQ_FAILS (zmq_msg_get (&msg, ZMQ_SRCFD), EINVAL);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_get_unknown_property_fails_einval)
{
    const int props[] = {0, 4, 100, -1};
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init (&msg));
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        CHECK_ZMQ_FAILS (zmq_msg_get (&msg, props[i]), EINVAL);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_set_fails_einval_for_every_property)
{
    const int props[] = {ZMQ_MORE, ZMQ_SRCFD, ZMQ_SHARED, 0, 100};
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        CHECK_ZMQ_FAILS (zmq_msg_set (&msg, props[i], 1), EINVAL);
        CHECK_ZMQ_FAILS (zmq_msg_set (&msg, props[i], 0), EINVAL);
    }
    CHECK_EQ_INT (zmq_msg_more (&msg), 0);
    CHECK_EQ_SIZE (zmq_msg_size (&msg), 10);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

TEST (msg_gets_on_a_fresh_message_is_null_with_einval)
{
    const char *names[] = {"Socket-Type", "Routing-Id", "User-Id",
                           "Peer-Address", "__fd", ""};
    zmq_msg_t msg;
    CHECK_ZMQ (zmq_msg_init_size (&msg, 10));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_NULL_ERRNO (zmq_msg_gets (&msg, names[i]), EINVAL);
    CHECK_ZMQ (zmq_msg_close (&msg));
}

/* ---- messages in odd places -------------------------------------------- */

struct holder
{
    char tag;
    zmq_msg_t first;
    short gap;
    zmq_msg_t second;
    char tail[3];
};

TEST (msg_inside_structs_and_arrays_works)
{
    struct holder h;
    zmq_msg_t arr[3];
    CHECK_ZMQ (zmq_msg_init_size (&h.first, 50));
    fill (&h.first);
    CHECK_ZMQ (zmq_msg_init (&h.second));
    CHECK_ZMQ (zmq_msg_copy (&h.second, &h.first));
    CHECK_ZMQ (zmq_msg_init (&arr[1]));
    CHECK_ZMQ (zmq_msg_move (&arr[1], &h.first));
    CHECK (has_pattern (&arr[1], 50));
    CHECK (has_pattern (&h.second, 50));
    CHECK_EQ_SIZE (zmq_msg_size (&h.first), 0);
    CHECK_ZMQ (zmq_msg_close (&h.first));
    CHECK_ZMQ (zmq_msg_close (&h.second));
    CHECK_ZMQ (zmq_msg_close (&arr[1]));
}

TEST (msg_on_the_heap_works)
{
    zmq_msg_t *a = (zmq_msg_t *) malloc (sizeof (zmq_msg_t));
    zmq_msg_t *b = (zmq_msg_t *) malloc (sizeof (zmq_msg_t));
    CHECK_NOT_NULL (a);
    CHECK_NOT_NULL (b);
    CHECK_ZMQ (zmq_msg_init_size (a, 5000));
    fill (a);
    CHECK_ZMQ (zmq_msg_init (b));
    CHECK_ZMQ (zmq_msg_copy (b, a));
    CHECK_ZMQ (zmq_msg_close (a));
    free (a);
    CHECK (has_pattern (b, 5000));
    CHECK_ZMQ (zmq_msg_close (b));
    free (b);
}

/*  Builds a message and returns it by value, as C code does.  */
static zmq_msg_t make_message (size_t size_)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size_) == 0)
        fill (&msg);
    return msg;
}

TEST (msg_returned_by_value_keeps_working)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t msg = make_message (sizes[i]);
        CHECK (has_pattern (&msg, sizes[i]));
        CHECK_ZMQ (zmq_msg_close (&msg));
    }
}

TEST (msg_memcpy_moved_to_another_place_keeps_working)
{
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t *from = (zmq_msg_t *) malloc (sizeof (zmq_msg_t));
        zmq_msg_t to, copy;
        CHECK_NOT_NULL (from);
        CHECK_ZMQ (zmq_msg_init_size (from, sizes[i]));
        fill (from);
        memcpy (&to, from, sizeof to);
        memset (from, 0xEE, sizeof *from);
        free (from);
        CHECK (has_pattern (&to, sizes[i]));
        CHECK_ZMQ (zmq_msg_init (&copy));
        CHECK_ZMQ (zmq_msg_copy (&copy, &to));
        CHECK_ZMQ (zmq_msg_close (&to));
        CHECK (has_pattern (&copy, sizes[i]));
        CHECK_ZMQ (zmq_msg_close (&copy));
    }
}

TEST (msg_memcpy_moved_init_data_message_frees_once)
{
    char buf[64];
    ffn_log_t log = {0, NULL, NULL};
    zmq_msg_t from, to;
    CHECK_ZMQ (zmq_msg_init_data (&from, buf, sizeof buf, log_ffn, &log));
    memcpy (&to, &from, sizeof to);
    memset (&from, 0, sizeof from);
    CHECK_EQ_PTR (zmq_msg_data (&to), buf);
    CHECK_ZMQ (zmq_msg_close (&to));
    CHECK_EQ_INT (log.calls, 1);
}

/*  zmq_msg_gets over tcp for every kind of received message: copied
 *  inline (<= 33 bytes), pointing into the shared receive buffer (34
 *  bytes to the buffer's size), and in a buffer of its own (1 MiB); also
 *  on a copy, and after both sockets and the context are gone.  */
TEST (msg_gets_finds_the_connection_properties_of_every_received_size)
{
    void *ctx = zmq_ctx_new ();
    void *pull = zmq_socket (ctx, ZMQ_PULL), *push = zmq_socket (ctx, ZMQ_PUSH);
    int zero = 0;
    CHECK_ZMQ (zmq_setsockopt (push, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_ZMQ (zmq_bind (pull, "tcp://127.0.0.1:*"));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_ZMQ (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_ZMQ (zmq_connect (push, ep));
    zmq_msg_t got[NSIZES], copies[NSIZES];
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t m;
        CHECK_ZMQ (zmq_msg_init_size (&m, sizes[i]));
        fill (&m);
        CHECK_EQ_INT (zmq_msg_send (&m, push, 0), (int) sizes[i]);
    }
    for (size_t i = 0; i < NSIZES; i++) {
        CHECK_ZMQ (zmq_msg_init (&got[i]));
        CHECK_EQ_INT (zmq_msg_recv (&got[i], pull, 0), (int) sizes[i]);
        CHECK (has_pattern (&got[i], sizes[i]));
        CHECK_ZMQ (zmq_msg_init (&copies[i]));
        CHECK_ZMQ (zmq_msg_copy (&copies[i], &got[i]));
    }
    CHECK_ZMQ (zmq_close (push));
    CHECK_ZMQ (zmq_close (pull));
    CHECK_ZMQ (zmq_ctx_term (ctx));
    for (size_t i = 0; i < NSIZES; i++) {
        zmq_msg_t *both[] = {&got[i], &copies[i]};
        for (int k = 0; k < 2; k++) {
            const char *type = zmq_msg_gets (both[k], "Socket-Type");
            CHECK_NOT_NULL (type);
            CHECK_EQ_STR (type, "PUSH");
            const char *peer = zmq_msg_gets (both[k], "Peer-Address");
            CHECK_NOT_NULL (peer);
            CHECK_EQ_STR (peer, "127.0.0.1");
        }
        CHECK_ZMQ (zmq_msg_close (&got[i]));
        CHECK_ZMQ (zmq_msg_close (&copies[i]));
    }
}

TEST_MAIN ()
