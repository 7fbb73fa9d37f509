/* util.c: errno and error texts, version, zmq_has, Z85, atomic counters, stopwatch, zmq_sleep and zmq_threadstart/close. */
#include "testutil.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

/* ---- errors ---------------------------------------------------------------- */

TEST (errno_reports_the_last_failure)
{
    CHECK_EQ_INT (zmq_ctx_term (NULL), -1);
    CHECK_EQ_INT (zmq_errno (), EFAULT);
    CHECK_EQ_INT (errno, EFAULT);
    CHECK_NULL (zmq_init (-1));
    CHECK_EQ_INT (zmq_errno (), EINVAL);
    CHECK_EQ_INT (errno, EINVAL);
}

TEST (errno_is_the_c_errno)
{
    errno = ERANGE;
    CHECK_EQ_INT (zmq_errno (), ERANGE);
    errno = 0;
    CHECK_EQ_INT (zmq_errno (), 0);
}

static pthread_barrier_t errno_barrier;

static void *fail_with_einval (void *out_)
{
    /* wait for the main thread's failure, fail differently, let it check */
    pthread_barrier_wait (&errno_barrier);
    zmq_init (-1);
    pthread_barrier_wait (&errno_barrier);
    *(int *) out_ = zmq_errno ();
    return NULL;
}

TEST (errno_is_per_thread)
{
    pthread_t tid;
    int thread_errno = 0;
    CHECK_EQ_INT (pthread_barrier_init (&errno_barrier, NULL, 2), 0);
    CHECK_EQ_INT (pthread_create (&tid, NULL, fail_with_einval, &thread_errno),
                  0);
    zmq_ctx_term (NULL);
    pthread_barrier_wait (&errno_barrier);
    pthread_barrier_wait (&errno_barrier);
    const int mine = zmq_errno ();
    CHECK_EQ_INT (pthread_join (tid, NULL), 0);
    CHECK_EQ_INT (mine, EFAULT);
    CHECK_EQ_INT (thread_errno, EINVAL);
    pthread_barrier_destroy (&errno_barrier);
}

TEST (strerror_gives_libzmq_texts_for_its_own_errors)
{
    CHECK_EQ_STR (zmq_strerror (EFSM),
                  "Operation cannot be accomplished in current state");
    CHECK_EQ_STR (zmq_strerror (ENOCOMPATPROTO),
                  "The protocol is not compatible with the socket type");
    CHECK_EQ_STR (zmq_strerror (ETERM), "Context was terminated");
    CHECK_EQ_STR (zmq_strerror (EMTHREAD), "No thread available");
}

TEST (strerror_of_ehostunreach_is_libzmq_text_not_the_system_one)
{
    CHECK_EQ_STR (zmq_strerror (EHOSTUNREACH), "Host unreachable");
}

TEST (strerror_of_system_errors_is_the_system_text)
{
    const int codes[] = {EINVAL, EFAULT, ENOMEM, EAGAIN, EINTR, ENOTSOCK,
                         ENOTSUP, EPROTONOSUPPORT, EADDRINUSE, ECONNREFUSED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char want[256];
        snprintf (want, sizeof want, "%s", strerror (codes[i]));
        CHECK_EQ_STR (zmq_strerror (codes[i]), want);
    }
}

TEST (strerror_of_an_unknown_code_is_the_system_text)
{
    char want[256];
    snprintf (want, sizeof want, "%s", strerror (99999));
    CHECK_EQ_STR (zmq_strerror (99999), want);
}

/* ---- version and capabilities -------------------------------------- */

TEST (version_matches_the_header)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version (&major, &minor, &patch);
    CHECK_EQ_INT (major, ZMQ_VERSION_MAJOR);
    CHECK_EQ_INT (minor, ZMQ_VERSION_MINOR);
    CHECK_EQ_INT (patch, ZMQ_VERSION_PATCH);
    CHECK_EQ_INT (ZMQ_MAKE_VERSION (major, minor, patch), ZMQ_VERSION);
}

TEST (version_is_4_3)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version (&major, &minor, &patch);
    CHECK_EQ_INT (major, 4);
    CHECK_EQ_INT (minor, 3);
    CHECK_EQ_INT (ZMQ_VERSION, 40300 + ZMQ_VERSION_PATCH);
}

TEST (has_ipc)
{
    CHECK_EQ_INT (zmq_has ("ipc"), 1);
}

TEST (has_nothing_unknown)
{
    CHECK_EQ_INT (zmq_has ("bogus"), 0);
    CHECK_EQ_INT (zmq_has (""), 0);
    CHECK_EQ_INT (zmq_has ("IPC"), 0);
    CHECK_EQ_INT (zmq_has ("ipc "), 0);
}

