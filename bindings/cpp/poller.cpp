// poller.cpp - cppzmq's zmq::poller_t and zmq::active_poller_t, i.e.
// libzmq's draft zmq_poller_* API, over ferrozmq.  Compiled with
// -DZMQ_BUILD_DRAFT_API; not in the default run list (bindings/cpp/run.sh
// --poller adds it): Debian's libzmq 4.3.4 is not a draft build and has
// no zmq_poller_* to compare with.
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include "fz_check.hpp"

#include <vector>

#if !defined(ZMQ_HAVE_POLLER)
#error "zmq.h does not define ZMQ_HAVE_POLLER with ZMQ_BUILD_DRAFT_API"
#endif

using namespace std::chrono_literals;

static long long elapsed_ms(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now() - since).count();
}

static bool construct()
{
    // poller_t's constructor calls zmq_poller_new and throws if it fails
    // (ENOTSUP from a library without the draft poller)
    void *raw = zmq_poller_new();
    REQUIRE(raw, "zmq_poller_new returned NULL: errno %d (%s)", zmq_errno(),
            zmq_strerror(zmq_errno()));
    REQUIRE(zmq_poller_destroy(&raw) == 0 && raw == nullptr, "zmq_poller_destroy");
    zmq::poller_t<> poller;
    REQUIRE(poller.size() == 0, "a new poller has %zu items", poller.size());
    return true;
}

static bool timeout()
{
    zmq::context_t ctx;
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.bind("tcp://127.0.0.1:*");
    zmq::poller_t<> poller;
    poller.add(pull, zmq::event_flags::pollin);
    REQUIRE(poller.size() == 1, "size %zu", poller.size());
    std::vector<zmq::poller_event<>> events(1);
    auto start = std::chrono::steady_clock::now();
    size_t n = poller.wait_all(events, 200ms);
    long long ms = elapsed_ms(start);
    REQUIRE(n == 0, "wait_all on an idle socket returned %zu", n);
    REQUIRE(ms >= 190 && ms < 2000, "200 ms wait took %lld ms", ms);
    start = std::chrono::steady_clock::now();
    n = poller.wait_all(events, 0ms);
    REQUIRE(n == 0 && elapsed_ms(start) < 100, "zero-timeout wait");
    return true;
}

static bool readiness_add_modify_remove()
{
    zmq::context_t ctx;
    zmq::socket_t a(ctx, zmq::socket_type::pull), b(ctx, zmq::socket_type::pull);
    a.bind("tcp://127.0.0.1:*");
    b.bind(fz::inproc("poller-b"));
    zmq::socket_t to_a(ctx, zmq::socket_type::push), to_b(ctx, zmq::socket_type::push);
    to_a.set(zmq::sockopt::linger, 0);
    to_b.set(zmq::sockopt::linger, 0);
    to_a.connect(a.get(zmq::sockopt::last_endpoint));
    to_b.connect(b.get(zmq::sockopt::last_endpoint));

    int tag_a = 1, tag_b = 2;
    zmq::poller_t<int> poller;
    poller.add(a, zmq::event_flags::pollin, &tag_a);
    poller.add(b, zmq::event_flags::pollin, &tag_b);
    REQUIRE(poller.size() == 2, "size %zu", poller.size());
    std::vector<zmq::poller_event<int>> events(2);

    to_b.send(zmq::str_buffer("b"), zmq::send_flags::none);
    size_t n = poller.wait_all(events, std::chrono::milliseconds(fz::rcvtimeo_ms));
    REQUIRE(n == 1, "wait_all returned %zu, want 1", n);
    REQUIRE(events[0].socket == b && events[0].user_data == &tag_b
                && (events[0].events & zmq::event_flags::pollin) == zmq::event_flags::pollin,
            "the ready item is not b with its user data");
    zmq::message_t m;
    REQUIRE(b.recv(m, zmq::recv_flags::dontwait), "b recv");

    // both ready
    to_a.send(zmq::str_buffer("a"), zmq::send_flags::none);
    to_b.send(zmq::str_buffer("b"), zmq::send_flags::none);
    int seen_a = 0, seen_b = 0;
    auto start = std::chrono::steady_clock::now();
    while ((!seen_a || !seen_b) && elapsed_ms(start) < fz::rcvtimeo_ms) {
        n = poller.wait_all(events, 100ms);
        for (size_t i = 0; i < n; i++) {
            int *tag = events[i].user_data;
            REQUIRE(tag == &tag_a || tag == &tag_b, "unknown user data");
            zmq::socket_ref s = events[i].socket;
            REQUIRE(s.recv(m, zmq::recv_flags::dontwait), "recv on a ready socket failed");
            (*tag == 1 ? seen_a : seen_b)++;
        }
    }
    REQUIRE(seen_a == 1 && seen_b == 1, "a seen %d times, b %d", seen_a, seen_b);

    // remove b: its message no longer wakes the poller
    poller.remove(b);
    REQUIRE(poller.size() == 1, "size after remove %zu", poller.size());
    to_b.send(zmq::str_buffer("unseen"), zmq::send_flags::none);
    n = poller.wait_all(events, 200ms);
    REQUIRE(n == 0, "a removed socket was reported (%zu)", n);

    // modify a to POLLOUT|POLLIN: a PULL is never writable; to_a (PUSH) is
    poller.add(to_a, zmq::event_flags::pollin, nullptr);
    poller.modify(to_a, zmq::event_flags::pollout);
    n = poller.wait_all(events, 1000ms);
    REQUIRE(n == 1 && events[0].socket == to_a
                && (events[0].events & zmq::event_flags::pollout) == zmq::event_flags::pollout
                && events[0].user_data == nullptr,
            "after modify to POLLOUT: %zu ready", n);
    poller.modify(to_a, zmq::event_flags::none);
    n = poller.wait_all(events, 100ms);
    REQUIRE(n == 0, "after modify to no events: %zu ready", n);

    // errors: adding twice, removing something never added
    int e1 = 0, e2 = 0;
    try {
        poller.add(a, zmq::event_flags::pollin, &tag_a);
    } catch (const zmq::error_t &e) {
        e1 = e.num();
    }
    try {
        poller.remove(b);
    } catch (const zmq::error_t &e) {
        e2 = e.num();
    }
    REQUIRE(e1 == EINVAL, "adding a socket twice: errno %d (want EINVAL)", e1);
    REQUIRE(e2 == EINVAL, "removing an absent socket: errno %d (want EINVAL)", e2);
    return true;
}

