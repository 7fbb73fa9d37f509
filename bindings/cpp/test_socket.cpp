// test_socket.cpp - cppzmq's context_t, socket_t, message_t, buffers,
// send/recv results, flags, options and errors over ferrozmq.
#include "fz_check.hpp"

using namespace std::chrono_literals;

static bool req_rep()
{
    zmq::context_t ctx;
    zmq::socket_t rep(ctx, zmq::socket_type::rep);
    zmq::socket_t req(ctx, zmq::socket_type::req);
    fz::set_timeouts(rep);
    fz::set_timeouts(req);
    rep.bind("tcp://127.0.0.1:*");
    std::string endpoint = rep.get(zmq::sockopt::last_endpoint);
    REQUIRE(endpoint.rfind("tcp://127.0.0.1:", 0) == 0 && fz::port_of(endpoint) > 0,
            "last_endpoint '%s'", endpoint.c_str());
    req.connect(endpoint);

    // send with zmq::buffer (string_view / array), send_result_t is the size
    zmq::send_result_t sr = req.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    REQUIRE(sr && *sr == 5, "send returned %s", sr ? std::to_string(*sr).c_str() : "nullopt");

    // A second send on REQ before the reply is an EFSM error (thrown)
    bool efsm = false;
    try {
        (void) req.send(zmq::str_buffer("again"), zmq::send_flags::dontwait);
    } catch (const zmq::error_t &e) {
        efsm = e.num() == EFSM;
    }
    REQUIRE(efsm, "second send on REQ did not throw EFSM");

    // recv into a fixed buffer: recv_buffer_result_t reports size and truncation
    char buf[3];
    zmq::recv_buffer_result_t br = rep.recv(zmq::buffer(buf), zmq::recv_flags::none);
    REQUIRE(br, "REP got nothing");
    REQUIRE(br->size == 3 && br->untruncated_size == 5 && br->truncated(),
            "recv into 3 bytes: size %zu, untruncated %zu", br->size, br->untruncated_size);
    REQUIRE(memcmp(buf, "hel", 3) == 0, "truncated content");

    std::array<int, 4> numbers{1, 2, 3, 4};
    sr = rep.send(zmq::buffer(numbers), zmq::send_flags::none);
    REQUIRE(sr && *sr == sizeof numbers, "send of an array");

    zmq::message_t reply;
    zmq::recv_result_t rr = req.recv(reply, zmq::recv_flags::none);
    REQUIRE(rr && *rr == sizeof numbers && reply.size() == sizeof numbers, "reply size");
    REQUIRE(memcmp(reply.data(), numbers.data(), sizeof numbers) == 0, "reply content");
    REQUIRE(!reply.more(), "reply has MORE");
    REQUIRE(req.get(zmq::sockopt::rcvmore) == 0, "rcvmore set");
    return true;
}