/* ---- Z85 ----------------------------------------------------------------- */

static const uint8_t hello_bytes[8] = {0x86, 0x4F, 0xD2, 0x6F,
                                       0xB5, 0x59, 0xF7, 0x5B};

TEST (z85_encode_gives_the_rfc32_test_vector)
{
    char out[11];
    memset (out, 'x', sizeof out);
    CHECK_EQ_PTR (zmq_z85_encode (out, hello_bytes, 8), out);
    CHECK_EQ_STR (out, "HelloWorld");
}

TEST (z85_decode_gives_the_rfc32_test_vector)
{
    uint8_t out[8];
    memset (out, 0, sizeof out);
    CHECK_EQ_PTR (zmq_z85_decode (out, "HelloWorld"), out);
    CHECK_EQ_MEM (out, hello_bytes, 8);
}

TEST (z85_encode_of_nothing_is_an_empty_string)
{
    char out[4] = "xyz";
    uint8_t none[1] = {0};
    CHECK_EQ_PTR (zmq_z85_encode (out, none, 0), out);
    CHECK_EQ_STR (out, "");
}

TEST (z85_encode_of_limits_round_trips)
{
    const uint8_t zeros[4] = {0, 0, 0, 0};
    const uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    char text[6];
    uint8_t back[4];
    CHECK_NOT_NULL (zmq_z85_encode (text, zeros, 4));
    CHECK_EQ_STR (text, "00000");
    CHECK_NOT_NULL (zmq_z85_decode (back, text));
    CHECK_EQ_MEM (back, zeros, 4);
    CHECK_NOT_NULL (zmq_z85_encode (text, ones, 4));
    CHECK_EQ_STR (text, "%nSc0");
    CHECK_NOT_NULL (zmq_z85_decode (back, text));
    CHECK_EQ_MEM (back, ones, 4);
}

static uint32_t xorshift (uint32_t *state_)
{
    uint32_t x = *state_;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state_ = x;
}

TEST (z85_random_32_byte_keys_round_trip)
{
    uint32_t state = 0x12345678;
    for (int n = 0; n < 1000; n++) {
        uint8_t key[32], back[32];
        char text[41];
        for (int i = 0; i < 32; i++)
            key[i] = (uint8_t) xorshift (&state);
        memset (text, 'x', sizeof text);
        CHECK_EQ_PTR (zmq_z85_encode (text, key, 32), text);
        CHECK_EQ_SIZE (strlen (text), 40);
        CHECK_EQ_PTR (zmq_z85_decode (back, text), back);
        CHECK_EQ_MEM (back, key, 32);
    }
}

TEST (z85_text_round_trips_through_decode_and_encode)
{
    const char *text = "r^/rM9M=rMToK)63O8dCvd9D<PY<7iGlC+{BiSnG";
    uint8_t bytes[32];
    char again[41];
    CHECK_NOT_NULL (zmq_z85_decode (bytes, text));
    CHECK_NOT_NULL (zmq_z85_encode (again, bytes, 32));
    CHECK_EQ_STR (again, text);
}

TEST (z85_encode_of_a_size_not_a_multiple_of_4_fails_einval)
{
    const size_t bad[] = {1, 2, 3, 5, 7, 31, 33};
    uint8_t data[40] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[64];
        memset (out, 'x', sizeof out);
        CHECK_NULL_ERRNO (zmq_z85_encode (out, data, bad[i]), EINVAL);
        CHECK_EQ_INT (out[0], 'x');
    }
}

TEST (z85_decode_of_a_length_not_a_multiple_of_5_fails_einval)
{
    const char *bad[] = {"", "0", "0123", "012345", "01234567",
                         "HelloWorld0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[16];
        CHECK_NULL_ERRNO (zmq_z85_decode (out, bad[i]), EINVAL);
    }
}

TEST (z85_decode_of_invalid_characters_fails_einval)
{
    /* characters outside the Z85 alphabet, in the middle of a group */
    const char bad_chars[] = {' ',  '"',  '\'', ',',  ';',  '\\', '_',
                              '`',  '|',  '~',  0x7f, 0x1f, 0x01, (char) 0x80,
                              (char) 0xff};
    for (size_t i = 0; i < sizeof bad_chars; i++) {
        char text[11] = "HelloWorld";
        uint8_t out[8];
        text[7] = bad_chars[i];
        CHECK_NULL_ERRNO (zmq_z85_decode (out, text), EINVAL);
    }
}

