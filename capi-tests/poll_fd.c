/* poll_fd.c: zmq_poll on raw file descriptors (pipes): readiness, revents mapping, errors and timeouts. */
#include "testutil.h"

#include <time.h>

typedef struct
{
    int rd;
    int wr;
} pipe_t;

static pipe_t open_pipe (void)
{
    int fds[2];
    CHECK_EQ_INT (pipe (fds), 0);
    pipe_t p = {fds[0], fds[1]};
    return p;
}

static void close_pipe (pipe_t p_)
{
    if (p_.rd >= 0)
        close (p_.rd);
    if (p_.wr >= 0)
        close (p_.wr);
}

static zmq_pollitem_t fd_item (int fd_, short events_)
{
    zmq_pollitem_t item;
    memset (&item, 0, sizeof item);
    item.socket = NULL;
    item.fd = fd_;
    item.events = events_;
    item.revents = 0x7f;
    return item;
}

static long long monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST (poll_idle_read_end_with_zero_timeout_returns_0)
{
    pipe_t p = open_pipe ();
    zmq_pollitem_t item = fd_item (p.rd, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 0);
    CHECK_EQ_INT (item.revents, 0);
    close_pipe (p);
}

TEST (poll_read_end_with_data_reports_pollin)
{
    pipe_t p = open_pipe ();
    CHECK_EQ_INT (write (p.wr, "x", 1), 1);
    zmq_pollitem_t item = fd_item (p.rd, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 1);
    CHECK_EQ_INT (item.revents, ZMQ_POLLIN);
    close_pipe (p);
}

TEST (poll_with_infinite_timeout_returns_at_once_when_ready)
{
    pipe_t p = open_pipe ();
    CHECK_EQ_INT (write (p.wr, "x", 1), 1);
    zmq_pollitem_t item = fd_item (p.rd, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, -1), 1);
    CHECK_EQ_INT (item.revents, ZMQ_POLLIN);
    close_pipe (p);
}

TEST (poll_write_end_reports_pollout)
{
    pipe_t p = open_pipe ();
    zmq_pollitem_t item = fd_item (p.wr, ZMQ_POLLOUT);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 1);
    CHECK_EQ_INT (item.revents, ZMQ_POLLOUT);
    close_pipe (p);
}

TEST (poll_reports_only_requested_events)
{
    pipe_t p = open_pipe ();
    zmq_pollitem_t item = fd_item (p.wr, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 0);
    CHECK_EQ_INT (item.revents, 0);
    close_pipe (p);
}

TEST (poll_item_without_events_reports_nothing)
{
    pipe_t p = open_pipe ();
    CHECK_EQ_INT (write (p.wr, "x", 1), 1);
    zmq_pollitem_t item = fd_item (p.rd, 0);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 0);
    CHECK_EQ_INT (item.revents, 0);
    close_pipe (p);
}

TEST (poll_counts_the_items_with_events)
{
    pipe_t a = open_pipe ();
    pipe_t b = open_pipe ();
    CHECK_EQ_INT (write (a.wr, "x", 1), 1);
    zmq_pollitem_t items[4] = {
      fd_item (a.rd, ZMQ_POLLIN), fd_item (b.rd, ZMQ_POLLIN),
      fd_item (a.wr, ZMQ_POLLOUT), fd_item (b.wr, ZMQ_POLLIN | ZMQ_POLLOUT)};
    CHECK_EQ_INT (zmq_poll (items, 4, 0), 3);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (items[1].revents, 0);
    CHECK_EQ_INT (items[2].revents, ZMQ_POLLOUT);
    CHECK_EQ_INT (items[3].revents, ZMQ_POLLOUT);
    close_pipe (a);
    close_pipe (b);
}

TEST (poll_same_fd_twice_reports_both_items)
{
    pipe_t p = open_pipe ();
    CHECK_EQ_INT (write (p.wr, "x", 1), 1);
    zmq_pollitem_t items[2] = {fd_item (p.rd, ZMQ_POLLIN),
                               fd_item (p.rd, ZMQ_POLLIN)};
    CHECK_EQ_INT (zmq_poll (items, 2, 0), 2);
    CHECK_EQ_INT (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ_INT (items[1].revents, ZMQ_POLLIN);
    close_pipe (p);
}

TEST (poll_waits_for_the_timeout_when_nothing_is_ready)
{
    pipe_t p = open_pipe ();
    zmq_pollitem_t item = fd_item (p.rd, ZMQ_POLLIN);
    const long long start = monotonic_ms ();
    CHECK_EQ_INT (zmq_poll (&item, 1, 50), 0);
    const long long waited = monotonic_ms () - start;
    CHECK (waited >= 49);
    CHECK (waited < 5000);
    CHECK_EQ_INT (item.revents, 0);
    close_pipe (p);
}

TEST (poll_hung_up_read_end_reports_pollerr)
{
    pipe_t p = open_pipe ();
    close (p.wr);
    p.wr = -1;
    zmq_pollitem_t item = fd_item (p.rd, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 1);
    CHECK_EQ_INT (item.revents, ZMQ_POLLERR);
    close_pipe (p);
}

TEST (poll_write_end_without_reader_reports_pollerr)
{
    pipe_t p = open_pipe ();
    close (p.rd);
    p.rd = -1;
    zmq_pollitem_t item = fd_item (p.wr, ZMQ_POLLOUT);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 1);
    CHECK (item.revents & ZMQ_POLLERR);
    close_pipe (p);
}

TEST (poll_closed_fd_reports_pollerr)
{
    pipe_t p = open_pipe ();
    const int stale = p.rd;
    close_pipe (p);
    zmq_pollitem_t item = fd_item (stale, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_poll (&item, 1, 0), 1);
    CHECK_EQ_INT (item.revents, ZMQ_POLLERR);
}

TEST (poll_negative_fd_is_ignored)
{
    pipe_t p = open_pipe ();
    CHECK_EQ_INT (write (p.wr, "x", 1), 1);
    zmq_pollitem_t items[2] = {fd_item (-1, ZMQ_POLLIN | ZMQ_POLLOUT),
                               fd_item (p.rd, ZMQ_POLLIN)};
    CHECK_EQ_INT (zmq_poll (items, 2, 0), 1);
    CHECK_EQ_INT (items[0].revents, 0);
    CHECK_EQ_INT (items[1].revents, ZMQ_POLLIN);
    close_pipe (p);
}

TEST_MAIN ()