static bool dontwait_and_timeouts()
{
    zmq::context_t ctx;
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.bind(fz::inproc("dontwait"));
    zmq::message_t m;
    // DONTWAIT with nothing queued: an empty optional, not an exception
    zmq::recv_result_t r = pull.recv(m, zmq::recv_flags::dontwait);
    REQUIRE(!r, "recv dontwait on an empty socket returned %zu", *r);
    REQUIRE(zmq_errno() == EAGAIN, "errno %d, want EAGAIN", zmq_errno());

    pull.set(zmq::sockopt::rcvtimeo, 150);
    auto start = std::chrono::steady_clock::now();
    r = pull.recv(m);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
    REQUIRE(!r, "recv with RCVTIMEO returned a message");
    REQUIRE(ms >= 140 && ms < 2000, "150 ms RCVTIMEO took %lld ms", (long long) ms);

    // PUSH with no connected peer (IMMEDIATE: no pipe before the
    // connection is up): send dontwait is EAGAIN (empty optional)
    zmq::socket_t push(ctx, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.set(zmq::sockopt::immediate, true);
    push.connect("tcp://127.0.0.1:1");      // nobody there; never connects
    zmq::send_result_t s = push.send(zmq::str_buffer("x"), zmq::send_flags::dontwait);
    REQUIRE(!s, "send dontwait without a peer succeeded");
    return true;
}

static bool pub_sub()
{
    zmq::context_t ctx;
    zmq::socket_t pub(ctx, zmq::socket_type::pub);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    pub.bind("tcp://127.0.0.1:*");
    sub.set(zmq::sockopt::subscribe, "news.");
    sub.set(zmq::sockopt::rcvtimeo, 50);
    sub.connect(pub.get(zmq::sockopt::last_endpoint));
    bool joined = false;
    for (int i = 0; i < 100 && !joined; i++) {
        pub.send(zmq::str_buffer("sport.warmup"), zmq::send_flags::none);
        pub.send(zmq::str_buffer("news.warmup"), zmq::send_flags::none);
        zmq::message_t m;
        if (sub.recv(m)) {
            REQUIRE(m.to_string().rfind("news.", 0) == 0, "got '%s'", m.to_string().c_str());
            joined = true;
        }
    }
    REQUIRE(joined, "subscription never took effect");
    pub.send(zmq::str_buffer("sport.score"), zmq::send_flags::none);
    pub.send(zmq::str_buffer("news.last"), zmq::send_flags::none);
    sub.set(zmq::sockopt::rcvtimeo, fz::rcvtimeo_ms);
    for (;;) {
        zmq::message_t m;
        REQUIRE(sub.recv(m), "nothing arrived");
        std::string s = m.to_string();
        REQUIRE(s.rfind("news.", 0) == 0, "unsubscribed '%s' arrived", s.c_str());
        if (s == "news.last")
            break;
    }
    // an unsubscribe option is write-only: reading it is EINVAL
    bool einval = false;
    try {
        int v;
        size_t sz = sizeof v;
        if (zmq_getsockopt(sub.handle(), ZMQ_SUBSCRIBE, &v, &sz) == -1)
            throw zmq::error_t();
    } catch (const zmq::error_t &e) {
        einval = e.num() == EINVAL;
    }
    REQUIRE(einval, "getsockopt (ZMQ_SUBSCRIBE) did not fail with EINVAL");
    return true;
}

static bool router_dealer()
{
    zmq::context_t ctx(2);
    REQUIRE(ctx.get(zmq::ctxopt::io_threads) == 2, "io_threads %d", ctx.get(zmq::ctxopt::io_threads));
    zmq::socket_t router(ctx, zmq::socket_type::router);
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    fz::set_timeouts(router);
    fz::set_timeouts(dealer);
    router.set(zmq::sockopt::router_mandatory, true);
    dealer.set(zmq::sockopt::routing_id, "dealer-A");
    REQUIRE(dealer.get(zmq::sockopt::routing_id) == "dealer-A", "routing_id reads '%s'",
            dealer.get(zmq::sockopt::routing_id).c_str());
    router.bind("tcp://127.0.0.1:*");
    dealer.connect(router.get(zmq::sockopt::last_endpoint));

    dealer.send(zmq::str_buffer("part1"), zmq::send_flags::sndmore);
    dealer.send(zmq::str_buffer("part2"), zmq::send_flags::none);
    zmq::message_t id, p1, p2;
    REQUIRE(router.recv(id) && id.to_string() == "dealer-A", "routing id frame '%s'",
            id.to_string().c_str());
    REQUIRE(id.more(), "id frame without MORE");
    REQUIRE(router.recv(p1) && p1.to_string() == "part1" && p1.more(), "frame 1");
    REQUIRE(router.recv(p2) && p2.to_string() == "part2" && !p2.more(), "frame 2");
    REQUIRE(p2.gets("Socket-Type") == std::string("DEALER"), "Socket-Type metadata");

    router.send(id, zmq::send_flags::sndmore);
    router.send(zmq::str_buffer("back"), zmq::send_flags::none);
    zmq::message_t back;
    REQUIRE(dealer.recv(back) && back.to_string() == "back", "dealer reply");

    bool unreachable = false;
    try {
        router.send(zmq::str_buffer("nobody"), zmq::send_flags::sndmore);
    } catch (const zmq::error_t &e) {
        unreachable = e.num() == EHOSTUNREACH;
    }
    REQUIRE(unreachable, "ROUTER_MANDATORY send to an unknown id did not throw EHOSTUNREACH");
    return true;
}

static bool options()
{
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::dealer);
    REQUIRE(s.get(zmq::sockopt::type) == ZMQ_DEALER, "type %d", s.get(zmq::sockopt::type));
    REQUIRE(s.get(zmq::sockopt::sndhwm) == 1000 && s.get(zmq::sockopt::rcvhwm) == 1000,
            "default HWMs %d/%d", s.get(zmq::sockopt::sndhwm), s.get(zmq::sockopt::rcvhwm));
    REQUIRE(s.get(zmq::sockopt::linger) == -1, "default linger %d", s.get(zmq::sockopt::linger));
    s.set(zmq::sockopt::sndhwm, 17);
    s.set(zmq::sockopt::rcvhwm, 23);
    s.set(zmq::sockopt::linger, 250);
    s.set(zmq::sockopt::reconnect_ivl, 321);
    s.set(zmq::sockopt::maxmsgsize, int64_t(1) << 20);
    s.set(zmq::sockopt::immediate, true);
    s.set(zmq::sockopt::ipv6, false);
    s.set(zmq::sockopt::tcp_keepalive, 1);
    REQUIRE(s.get(zmq::sockopt::sndhwm) == 17 && s.get(zmq::sockopt::rcvhwm) == 23, "HWMs");
    REQUIRE(s.get(zmq::sockopt::linger) == 250, "linger");
    REQUIRE(s.get(zmq::sockopt::reconnect_ivl) == 321, "reconnect_ivl");
    REQUIRE(s.get(zmq::sockopt::maxmsgsize) == (int64_t(1) << 20), "maxmsgsize");
    REQUIRE(s.get(zmq::sockopt::immediate) == true, "immediate");
    REQUIRE(s.get(zmq::sockopt::ipv6) == false, "ipv6");
    REQUIRE(s.get(zmq::sockopt::tcp_keepalive) == 1, "tcp_keepalive");
    REQUIRE(s.get(zmq::sockopt::mechanism) == ZMQ_NULL, "mechanism");
    REQUIRE(s.get(zmq::sockopt::last_endpoint).empty(), "last_endpoint before bind");
    // binary option round trip
    std::string rid("\x00\x01\x02rid", 6);
    s.set(zmq::sockopt::routing_id, zmq::buffer(rid));
    std::string got = s.get(zmq::sockopt::routing_id);
    REQUIRE(got == rid, "binary routing_id round trip (%zu bytes)", got.size());
    // ZMQ_FD is a real descriptor; ZMQ_EVENTS says nothing is readable
    zmq::fd_t fd = s.get(zmq::sockopt::fd);
    REQUIRE(fd > 2, "fd %d", (int) fd);
    REQUIRE((s.get(zmq::sockopt::events) & ZMQ_POLLIN) == 0, "POLLIN on an idle socket");
    // CURVE keys as Z85 strings
    char pub[41], sec[41];
    REQUIRE(zmq_curve_keypair(pub, sec) == 0, "zmq_curve_keypair");
    s.set(zmq::sockopt::curve_serverkey, pub);
    std::string z85 = s.get(zmq::sockopt::curve_serverkey, 41);
    REQUIRE(z85 == pub, "curve_serverkey as Z85 reads '%s'", z85.c_str());
    std::string bin = s.get(zmq::sockopt::curve_serverkey, 32);
    REQUIRE(bin.size() == 32, "curve_serverkey binary is %zu bytes", bin.size());
    // invalid values
    bool einval = false;
    try {
        s.set(zmq::sockopt::sndhwm, -1);
    } catch (const zmq::error_t &e) {
        einval = e.num() == EINVAL;
    }
    REQUIRE(einval, "SNDHWM -1 was accepted");
    // context options
    REQUIRE(ctx.get(zmq::ctxopt::max_sockets) == 1023, "max_sockets %d", ctx.get(zmq::ctxopt::max_sockets));
    ctx.set(zmq::ctxopt::blocky, false);
    REQUIRE(ctx.get(zmq::ctxopt::blocky) == 0, "blocky");
    return true;
}

