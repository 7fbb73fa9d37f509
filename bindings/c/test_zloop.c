/*  test_zloop.c - czmq's zloop reactor (zmq_poll underneath) over ferrozmq.
 *
 *  A reader and a repeating timer, the loop ended by a handler; timer
 *  cancellation; a reader removed from inside its handler; a plain file
 *  descriptor polled through zloop_poller; tickets.  Every loop also has a
 *  guard timer that ends it (and fails the check) if the expected events
 *  do not come.
 */
#include "fz_check.h"

typedef struct {
    zsock_t *push;
    int ticks;              //  timer invocations
    int received;           //  reader invocations
    int want;               //  end the loop after this many messages
    bool guard_fired;
    bool cancelled_fired;
    int other_timer;
    int pipe_write_fd;
    bool fd_ready;
    bool ticket_fired;
    int64_t ticket_at;
} state_t;

static int
s_guard (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    ((state_t *) arg)->guard_fired = true;
    return -1;
}

static int
s_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    state_t *st = (state_t *) arg;
    st->ticks++;
    return zstr_sendf (st->push, "tick %d", st->ticks) == 0 ? 0 : -1;
}

static int
s_read (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_t *st = (state_t *) arg;
    char *s = zstr_recv (reader);
    if (!s)
        return -1;
    char want[32];
    snprintf (want, sizeof want, "tick %d", st->received + 1);
    bool in_order = streq (s, want);
    zstr_free (&s);
    if (!in_order)
        return -1;
    st->received++;
    return st->received == st->want ? -1 : 0;      //  -1 ends the loop
}

static bool
reader_and_timer (void)
{
    zsock_t *pull = zsock_new_pull ("@tcp://127.0.0.1:*");
    REQUIRE (pull, "bind");
    char ep[96];
    snprintf (ep, sizeof ep, ">%s", zsock_endpoint (pull));
    state_t st = { 0 };
    st.push = zsock_new_push (ep);
    st.want = 5;
    REQUIRE (st.push, "connect");

    zloop_t *loop = zloop_new ();
    REQUIRE (loop, "zloop_new");
    REQUIRE (zloop_reader (loop, pull, s_read, &st) == 0, "zloop_reader");
    int t = zloop_timer (loop, 20, 5, s_tick, &st);
    REQUIRE (t != -1, "zloop_timer");
    REQUIRE (zloop_timer (loop, 5000, 1, s_guard, &st) != -1, "guard timer");
    int64_t start = zclock_mono ();
    int rc = zloop_start (loop);
    int64_t elapsed = zclock_mono () - start;
    REQUIRE (!st.guard_fired, "guard fired: %d ticks, %d received", st.ticks, st.received);
    REQUIRE (rc == -1, "zloop_start returned %d, want -1 (ended by a handler)", rc);
    REQUIRE (st.ticks == 5 && st.received == 5, "%d ticks, %d received", st.ticks, st.received);
    REQUIRE (elapsed >= 90, "5 ticks of 20 ms took only %lld ms", (long long) elapsed);
    zloop_destroy (&loop);
    zsock_destroy (&st.push);
    zsock_destroy (&pull);
    return true;
}

static int
s_mark_cancelled (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    ((state_t *) arg)->cancelled_fired = true;
    return 0;
}

static int
s_cancel_other (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    state_t *st = (state_t *) arg;
    zloop_timer_end (loop, st->other_timer);
    return 0;
}

static int
s_end (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id; (void) arg;
    return -1;
}

static bool
timer_cancel (void)
{
    state_t st = { 0 };
    zloop_t *loop = zloop_new ();
    //  cancelled before the loop starts
    int a = zloop_timer (loop, 30, 1, s_mark_cancelled, &st);
    REQUIRE (a != -1, "timer a");
    REQUIRE (zloop_timer_end (loop, a) == 0, "zloop_timer_end");
    //  cancelled from another timer's handler
    REQUIRE (zloop_timer (loop, 20, 1, s_cancel_other, &st) != -1, "timer b");
    st.other_timer = zloop_timer (loop, 120, 1, s_mark_cancelled, &st);
    REQUIRE (zloop_timer (loop, 250, 1, s_end, &st) != -1, "end timer");
    REQUIRE (zloop_timer (loop, 5000, 1, s_guard, &st) != -1, "guard");
    int64_t start = zclock_mono ();
    int rc = zloop_start (loop);
    int64_t elapsed = zclock_mono () - start;
    REQUIRE (rc == -1 && !st.guard_fired, "rc %d, guard %d", rc, st.guard_fired);
    REQUIRE (!st.cancelled_fired, "a cancelled timer fired");
    REQUIRE (elapsed >= 240 && elapsed < 2000, "250 ms timer ended the loop after %lld ms",
             (long long) elapsed);
    zloop_destroy (&loop);
    return true;
}