TEST (z85_decode_of_a_group_above_2_pow_32_fails_einval)
{
    uint8_t out[8];
    CHECK_NULL_ERRNO (zmq_z85_decode (out, "%nSc1"), EINVAL);
    CHECK_NULL_ERRNO (zmq_z85_decode (out, "#####"), EINVAL);
    CHECK_NULL_ERRNO (zmq_z85_decode (out, "Hello%nSc1"), EINVAL);
}

/* ---- atomic counters ------------------------------------------------------ */

TEST (atomic_counter_starts_at_0)
{
    void *counter = zmq_atomic_counter_new ();
    CHECK_NOT_NULL (counter);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_inc_returns_the_old_value)
{
    void *counter = zmq_atomic_counter_new ();
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), 2);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 3);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_dec_returns_whether_the_new_value_is_nonzero)
{
    void *counter = zmq_atomic_counter_new ();
    zmq_atomic_counter_set (counter, 3);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 2);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 0);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_dec_below_zero_gives_minus_1_and_returns_1)
{
    void *counter = zmq_atomic_counter_new ();
    CHECK_EQ_INT (zmq_atomic_counter_dec (counter), 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), -1);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), -1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_set_replaces_the_value)
{
    void *counter = zmq_atomic_counter_new ();
    zmq_atomic_counter_set (counter, 42);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 42);
    zmq_atomic_counter_set (counter, -7);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), -7);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), -7);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_wraps_at_int_max)
{
    void *counter = zmq_atomic_counter_new ();
    zmq_atomic_counter_set (counter, INT_MAX);
    CHECK_EQ_INT (zmq_atomic_counter_inc (counter), INT_MAX);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), INT_MIN);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_destroy_sets_the_pointer_to_null)
{
    void *counter = zmq_atomic_counter_new ();
    CHECK_NOT_NULL (counter);
    zmq_atomic_counter_destroy (&counter);
    CHECK_NULL (counter);
}

enum
{
    counter_threads = 4,
    counter_rounds = 100000
};

typedef struct
{
    void *counter;
    int zeros;
} counter_job_t;

static void *increment_many (void *job_)
{
    counter_job_t *job = (counter_job_t *) job_;
    for (int i = 0; i < counter_rounds; i++)
        zmq_atomic_counter_inc (job->counter);
    return NULL;
}

static void *decrement_many (void *job_)
{
    counter_job_t *job = (counter_job_t *) job_;
    for (int i = 0; i < counter_rounds; i++)
        if (zmq_atomic_counter_dec (job->counter) == 0)
            job->zeros++;
    return NULL;
}

static void run_counter_threads (void *(*fn_) (void *), counter_job_t *jobs_)
{
    pthread_t tids[counter_threads];
    for (int t = 0; t < counter_threads; t++)
        CHECK_EQ_INT (pthread_create (&tids[t], NULL, fn_, &jobs_[t]), 0);
    for (int t = 0; t < counter_threads; t++)
        CHECK_EQ_INT (pthread_join (tids[t], NULL), 0);
}

TEST (atomic_counter_concurrent_increments_give_the_exact_total)
{
    counter_job_t jobs[counter_threads];
    void *counter = zmq_atomic_counter_new ();
    for (int t = 0; t < counter_threads; t++) {
        jobs[t].counter = counter;
        jobs[t].zeros = 0;
    }
    run_counter_threads (increment_many, jobs);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter),
                  counter_threads * counter_rounds);
    zmq_atomic_counter_destroy (&counter);
}

TEST (atomic_counter_concurrent_decrements_reach_zero_exactly_once)
{
    counter_job_t jobs[counter_threads];
    void *counter = zmq_atomic_counter_new ();
    zmq_atomic_counter_set (counter, counter_threads * counter_rounds);
    for (int t = 0; t < counter_threads; t++) {
        jobs[t].counter = counter;
        jobs[t].zeros = 0;
    }
    run_counter_threads (decrement_many, jobs);
    int zeros = 0;
    for (int t = 0; t < counter_threads; t++)
        zeros += jobs[t].zeros;
    CHECK_EQ_INT (zeros, 1);
    CHECK_EQ_INT (zmq_atomic_counter_value (counter), 0);
    zmq_atomic_counter_destroy (&counter);
}

/* ---- stopwatch and sleep ---------------------------------------------------- */

static unsigned long long monotonic_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (unsigned long long) ts.tv_sec * 1000000ull
           + (unsigned long long) ts.tv_nsec / 1000ull;
}

static void wait_us (unsigned long long us_)
{
    const unsigned long long end = monotonic_us () + us_;
    while (monotonic_us () < end) {
        const struct timespec step = {0, 1000000};
        nanosleep (&step, NULL);
    }
}

