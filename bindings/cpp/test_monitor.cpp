// test_monitor.cpp - cppzmq's zmq::monitor_t (zmq_socket_monitor and a
// PAIR reading its events) over ferrozmq: a subclass overriding the
// on_event_* handlers, each event's value and address checked.
#include "fz_check.hpp"

#include <map>
#include <vector>

struct seen_t
{
    int event;
    int value;
    std::string addr;
};

class recording_monitor : public zmq::monitor_t
{
  public:
    std::vector<seen_t> events;
    bool started = false;

    void on_monitor_started() override { started = true; }
    void on_event_listening(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_accepted(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_connected(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_connect_delayed(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_connect_retried(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_closed(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_disconnected(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_handshake_succeeded(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_handshake_failed_auth(const zmq_event_t &e, const char *a) override { add(e, a); }
    void on_event_handshake_failed_protocol(const zmq_event_t &e, const char *a) override
    {
        add(e, a);
    }
    void on_event_handshake_failed_no_detail(const zmq_event_t &e, const char *a) override
    {
        add(e, a);
    }
    void on_event_unknown(const zmq_event_t &e, const char *a) override { add(e, a); }

    // Pump events until one of type `want` arrives (true) or timeout_ms passes.
    bool wait_for(int want, int timeout_ms = fz::rcvtimeo_ms)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        size_t from = 0;
        for (;;) {
            for (; from < events.size(); from++)
                if (events[from].event == want)
                    return true;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0)
                return false;
            check_event(int(left));
        }
    }
    const seen_t *find(int want) const
    {
        for (auto &e : events)
            if (e.event == want)
                return &e;
        return nullptr;
    }
    std::string names() const
    {
        std::string s;
        for (auto &e : events)
            s += (s.empty() ? "" : ",") + hex(e.event);
        return s.empty() ? "(none)" : s;
    }

  private:
    static std::string hex(int v)
    {
        char b[16];
        snprintf(b, sizeof b, "0x%x", v);
        return b;
    }
    void add(const zmq_event_t &e, const char *a) { events.push_back({e.event, e.value, a}); }
};

static bool server_and_client_events()
{
    zmq::context_t ctx;
    zmq::socket_t server(ctx, zmq::socket_type::rep);
    zmq::socket_t client(ctx, zmq::socket_type::req);
    fz::set_timeouts(server);
    fz::set_timeouts(client);
    recording_monitor smon, cmon;
    smon.init(server, fz::inproc("smon"), ZMQ_EVENT_ALL);
    cmon.init(client, fz::inproc("cmon"), ZMQ_EVENT_ALL);
    REQUIRE(smon.started && cmon.started, "on_monitor_started not called");

    server.bind("tcp://127.0.0.1:*");
    std::string ep = server.get(zmq::sockopt::last_endpoint);
    REQUIRE(smon.wait_for(ZMQ_EVENT_LISTENING), "no LISTENING (saw %s)", smon.names().c_str());
    REQUIRE(smon.find(ZMQ_EVENT_LISTENING)->addr == ep, "LISTENING address '%s'",
            smon.find(ZMQ_EVENT_LISTENING)->addr.c_str());

    client.connect(ep);
    REQUIRE(cmon.wait_for(ZMQ_EVENT_CONNECTED), "client: no CONNECTED (saw %s)", cmon.names().c_str());
    REQUIRE(cmon.find(ZMQ_EVENT_CONNECTED)->addr == ep, "CONNECTED address");
    REQUIRE(cmon.find(ZMQ_EVENT_CONNECTED)->value > 2, "CONNECTED value (fd) %d",
            cmon.find(ZMQ_EVENT_CONNECTED)->value);
    REQUIRE(cmon.wait_for(ZMQ_EVENT_HANDSHAKE_SUCCEEDED), "client: no HANDSHAKE_SUCCEEDED (saw %s)",
            cmon.names().c_str());
    REQUIRE(cmon.find(ZMQ_EVENT_HANDSHAKE_SUCCEEDED)->value == 0, "HANDSHAKE_SUCCEEDED value");
    REQUIRE(smon.wait_for(ZMQ_EVENT_ACCEPTED), "server: no ACCEPTED (saw %s)", smon.names().c_str());
    REQUIRE(smon.find(ZMQ_EVENT_ACCEPTED)->addr == ep, "ACCEPTED address '%s'",
            smon.find(ZMQ_EVENT_ACCEPTED)->addr.c_str());
    REQUIRE(smon.wait_for(ZMQ_EVENT_HANDSHAKE_SUCCEEDED), "server: no HANDSHAKE_SUCCEEDED (saw %s)",
            smon.names().c_str());

    // Order on the client: CONNECTED (maybe after CONNECT_DELAYED) before the handshake
    int connected_at = -1, handshake_at = -1;
    for (size_t i = 0; i < cmon.events.size(); i++) {
        if (cmon.events[i].event == ZMQ_EVENT_CONNECTED && connected_at < 0) connected_at = int(i);
        if (cmon.events[i].event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && handshake_at < 0) handshake_at = int(i);
    }
    REQUIRE(connected_at < handshake_at, "client events out of order: %s", cmon.names().c_str());

    client.send(zmq::str_buffer("ping"), zmq::send_flags::none);
    zmq::message_t m;
    REQUIRE(server.recv(m) && m.to_string() == "ping", "request");

    // Client goes away: the server sees DISCONNECTED
    cmon.abort();
    client.close();
    REQUIRE(smon.wait_for(ZMQ_EVENT_DISCONNECTED), "server: no DISCONNECTED (saw %s)",
            smon.names().c_str());
    // Unbind: CLOSED
    server.unbind(ep);
    REQUIRE(smon.wait_for(ZMQ_EVENT_CLOSED), "server: no CLOSED after unbind (saw %s)",
            smon.names().c_str());
    REQUIRE(smon.find(ZMQ_EVENT_CLOSED)->addr == ep, "CLOSED address");
    // abort(): MONITOR_STOPPED ends check_event
    smon.abort();
    bool more = smon.check_event(1000);
    REQUIRE(!more, "check_event after abort () still returned an event");
    return true;
}

static bool connect_delayed_and_retried()
{
    zmq::context_t ctx;
    int port;
    {
        zmq::socket_t probe(ctx, zmq::socket_type::pull);
        probe.set(zmq::sockopt::linger, 0);
        probe.bind("tcp://127.0.0.1:*");
        port = fz::port_of(probe.get(zmq::sockopt::last_endpoint));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    zmq::socket_t client(ctx, zmq::socket_type::push);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::reconnect_ivl, 100);
    recording_monitor mon;
    mon.init(client, fz::inproc("retry"), ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CONNECTED);
    std::string ep = "tcp://127.0.0.1:" + std::to_string(port);
    client.connect(ep);
    REQUIRE(mon.wait_for(ZMQ_EVENT_CONNECT_RETRIED), "no CONNECT_RETRIED (saw %s)", mon.names().c_str());
    auto *r = mon.find(ZMQ_EVENT_CONNECT_RETRIED);
    REQUIRE(r->value >= 100 && r->value < 200, "CONNECT_RETRIED value %d, want 100..199", r->value);
    REQUIRE(r->addr == ep, "CONNECT_RETRIED address '%s'", r->addr.c_str());
    // Only the events asked for arrive
    for (auto &e : mon.events)
        REQUIRE(e.event == ZMQ_EVENT_CONNECT_RETRIED || e.event == ZMQ_EVENT_CONNECTED,
                "event 0x%x outside the mask", e.event);
    zmq::socket_t late(ctx, zmq::socket_type::pull);
    late.set(zmq::sockopt::linger, 0);
    late.bind(ep);
    REQUIRE(mon.wait_for(ZMQ_EVENT_CONNECTED), "no CONNECTED once the listener appeared (saw %s)",
            mon.names().c_str());
    mon.abort();
    return true;
}

static bool handshake_failed()
{
    // A CURVE client talking to a NULL server: HANDSHAKE_FAILED_PROTOCOL
    // with ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH on both sides
    zmq::context_t ctx;
    zmq::socket_t server(ctx, zmq::socket_type::pull);
    zmq::socket_t client(ctx, zmq::socket_type::push);
    server.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::linger, 0);
    char pub[41], sec[41], spub[41], ssec[41];
    zmq_curve_keypair(pub, sec);
    zmq_curve_keypair(spub, ssec);
    client.set(zmq::sockopt::curve_publickey, pub);
    client.set(zmq::sockopt::curve_secretkey, sec);
    client.set(zmq::sockopt::curve_serverkey, spub);
    recording_monitor smon, cmon;
    smon.init(server, fz::inproc("hs-s"), ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    cmon.init(client, fz::inproc("hs-c"), ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    server.bind("tcp://127.0.0.1:*");
    client.connect(server.get(zmq::sockopt::last_endpoint));
    REQUIRE(smon.wait_for(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), "server: %s", smon.names().c_str());
    REQUIRE(cmon.wait_for(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL), "client: %s", cmon.names().c_str());
    REQUIRE(smon.find(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)->value
                == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
            "server value 0x%x", smon.find(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)->value);
    REQUIRE(cmon.find(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)->value
                == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH,
            "client value 0x%x", cmon.find(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)->value);
    REQUIRE(!smon.find(ZMQ_EVENT_HANDSHAKE_SUCCEEDED) && !cmon.find(ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
            "a mismatched handshake succeeded");
    smon.abort();
    cmon.abort();
    return true;
}

int main()
{
    fz::begin("cppzmq.monitor");
    fz::run("cppzmq.monitor.server-and-client-events", server_and_client_events);
    fz::run("cppzmq.monitor.connect-retried", connect_delayed_and_retried);
    fz::run("cppzmq.monitor.handshake-failed-protocol", handshake_failed);
    return fz::end("cppzmq.monitor");
}
