// test_poll.cpp - cppzmq's zmq::poll / zmq::pollitem_t (zmq_poll) over
// ferrozmq: timeouts, POLLIN/POLLOUT readiness of several sockets, a plain
// file descriptor, ZMQ_FD/ZMQ_EVENTS.
#include "fz_check.hpp"

#include <vector>

using namespace std::chrono_literals;

static long long elapsed_ms(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - since).count();
}

static bool timeout()
{
    zmq::context_t ctx;
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.bind("tcp://127.0.0.1:*");
    std::vector<zmq::pollitem_t> items = {{pull.handle(), 0, ZMQ_POLLIN, 0}};
    auto start = std::chrono::steady_clock::now();
    int n = zmq::poll(items, 200ms);
    long long ms = elapsed_ms(start);
    REQUIRE(n == 0 && items[0].revents == 0, "poll on an idle socket returned %d", n);
    REQUIRE(ms >= 190 && ms < 2000, "200 ms poll took %lld ms", ms);
    start = std::chrono::steady_clock::now();
    n = zmq::poll(items, 0ms);
    REQUIRE(n == 0 && elapsed_ms(start) < 100, "zero-timeout poll");
    // no items, a timeout: just sleeps
    start = std::chrono::steady_clock::now();
    n = zmq::poll(static_cast<zmq::pollitem_t *>(nullptr), 0, 100ms);
    ms = elapsed_ms(start);
    REQUIRE(n == 0 && ms >= 90 && ms < 2000, "poll of no items: %d after %lld ms", n, ms);
    return true;
}

static bool readiness()
{
    zmq::context_t ctx;
    zmq::socket_t a(ctx, zmq::socket_type::pull), b(ctx, zmq::socket_type::pull);
    a.bind("tcp://127.0.0.1:*");
    b.bind(fz::inproc("poll-b"));
    zmq::socket_t to_a(ctx, zmq::socket_type::push), to_b(ctx, zmq::socket_type::push);
    to_a.set(zmq::sockopt::linger, 0);
    to_b.set(zmq::sockopt::linger, 0);
    to_a.connect(a.get(zmq::sockopt::last_endpoint));
    to_b.connect(b.get(zmq::sockopt::last_endpoint));

    zmq::pollitem_t items[] = {{a.handle(), 0, ZMQ_POLLIN, 0}, {b.handle(), 0, ZMQ_POLLIN, 0}};
    to_b.send(zmq::str_buffer("b"), zmq::send_flags::none);
    int n = zmq::poll(items, 2, std::chrono::milliseconds(fz::rcvtimeo_ms));
    REQUIRE(n == 1, "poll returned %d, want 1", n);
    REQUIRE(!(items[0].revents & ZMQ_POLLIN) && (items[1].revents & ZMQ_POLLIN),
            "revents a=%d b=%d", items[0].revents, items[1].revents);
    zmq::message_t m;
    REQUIRE(b.recv(m, zmq::recv_flags::dontwait), "b readable but recv failed");

    to_a.send(zmq::str_buffer("a1"), zmq::send_flags::none);
    to_b.send(zmq::str_buffer("b2"), zmq::send_flags::none);
    // both become ready (the tcp one maybe a little later)
    int ready_a = 0, ready_b = 0;
    auto start = std::chrono::steady_clock::now();
    while ((!ready_a || !ready_b) && elapsed_ms(start) < fz::rcvtimeo_ms) {
        n = zmq::poll(items, 2, 100ms);
        REQUIRE(n >= 0, "poll failed");
        if (items[0].revents & ZMQ_POLLIN) {
            ready_a++;
            REQUIRE(a.recv(m, zmq::recv_flags::dontwait) && m.to_string() == "a1", "a recv");
        }
        if (items[1].revents & ZMQ_POLLIN) {
            ready_b++;
            REQUIRE(b.recv(m, zmq::recv_flags::dontwait) && m.to_string() == "b2", "b recv");
        }
    }
    REQUIRE(ready_a == 1 && ready_b == 1, "a ready %d times, b %d times", ready_a, ready_b);
    REQUIRE(zmq::poll(items, 2, 50ms) == 0, "still ready after draining");

    // POLLOUT: a connected PUSH can send; one with IMMEDIATE and no peer cannot
    zmq::socket_t lonely(ctx, zmq::socket_type::push);
    lonely.set(zmq::sockopt::linger, 0);
    lonely.set(zmq::sockopt::immediate, true);
    lonely.connect("tcp://127.0.0.1:1");
    zmq::pollitem_t out[] = {{to_a.handle(), 0, ZMQ_POLLOUT, 0},
                             {lonely.handle(), 0, ZMQ_POLLOUT, 0}};
    n = zmq::poll(out, 2, 200ms);
    REQUIRE(n == 1 && (out[0].revents & ZMQ_POLLOUT) && !(out[1].revents & ZMQ_POLLOUT),
            "POLLOUT: n %d, connected %d, unconnected %d", n, out[0].revents, out[1].revents);
    return true;
}