static bool errors_and_lifetime()
{
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::pair);
    auto errno_of = [&](const char *ep, bool bind) {
        try {
            if (bind)
                s.bind(ep);
            else
                s.connect(ep);
        } catch (const zmq::error_t &e) {
            return e.num();
        }
        return 0;
    };
    int e1 = errno_of("nonsense", true);
    int e2 = errno_of("bogus://x", false);
    int e3 = errno_of("tcp://127.0.0.1:65536", true);
    REQUIRE(e1 == EINVAL, "bind 'nonsense': errno %d (want EINVAL)", e1);
    REQUIRE(e2 == EPROTONOSUPPORT, "connect 'bogus://x': errno %d (want EPROTONOSUPPORT)", e2);
    REQUIRE(e3 == EINVAL, "bind port 65536: errno %d (want EINVAL)", e3);
    zmq::socket_t a(ctx, zmq::socket_type::pull);
    a.bind("tcp://127.0.0.1:*");
    std::string ep = a.get(zmq::sockopt::last_endpoint);
    zmq::socket_t b(ctx, zmq::socket_type::pull);
    int e4 = 0;
    try {
        b.bind(ep);
    } catch (const zmq::error_t &e) {
        e4 = e.num();
    }
    REQUIRE(e4 == EADDRINUSE, "second bind of %s: errno %d", ep.c_str(), e4);
    a.unbind(ep);
    int e5 = 0;
    try {
        a.unbind(ep);
    } catch (const zmq::error_t &e) {
        e5 = e.num();
    }
    REQUIRE(e5 == ENOENT, "second unbind: errno %d (want ENOENT)", e5);
    REQUIRE(std::string(zmq_strerror(EFSM)).find("Operation cannot be accomplished in current state") != std::string::npos,
            "zmq_strerror (EFSM) is '%s'", zmq_strerror(EFSM));

    // A context shut down while a thread blocks in recv: ETERM
    zmq::context_t ctx2;
    std::atomic<int> got{0};
    std::thread t([&] {
        zmq::socket_t p(ctx2, zmq::socket_type::pull);
        p.bind(fz::inproc("eterm"));
        zmq::message_t m;
        try {
            (void) p.recv(m);
        } catch (const zmq::error_t &e) {
            got = e.num();
        }
    });
    std::this_thread::sleep_for(100ms);
    ctx2.shutdown();
    t.join();
    REQUIRE(got == ETERM, "blocked recv after ctx shutdown: errno %d (want ETERM)", got.load());
    ctx2.close();

    // message_t basics
    zmq::message_t m1("abc", 3), m2;
    m2.copy(m1);
    REQUIRE(m1 == m2 && m2.to_string() == "abc", "message copy");
    zmq::message_t m3(std::string("moved"));
    zmq::message_t m4(std::move(m3));
    REQUIRE(m4.to_string() == "moved" && m3.size() == 0, "message move");
    m4.rebuild(1000);
    REQUIRE(m4.size() == 1000, "rebuild");
    return true;
}