static bool wait_wakes_on_arrival()
{
    zmq::context_t ctx;
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.bind("tcp://127.0.0.1:*");
    std::string ep = pull.get(zmq::sockopt::last_endpoint);
    zmq::poller_t<> poller;
    poller.add(pull, zmq::event_flags::pollin);
    std::thread sender([&] {
        zmq::socket_t push(ctx, zmq::socket_type::push);
        push.set(zmq::sockopt::linger, 1000);
        push.connect(ep);
        std::this_thread::sleep_for(150ms);
        push.send(zmq::str_buffer("late"), zmq::send_flags::none);
    });
    std::vector<zmq::poller_event<>> events(1);
    auto start = std::chrono::steady_clock::now();
    size_t n = poller.wait_all(events, std::chrono::milliseconds(fz::rcvtimeo_ms));
    long long ms = elapsed_ms(start);
    sender.join();
    REQUIRE(n == 1 && events[0].socket == pull, "the wait did not report the arrival");
    REQUIRE(ms >= 100 && ms < fz::rcvtimeo_ms, "woke after %lld ms", ms);
    zmq::message_t m;
    REQUIRE(pull.recv(m, zmq::recv_flags::dontwait) && m.to_string() == "late", "content");
    return true;
}

static bool active_poller()
{
    zmq::context_t ctx;
    zmq::socket_t a(ctx, zmq::socket_type::pull);
    a.bind(fz::inproc("active"));
    zmq::socket_t to_a(ctx, zmq::socket_type::push);
    to_a.connect(a.get(zmq::sockopt::last_endpoint));
    zmq::active_poller_t ap;
    int calls = 0;
    ap.add(a, zmq::event_flags::pollin, [&](zmq::event_flags ev) {
        calls++;
        zmq::message_t m;
        (void) a.recv(m, zmq::recv_flags::dontwait);
        (void) ev;
    });
    REQUIRE(ap.size() == 1 && !ap.empty(), "active_poller size");
    REQUIRE(ap.wait(50ms) == 0 && calls == 0, "idle active_poller dispatched");
    to_a.send(zmq::str_buffer("x"), zmq::send_flags::none);
    REQUIRE(ap.wait(std::chrono::milliseconds(fz::rcvtimeo_ms)) == 1 && calls == 1,
            "handler called %d times", calls);
    ap.remove(a);
    REQUIRE(ap.empty(), "not empty after remove");
    return true;
}

int main()
{
    fz::begin("cppzmq.poller");
    fz::run("cppzmq.poller.construct", construct);
    fz::run("cppzmq.poller.timeout", timeout);
    fz::run("cppzmq.poller.readiness-add-modify-remove", readiness_add_modify_remove);
    fz::run("cppzmq.poller.wakes-on-arrival", wait_wakes_on_arrival);
    fz::run("cppzmq.poller.active-poller", active_poller);
    return fz::end("cppzmq.poller");
}
