// test_multipart.cpp - cppzmq's zmq::multipart_t and
// zmq::send_multipart/recv_multipart(_n) over ferrozmq.
#include "fz_check.hpp"

#include <vector>

static bool multipart_t_roundtrip()
{
    zmq::context_t ctx;
    zmq::socket_t a(ctx, zmq::socket_type::pair), b(ctx, zmq::socket_type::pair);
    fz::set_timeouts(a);
    fz::set_timeouts(b);
    a.bind("tcp://127.0.0.1:*");
    b.connect(a.get(zmq::sockopt::last_endpoint));

    zmq::multipart_t out;
    out.addstr("first");
    out.add(zmq::message_t());                    // an empty frame
    out.addtyp<uint32_t>(0xCAFEBABE);
    out.pushstr("header");                        // prepended
    std::string big(100000, 'x');
    out.addmem(big.data(), big.size());
    REQUIRE(out.size() == 5, "multipart_t has %zu frames", out.size());
    REQUIRE(out.send(a), "multipart_t::send");
    REQUIRE(out.empty(), "send did not consume the frames");

    zmq::multipart_t in;
    REQUIRE(in.recv(b), "multipart_t::recv got nothing");
    REQUIRE(in.size() == 5, "received %zu frames, want 5", in.size());
    REQUIRE(in.peekstr(0) == "header", "frame 0 '%s'", in.peekstr(0).c_str());
    REQUIRE(in.popstr() == "header", "popstr");
    REQUIRE(in.popstr() == "first", "popstr 2");
    zmq::message_t empty = in.pop();
    REQUIRE(empty.size() == 0, "empty frame has %zu bytes", empty.size());
    REQUIRE(in.poptyp<uint32_t>() == 0xCAFEBABE, "poptyp");
    zmq::message_t last = in.pop();
    REQUIRE(last.size() == big.size() && memcmp(last.data(), big.data(), big.size()) == 0,
            "100 kB frame differs");
    REQUIRE(in.empty(), "frames left over");

    // recv with dontwait on nothing: false, not an exception
    zmq::multipart_t none;
    REQUIRE(!none.recv(b, ZMQ_DONTWAIT), "recv dontwait on an empty socket succeeded");

    // clone and equality
    zmq::multipart_t m1(std::string("solo"));
    m1.addstr("two");
    zmq::multipart_t m2 = m1.clone();
    REQUIRE(m1.equal(&m2) && m2.str().find("solo") != std::string::npos, "clone/equal");
    return true;
}

static bool send_recv_multipart()
{
    zmq::context_t ctx;
    zmq::socket_t router(ctx, zmq::socket_type::router);
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    fz::set_timeouts(router);
    fz::set_timeouts(dealer);
    dealer.set(zmq::sockopt::routing_id, "D1");
    router.bind("tcp://127.0.0.1:*");
    dealer.connect(router.get(zmq::sockopt::last_endpoint));

    std::vector<zmq::const_buffer> parts = {zmq::str_buffer("a"), zmq::str_buffer(""),
                                            zmq::str_buffer("ccc")};
    auto sent = zmq::send_multipart(dealer, parts);
    REQUIRE(sent && *sent == 3, "send_multipart returned %s",
            sent ? std::to_string(*sent).c_str() : "nullopt");

    std::vector<zmq::message_t> got;
    auto n = zmq::recv_multipart(router, std::back_inserter(got));
    REQUIRE(n && *n == 4 && got.size() == 4, "recv_multipart got %zu frames", got.size());
    REQUIRE(got[0].to_string() == "D1", "routing id '%s'", got[0].to_string().c_str());
    REQUIRE(got[1].to_string() == "a" && got[2].size() == 0 && got[3].to_string() == "ccc",
            "frame contents");

    // route a reply: send_multipart of message_t (moved)
    std::vector<zmq::message_t> reply;
    reply.emplace_back(got[0].data(), got[0].size());
    reply.emplace_back(std::string("r1"));
    reply.emplace_back(std::string("r2"));
    REQUIRE(zmq::send_multipart(router, reply), "router send_multipart");

    // recv_multipart_n into an array, exactly 2 frames
    std::array<zmq::message_t, 2> two;
    auto m = zmq::recv_multipart_n(dealer, two.data(), two.size());
    REQUIRE(m && *m == 2 && two[0].to_string() == "r1" && two[1].to_string() == "r2",
            "recv_multipart_n");

    // recv_multipart_n with too small a buffer throws
    zmq::send_multipart(router, std::array<zmq::const_buffer, 4>{
                                    zmq::buffer(got[0].data(), got[0].size()),
                                    zmq::str_buffer("x"), zmq::str_buffer("y"),
                                    zmq::str_buffer("z")});
    std::array<zmq::message_t, 2> small;
    bool threw = false;
    try {
        (void) zmq::recv_multipart_n(dealer, small.data(), small.size());
    } catch (const std::runtime_error &) {
        threw = true;
    }
    REQUIRE(threw, "recv_multipart_n into 2 slots of a 3-part message did not throw");
    // nothing left partially: a dontwait receive finds no frame
    zmq::message_t rest;
    while (dealer.get(zmq::sockopt::rcvmore))
        (void) dealer.recv(rest, zmq::recv_flags::dontwait);
    std::vector<zmq::message_t> none;
    auto e = zmq::recv_multipart(dealer, std::back_inserter(none), zmq::recv_flags::dontwait);
    REQUIRE(!e, "a frame was left after draining");
    return true;
}

static bool pubsub_envelopes()
{
    // PUB/SUB with a topic frame, the classic envelope
    zmq::context_t ctx;
    zmq::socket_t pub(ctx, zmq::socket_type::xpub);
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    fz::set_timeouts(pub);
    fz::set_timeouts(sub);
    pub.bind(fz::inproc("envelope"));
    sub.connect(pub.get(zmq::sockopt::last_endpoint));
    sub.set(zmq::sockopt::subscribe, "topic");
    // XPUB sees the subscription message: \x01 + topic
    zmq::message_t subscription;
    REQUIRE(pub.recv(subscription), "XPUB got no subscription");
    REQUIRE(subscription.to_string() == std::string("\x01topic"), "subscription frame '%s'",
            subscription.to_string().c_str());
    zmq::multipart_t env;
    env.addstr("topic");
    env.addstr("payload");
    REQUIRE(env.send(pub), "send");
    zmq::multipart_t in(sub);
    REQUIRE(in.size() == 2 && in.peekstr(0) == "topic" && in.peekstr(1) == "payload",
            "envelope: %zu frames", in.size());
    return true;
}

int main()
{
    fz::begin("cppzmq.multipart");
    fz::run("cppzmq.multipart.multipart_t", multipart_t_roundtrip);
    fz::run("cppzmq.multipart.send-recv-multipart", send_recv_multipart);
    fz::run("cppzmq.multipart.xpub-envelopes", pubsub_envelopes);
    return fz::end("cppzmq.multipart");
}
