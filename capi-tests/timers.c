/* timers.c: the zmq_timers_* API: ids, timeouts, firing, cancel/reset/set_interval and argument validation. */
#include "testutil.h"

#include <time.h>

#define HOUR_MS 3600000u

/*  Readable memory that holds no timers object.  */
static char not_timers[4096];

typedef struct
{
    int calls;
    int last_id;
    void *last_arg;
} fired_t;

static void on_timer (int timer_id_, void *arg_)
{
    fired_t *f = (fired_t *) arg_;
    f->calls++;
    f->last_id = timer_id_;
    f->last_arg = arg_;
}

static void *new_timers (void)
{
    void *timers = zmq_timers_new ();
    CHECK_NOT_NULL (timers);
    return timers;
}

static long long monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms (long ms_)
{
    const struct timespec step = {ms_ / 1000, (ms_ % 1000) * 1000000L};
    nanosleep (&step, NULL);
}

/*  Waits (at most 5 s) until the next live timer is due.  */
static void wait_until_due (void *timers_)
{
    const long long deadline = monotonic_ms () + 5000;
    long timeout;
    while ((timeout = zmq_timers_timeout (timers_)) != 0) {
        CHECK (timeout > 0);
        CHECK (monotonic_ms () < deadline);
        pause_ms (timeout < 10 ? timeout : 10);
    }
}

/* ---- lifecycle and ids --------------------------------------------------- */

TEST (timers_destroy_succeeds_and_nulls_the_pointer)
{
    void *timers = new_timers ();
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK_NULL (timers);
}

TEST (timers_destroy_with_live_timers_succeeds)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_ZMQ (zmq_timers_add (timers, 1, on_timer, &f));
    CHECK_EQ_INT (zmq_timers_destroy (&timers), 0);
    CHECK_EQ_INT (f.calls, 0);
}

TEST (timers_ids_start_at_1_and_count_up_per_timers_object)
{
    fired_t f = {0, 0, NULL};
    void *a = new_timers ();
    void *b = new_timers ();
    CHECK_EQ_INT (zmq_timers_add (a, HOUR_MS, on_timer, &f), 1);
    CHECK_EQ_INT (zmq_timers_add (a, HOUR_MS, on_timer, &f), 2);
    CHECK_EQ_INT (zmq_timers_add (b, HOUR_MS, on_timer, &f), 1);
    CHECK_ZMQ (zmq_timers_cancel (a, 2));
    CHECK_EQ_INT (zmq_timers_add (a, HOUR_MS, on_timer, &f), 3);
    CHECK_ZMQ (zmq_timers_destroy (&a));
    CHECK_ZMQ (zmq_timers_destroy (&b));
}

/* ---- timeout ----------------------------------------------------------------- */

TEST (timers_timeout_is_minus_1_without_timers)
{
    void *timers = new_timers ();
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_timeout_is_the_time_to_the_earliest_timer)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_ZMQ (zmq_timers_add (timers, 60000, on_timer, &f));
    const long timeout = zmq_timers_timeout (timers);
    CHECK (timeout <= 60000);
    CHECK (timeout > 55000);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_timeout_is_minus_1_when_only_cancelled_timers_remain)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_ZMQ (zmq_timers_cancel (timers, id));
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_timeout_skips_cancelled_timers)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int soon = CHECK_ZMQ (zmq_timers_add (timers, 1000, on_timer, &f));
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_ZMQ (zmq_timers_cancel (timers, soon));
    CHECK (zmq_timers_timeout (timers) > 1000);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

/* ---- execute --------------------------------------------------------------- */

TEST (timers_execute_without_due_timers_calls_nothing)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
    CHECK_EQ_INT (f.calls, 0);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_due_timer_fires_once_with_its_id_and_arg)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, NULL));
    const int id = CHECK_ZMQ (zmq_timers_add (timers, 5, on_timer, &f));
    wait_until_due (timers);
    CHECK_EQ_INT (zmq_timers_execute (timers), 0);
    CHECK_EQ_INT (f.calls, 1);
    CHECK_EQ_INT (f.last_id, id);
    CHECK_EQ_PTR (f.last_arg, &f);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_fired_timer_is_rescheduled_by_its_interval)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_ZMQ (zmq_timers_add (timers, 300, on_timer, &f));
    wait_until_due (timers);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (f.calls, 1);
    const long timeout = zmq_timers_timeout (timers);
    CHECK (timeout > 0);
    CHECK (timeout <= 300);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (f.calls, 1);
    wait_until_due (timers);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (f.calls, 2);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_every_due_timer_fires_in_one_execute)
{
    fired_t a = {0, 0, NULL}, b = {0, 0, NULL}, later = {0, 0, NULL};
    void *timers = new_timers ();
    CHECK_ZMQ (zmq_timers_add (timers, 2, on_timer, &a));
    CHECK_ZMQ (zmq_timers_add (timers, 4, on_timer, &b));
    CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &later));
    const long long start = monotonic_ms ();
    while (monotonic_ms () - start < 10)
        pause_ms (2);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (a.calls, 1);
    CHECK_EQ_INT (b.calls, 1);
    CHECK_EQ_INT (later.calls, 0);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