static bool plain_fd()
{
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe");
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::pull);
    s.bind(fz::inproc("fd"));
    zmq::pollitem_t items[] = {{nullptr, fds[0], ZMQ_POLLIN, 0}, {s.handle(), 0, ZMQ_POLLIN, 0}};
    REQUIRE(zmq::poll(items, 2, 100ms) == 0, "idle fd reported ready");
    std::thread writer([&] {
        std::this_thread::sleep_for(100ms);
        (void) !write(fds[1], "x", 1);
    });
    auto start = std::chrono::steady_clock::now();
    int n = zmq::poll(items, 2, std::chrono::milliseconds(fz::rcvtimeo_ms));
    long long ms = elapsed_ms(start);
    writer.join();
    REQUIRE(n == 1 && (items[0].revents & ZMQ_POLLIN) && !(items[1].revents & ZMQ_POLLIN),
            "after the write: n %d, fd revents %d", n, items[0].revents);
    REQUIRE(ms >= 80, "woke after %lld ms, before the write", ms);
    // POLLOUT on the write end
    zmq::pollitem_t w[] = {{nullptr, fds[1], ZMQ_POLLOUT, 0}};
    REQUIRE(zmq::poll(w, 1, 0ms) == 1 && (w[0].revents & ZMQ_POLLOUT), "pipe write end not writable");
    close(fds[0]);
    close(fds[1]);
    return true;
}

static bool fd_and_events()
{
    // The ZMQ_FD protocol: wait on the fd, then ask ZMQ_EVENTS
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::pull);
    zmq::socket_t p(ctx, zmq::socket_type::push);
    s.bind("tcp://127.0.0.1:*");
    p.set(zmq::sockopt::linger, 0);
    p.connect(s.get(zmq::sockopt::last_endpoint));
    zmq::fd_t fd = s.get(zmq::sockopt::fd);
    p.send(zmq::str_buffer("via fd"), zmq::send_flags::none);
    auto start = std::chrono::steady_clock::now();
    bool got = false;
    while (!got && elapsed_ms(start) < fz::rcvtimeo_ms) {
        if (s.get(zmq::sockopt::events) & ZMQ_POLLIN) {
            zmq::message_t m;
            REQUIRE(s.recv(m, zmq::recv_flags::dontwait), "EVENTS said POLLIN, recv failed");
            REQUIRE(m.to_string() == "via fd", "content");
            got = true;
            break;
        }
        zmq::pollitem_t it[] = {{nullptr, fd, ZMQ_POLLIN, 0}};
        zmq::poll(it, 1, 500ms);
    }
    REQUIRE(got, "the message never showed through ZMQ_FD/ZMQ_EVENTS");
    return true;
}

int main()
{
    fz::begin("cppzmq.poll");
    fz::run("cppzmq.poll.timeout", timeout);
    fz::run("cppzmq.poll.readiness", readiness);
    fz::run("cppzmq.poll.plain-fd", plain_fd);
    fz::run("cppzmq.poll.zmq-fd-and-events", fd_and_events);
    return fz::end("cppzmq.poll");
}