// libzmq 4.3 reads a tcp port with atoi() and keeps it as uint16_t, 0
// being EINVAL: 65536 is EINVAL, 99999 binds port 34463, -5 binds 65531.
static bool port_parsing()
{
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::pull);
    s.set(zmq::sockopt::linger, 0);
    s.bind("tcp://127.0.0.1:99999");
    std::string ep = s.get(zmq::sockopt::last_endpoint);
    REQUIRE(ep == "tcp://127.0.0.1:34463", "bind :99999 gave '%s'", ep.c_str());
    int err = 0;
    try {
        s.bind("tcp://127.0.0.1:-5");
    } catch (const zmq::error_t &e) {
        err = e.num();
    }
    REQUIRE(err == 0, "bind :-5 failed with errno %d (libzmq binds port 65531)", err);
    ep = s.get(zmq::sockopt::last_endpoint);
    REQUIRE(ep == "tcp://127.0.0.1:65531", "bind :-5 gave '%s'", ep.c_str());
    return true;
}

int main()
{
    fz::begin("cppzmq.socket");
    fz::run("cppzmq.socket.req-rep-buffers", req_rep);
    fz::run("cppzmq.socket.dontwait-and-timeouts", dontwait_and_timeouts);
    fz::run("cppzmq.socket.pub-sub", pub_sub);
    fz::run("cppzmq.socket.router-dealer", router_dealer);
    fz::run("cppzmq.socket.options", options);
    fz::run("cppzmq.socket.errors-and-lifetime", errors_and_lifetime);
    fz::run("cppzmq.socket.tcp-port-parsing", port_parsing);
    return fz::end("cppzmq.socket");
}