/* ---- cancel, set_interval, reset ----------------------------------------- */

TEST (timers_cancelled_timer_never_fires)
{
    fired_t f = {0, 0, NULL}, g = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, 2, on_timer, &f));
    CHECK_ZMQ (zmq_timers_add (timers, 5, on_timer, &g));
    CHECK_EQ_INT (zmq_timers_cancel (timers, id), 0);
    wait_until_due (timers);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (g.calls, 1);
    CHECK_EQ_INT (f.calls, 0);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_cancel_of_an_unknown_id_fails_einval)
{
    void *timers = new_timers ();
    CHECK_ZMQ_FAILS (zmq_timers_cancel (timers, 1), EINVAL);
    CHECK_ZMQ_FAILS (zmq_timers_cancel (timers, 0), EINVAL);
    CHECK_ZMQ_FAILS (zmq_timers_cancel (timers, -1), EINVAL);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_cancel_twice_fails_einval)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_EQ_INT (zmq_timers_cancel (timers, id), 0);
    CHECK_ZMQ_FAILS (zmq_timers_cancel (timers, id), EINVAL);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_set_interval_reschedules_from_now)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_EQ_INT (zmq_timers_set_interval (timers, id, 60000), 0);
    long timeout = zmq_timers_timeout (timers);
    CHECK (timeout <= 60000);
    CHECK (timeout > 55000);
    CHECK_EQ_INT (zmq_timers_set_interval (timers, id, HOUR_MS), 0);
    timeout = zmq_timers_timeout (timers);
    CHECK (timeout > 60000);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_set_interval_applies_to_later_rounds)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    CHECK_ZMQ (zmq_timers_set_interval (timers, id, 5));
    wait_until_due (timers);
    CHECK_ZMQ (zmq_timers_execute (timers));
    CHECK_EQ_INT (f.calls, 1);
    CHECK (zmq_timers_timeout (timers) <= 5);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_set_interval_of_an_unknown_id_fails_einval)
{
    void *timers = new_timers ();
    CHECK_ZMQ_FAILS (zmq_timers_set_interval (timers, 1, 100), EINVAL);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_reset_restarts_the_interval)
{
    fired_t f = {0, 0, NULL};
    void *timers = new_timers ();
    const int id = CHECK_ZMQ (zmq_timers_add (timers, HOUR_MS, on_timer, &f));
    const long long start = monotonic_ms ();
    while (monotonic_ms () - start < 30)
        pause_ms (5);
    const long before = zmq_timers_timeout (timers);
    CHECK (before <= (long) HOUR_MS - 25);
    CHECK_EQ_INT (zmq_timers_reset (timers, id), 0);
    const long after = zmq_timers_timeout (timers);
    CHECK (after > before);
    CHECK (after <= (long) HOUR_MS);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_reset_of_an_unknown_id_fails_einval)
{
    void *timers = new_timers ();
    CHECK_ZMQ_FAILS (zmq_timers_reset (timers, 1), EINVAL);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

/* ---- argument validation ------------------------------------------------ */

TEST (timers_add_with_a_null_handler_fails_efault)
{
    void *timers = new_timers ();
    CHECK_ZMQ_FAILS (zmq_timers_add (timers, 100, NULL, NULL), EFAULT);
    CHECK_EQ_INT (zmq_timers_timeout (timers), -1);
    CHECK_ZMQ (zmq_timers_destroy (&timers));
}

TEST (timers_null_handle_fails_efault)
{
    fired_t f = {0, 0, NULL};
    void *timers = NULL;
    CHECK_ZMQ_FAILS (zmq_timers_destroy (&timers), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_add (NULL, 100, on_timer, &f), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_cancel (NULL, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_set_interval (NULL, 1, 100), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_reset (NULL, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_timeout (NULL), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_execute (NULL), EFAULT);
}

TEST (timers_pointer_to_non_timers_memory_fails_efault)
{
    fired_t f = {0, 0, NULL};
    void *p = not_timers;
    CHECK_ZMQ_FAILS (zmq_timers_add (p, 100, on_timer, &f), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_cancel (p, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_set_interval (p, 1, 100), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_reset (p, 1), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_timeout (p), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_execute (p), EFAULT);
    CHECK_ZMQ_FAILS (zmq_timers_destroy (&p), EFAULT);
    CHECK_EQ_PTR (p, not_timers);
}

TEST_MAIN ()