static int
s_read_once (zloop_t *loop, zsock_t *reader, void *arg)
{
    state_t *st = (state_t *) arg;
    char *s = zstr_recv (reader);
    zstr_free (&s);
    st->received++;
    zloop_reader_end (loop, reader);
    return 0;
}

static bool
reader_end (void)
{
    const char *ep = fz_inproc ("reader-end");
    char bind[128], conn[128];
    snprintf (bind, sizeof bind, "@%s", ep);
    snprintf (conn, sizeof conn, ">%s", ep);
    zsock_t *pull = zsock_new_pull (bind);
    zsock_t *push = zsock_new_push (conn);
    REQUIRE (pull && push, "inproc");
    state_t st = { 0 };
    zstr_send (push, "first");
    zstr_send (push, "second");
    zloop_t *loop = zloop_new ();
    REQUIRE (zloop_reader (loop, pull, s_read_once, &st) == 0, "reader");
    REQUIRE (zloop_timer (loop, 200, 1, s_end, &st) != -1, "end timer");
    int rc = zloop_start (loop);
    REQUIRE (rc == -1, "rc %d", rc);
    REQUIRE (st.received == 1, "reader ran %d times after removing itself", st.received);
    //  the second message is still there
    zsock_set_rcvtimeo (pull, FZ_RCVTIMEO);
    RECV_STR (second, pull);
    REQUIRE (streq (second, "second"), "got '%s'", second);
    zstr_free (&second);
    zloop_destroy (&loop);
    zsock_destroy (&push);
    zsock_destroy (&pull);
    return true;
}

static int
s_write_fd (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    state_t *st = (state_t *) arg;
    return write (st->pipe_write_fd, "x", 1) == 1 ? 0 : -1;
}

static int
s_fd_ready (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    state_t *st = (state_t *) arg;
    char c;
    if (read (item->fd, &c, 1) == 1 && c == 'x')
        st->fd_ready = true;
    return -1;
}

static bool
poll_fd (void)
{
    int fds[2];
    REQUIRE (pipe (fds) == 0, "pipe");
    state_t st = { 0 };
    st.pipe_write_fd = fds[1];
    zloop_t *loop = zloop_new ();
    zmq_pollitem_t item = { NULL, fds[0], ZMQ_POLLIN, 0 };
    REQUIRE (zloop_poller (loop, &item, s_fd_ready, &st) == 0, "zloop_poller");
    REQUIRE (zloop_timer (loop, 50, 1, s_write_fd, &st) != -1, "write timer");
    REQUIRE (zloop_timer (loop, 5000, 1, s_guard, &st) != -1, "guard");
    int rc = zloop_start (loop);
    REQUIRE (!st.guard_fired, "the fd never polled readable");
    REQUIRE (rc == -1 && st.fd_ready, "rc %d, fd_ready %d", rc, st.fd_ready);
    zloop_destroy (&loop);
    close (fds[0]);
    close (fds[1]);
    return true;
}

static int
s_ticket (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop; (void) timer_id;
    state_t *st = (state_t *) arg;
    st->ticket_fired = true;
    st->ticket_at = zclock_mono ();
    return -1;
}

static bool
tickets (void)
{
    state_t st = { 0 };
    zloop_t *loop = zloop_new ();
    zloop_set_ticket_delay (loop, 100);
    void *deleted = zloop_ticket (loop, s_mark_cancelled, &st);
    REQUIRE (deleted, "zloop_ticket");
    zloop_ticket_delete (loop, deleted);
    void *ticket = zloop_ticket (loop, s_ticket, &st);
    REQUIRE (ticket, "zloop_ticket");
    REQUIRE (zloop_timer (loop, 5000, 1, s_guard, &st) != -1, "guard");
    int64_t start = zclock_mono ();
    int rc = zloop_start (loop);
    REQUIRE (!st.guard_fired && st.ticket_fired && rc == -1, "ticket did not fire (rc %d)", rc);
    REQUIRE (!st.cancelled_fired, "a deleted ticket fired");
    REQUIRE (st.ticket_at - start >= 95, "100 ms ticket fired after %lld ms",
             (long long) (st.ticket_at - start));
    zloop_destroy (&loop);
    return true;
}

int
main (void)
{
    fz_begin ("czmq.zloop");
    fz_run ("czmq.zloop.reader-and-timer", reader_and_timer);
    fz_run ("czmq.zloop.timer-cancel", timer_cancel);
    fz_run ("czmq.zloop.reader-end", reader_end);
    fz_run ("czmq.zloop.poll-fd", poll_fd);
    fz_run ("czmq.zloop.tickets", tickets);
    return fz_end ("czmq.zloop");
}