/*  The stopwatch reading must lie between the shortest and the longest
 *  interval the test itself could have measured around it (+1 us rounding).  */
TEST (stopwatch_measures_microseconds)
{
    const unsigned long long t0 = monotonic_us ();
    void *watch = zmq_stopwatch_start ();
    const unsigned long long t1 = monotonic_us ();
    CHECK_NOT_NULL (watch);
    wait_us (30000);
    const unsigned long long t2 = monotonic_us ();
    const unsigned long measured = zmq_stopwatch_intermediate (watch);
    const unsigned long long t3 = monotonic_us ();
    CHECK (measured + 1 >= t2 - t1);
    CHECK (measured <= t3 - t0 + 1);
    CHECK (measured >= 30000 - 1);
    zmq_stopwatch_stop (watch);
}

TEST (stopwatch_intermediate_never_goes_back)
{
    void *watch = zmq_stopwatch_start ();
    unsigned long last = 0;
    for (int i = 0; i < 10000; i++) {
        const unsigned long now = zmq_stopwatch_intermediate (watch);
        CHECK (now >= last);
        last = now;
    }
    CHECK (last < 5000000);
    CHECK (zmq_stopwatch_stop (watch) >= last);
}

TEST (stopwatch_stop_returns_the_elapsed_time)
{
    const unsigned long long t0 = monotonic_us ();
    void *watch = zmq_stopwatch_start ();
    const unsigned long long t1 = monotonic_us ();
    wait_us (10000);
    const unsigned long long t2 = monotonic_us ();
    const unsigned long elapsed = zmq_stopwatch_stop (watch);
    const unsigned long long t3 = monotonic_us ();
    CHECK (elapsed + 1 >= t2 - t1);
    CHECK (elapsed <= t3 - t0 + 1);
}

TEST (sleep_of_zero_returns_at_once)
{
    const unsigned long long start = monotonic_us ();
    zmq_sleep (0);
    CHECK (monotonic_us () - start < 500000);
}

TEST (sleep_of_one_second_sleeps_about_a_second)
{
    const unsigned long long start = monotonic_us ();
    zmq_sleep (1);
    const unsigned long long slept = monotonic_us () - start;
    CHECK (slept >= 990000);
    CHECK (slept < 5000000);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct
{
    int ran;
    void *arg_seen;
    pthread_t self;
} thread_job_t;

static void record_thread (void *arg_)
{
    thread_job_t *job = (thread_job_t *) arg_;
    job->arg_seen = arg_;
    job->self = pthread_self ();
    job->ran++;
}

TEST (threadstart_runs_the_function_with_its_argument)
{
    thread_job_t job = {0, NULL, pthread_self ()};
    void *thread = zmq_threadstart (record_thread, &job);
    CHECK_NOT_NULL (thread);
    zmq_threadclose (thread);
    CHECK_EQ_INT (job.ran, 1);
    CHECK_EQ_PTR (job.arg_seen, &job);
    CHECK (!pthread_equal (job.self, pthread_self ()));
}

static void count_up (void *arg_)
{
    for (int i = 0; i < 1000; i++)
        __atomic_fetch_add ((int *) arg_, 1, __ATOMIC_SEQ_CST);
}

TEST (threadclose_joins_every_thread)
{
    void *threads[8];
    int total = 0;
    for (int i = 0; i < 8; i++) {
        threads[i] = zmq_threadstart (count_up, &total);
        CHECK_NOT_NULL (threads[i]);
    }
    for (int i = 0; i < 8; i++)
        zmq_threadclose (threads[i]);
    CHECK_EQ_INT (total, 8000);
}

/*  As libzmq's threads, one started by zmq_threadstart blocks every
 *  signal (they go to the application's other threads).  */
static void record_mask (void *arg_)
{
    int *blocked = (int *) arg_;
    sigset_t set;
    sigemptyset (&set);
    pthread_sigmask (SIG_BLOCK, NULL, &set);
    blocked[0] = sigismember (&set, SIGPIPE);
    blocked[1] = sigismember (&set, SIGINT);
    blocked[2] = sigismember (&set, SIGTERM);
    blocked[3] = sigismember (&set, SIGUSR1);
}

TEST (threadstart_thread_blocks_every_signal)
{
    int blocked[4] = {-1, -1, -1, -1};
    void *thread = zmq_threadstart (record_mask, blocked);
    CHECK_NOT_NULL (thread);
    zmq_threadclose (thread);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT (blocked[i], 1);
}

TEST_MAIN ()
