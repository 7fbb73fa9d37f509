/* draft_ctx.c: the draft context API: zmq_ctx_set_ext/zmq_ctx_get_ext (sizes, string thread-name prefix) and ZMQ_ZERO_COPY_RECV. */
#include "testutil.h"

static void *new_ctx (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK_NOT_NULL (ctx);
    return ctx;
}

TEST (zero_copy_recv_defaults_to_1_and_round_trips)
{
    void *ctx = new_ctx ();
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, 0), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, 5), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_ZMQ_FAILS (zmq_ctx_set (ctx, ZMQ_ZERO_COPY_RECV, -1), EINVAL);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_int_options_round_trip)
{
    void *ctx = new_ctx ();
    int value = 3;
    size_t size = sizeof value;
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, &value, sizeof value),
                  0);
    value = 0;
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_IO_THREADS, &value, &size), 0);
    CHECK_EQ_INT (value, 3);
    CHECK_EQ_SIZE (size, sizeof value);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 3);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_int_option_with_a_wrong_size_fails_einval)
{
    void *ctx = new_ctx ();
    long long big = 4;
    short small = 4;
    size_t size = sizeof big;
    CHECK_ZMQ_FAILS (zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, &big, sizeof big),
                     EINVAL);
    CHECK_ZMQ_FAILS (
      zmq_ctx_set_ext (ctx, ZMQ_IO_THREADS, &small, sizeof small), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_get_ext (ctx, ZMQ_IO_THREADS, &big, &size),
                     EINVAL);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_thread_name_prefix_round_trips_as_a_string)
{
    void *ctx = new_ctx ();
    const char prefix[] = "MyPrefix9012345"; /* 16 bytes with the NUL */
    char buf[16];
    size_t size = sizeof buf;
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, prefix,
                                   sizeof prefix),
                  0);
    memset (buf, 'x', sizeof buf);
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, buf, &size),
                  0);
    CHECK_EQ_STR (buf, prefix);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_thread_name_prefix_of_1_to_16_bytes_is_accepted)
{
    void *ctx = new_ctx ();
    const char name[17] = "0123456789abcdef";
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, 1), 0);
    CHECK_EQ_INT (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, 16), 0);
    CHECK_ZMQ_FAILS (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, 17),
                     EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, name, 0),
                     EINVAL);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_thread_name_prefix_into_a_short_buffer_fails_einval)
{
    void *ctx = new_ctx ();
    const char prefix[] = "longprefix";
    char buf[16];
    size_t size = 5;
    CHECK_ZMQ (zmq_ctx_set_ext (ctx, ZMQ_THREAD_NAME_PREFIX, prefix,
                                sizeof prefix));
    CHECK_ZMQ_FAILS (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, buf, &size),
                     EINVAL);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_int_thread_name_prefix_reads_back_as_a_string)
{
    void *ctx = new_ctx ();
    char buf[16];
    size_t size = sizeof buf;
    CHECK_ZMQ (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 1234));
    memset (buf, 0, sizeof buf);
    CHECK_EQ_INT (zmq_ctx_get_ext (ctx, ZMQ_THREAD_NAME_PREFIX, buf, &size),
                  0);
    CHECK_EQ_STR (buf, "1234");
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST (ctx_ext_with_a_null_context_fails_efault)
{
    int value = 1;
    size_t size = sizeof value;
    CHECK_ZMQ_FAILS (
      zmq_ctx_set_ext (NULL, ZMQ_IO_THREADS, &value, sizeof value), EFAULT);
    CHECK_ZMQ_FAILS (zmq_ctx_get_ext (NULL, ZMQ_IO_THREADS, &value, &size),
                     EFAULT);
}

TEST (ctx_ext_unknown_option_fails_einval)
{
    void *ctx = new_ctx ();
    int value = 1;
    size_t size = sizeof value;
    CHECK_ZMQ_FAILS (zmq_ctx_set_ext (ctx, 1000, &value, sizeof value), EINVAL);
    CHECK_ZMQ_FAILS (zmq_ctx_get_ext (ctx, 1000, &value, &size), EINVAL);
    CHECK_ZMQ (zmq_ctx_term (ctx));
}

TEST_MAIN ()
