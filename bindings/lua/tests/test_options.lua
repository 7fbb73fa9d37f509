-- test_options.lua: socket options of every C type, read back.
local H = require("harness")
local zmq = H.zmq
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

-- libzmq 4.3's defaults for a fresh socket (int, int64, string and curve
-- options alike). Collect every mismatch so one run shows them all.
local common_defaults = {
    { "AFFINITY", 0 }, { "ROUTING_ID", "" }, { "RATE", 100 },
    { "RECOVERY_IVL", 10000 }, { "SNDBUF", -1 }, { "RCVBUF", -1 },
    { "RCVMORE", 0 }, { "RECONNECT_IVL", 100 }, { "BACKLOG", 100 },
    { "RECONNECT_IVL_MAX", 0 }, { "MAXMSGSIZE", -1 }, { "SNDHWM", 1000 },
    { "RCVHWM", 1000 }, { "MULTICAST_HOPS", 1 }, { "RCVTIMEO", -1 },
    { "SNDTIMEO", -1 }, { "IPV4ONLY", 1 }, { "LAST_ENDPOINT", "" },
    { "TCP_KEEPALIVE", -1 }, { "TCP_KEEPALIVE_CNT", -1 },
    { "TCP_KEEPALIVE_IDLE", -1 }, { "TCP_KEEPALIVE_INTVL", -1 },
    { "IMMEDIATE", 0 }, { "IPV6", 0 }, { "MECHANISM", zmq.NULL },
    { "PLAIN_SERVER", 0 }, { "PLAIN_USERNAME", "" }, { "PLAIN_PASSWORD", "" },
    { "CURVE_SERVER", 0 }, { "CURVE_PUBLICKEY", string.rep("0", 40) },
    { "CURVE_SECRETKEY", string.rep("0", 40) }, { "CURVE_SERVERKEY", string.rep("0", 40) },
    { "CONFLATE", 0 }, { "ZAP_DOMAIN", "" }, { "TOS", 0 },
    { "HANDSHAKE_IVL", 30000 }, { "SOCKS_PROXY", "" }, { "INVERT_MATCHING", 0 },
    { "HEARTBEAT_IVL", 0 }, { "HEARTBEAT_TTL", 0 }, { "HEARTBEAT_TIMEOUT", -1 },
    { "CONNECT_TIMEOUT", 0 }, { "TCP_MAXRT", 0 }, { "THREAD_SAFE", 0 },
    { "MULTICAST_MAXTPDU", 1500 }, { "USE_FD", -1 }, { "BINDTODEVICE", "" },
}

local function check_defaults(t, stype, extra)
    local s = t.ctx:socket(stype)   -- no options: the library's own defaults
    local bad = {}
    local function check(name, want)
        local got, err = s:getsockopt(zmq[name])
        if got ~= want then
            bad[#bad + 1] = string.format("%s=%s (want %s)", name,
                got ~= nil and H.show(got) or tostring(err), H.show(want))
        end
    end
    for _, d in ipairs(common_defaults) do check(d[1], d[2]) end
    for name, want in pairs(extra) do check(name, want) end
    must(s:close())
    if #bad > 0 then error(zmq.socket_type_names[stype] .. ": " .. table.concat(bad, ", "), 2) end
end

H.test("defaults_push", function(t)
    check_defaults(t, zmq.PUSH, { TYPE = zmq.PUSH, LINGER = -1, EVENTS = 0 })
end)
H.test("defaults_sub", function(t)
    -- SUB sockets default to linger 0 in libzmq 4.3
    check_defaults(t, zmq.SUB, { TYPE = zmq.SUB, LINGER = 0, EVENTS = 0 })
end)
H.test("defaults_router", function(t)
    -- ROUTER can always send (unroutable messages are dropped)
    check_defaults(t, zmq.ROUTER, { TYPE = zmq.ROUTER, LINGER = -1, EVENTS = zmq.POLLOUT })
end)

H.test("write_only_and_foreign_options", function(t)
    local sub = t:socket(zmq.SUB)
    fails("EINVAL", sub:getsockopt(zmq.SUBSCRIBE))      -- write-only
    local push = t:socket(zmq.PUSH)
    fails("EINVAL", push:getsockopt(zmq.ROUTER_MANDATORY))   -- ROUTER only
    fails("EINVAL", push:setsockopt(zmq.ROUTER_MANDATORY, 1))
    fails("EINVAL", push:setsockopt(zmq.XPUB_VERBOSE, 1))
    fails("EINVAL", push:setsockopt(zmq.REQ_RELAXED, 1))
end)

H.test("int_options_roundtrip", function(t)
    local s = t.ctx:socket(zmq.DEALER)
    local values = {
        SNDHWM = 123, RCVHWM = 456, LINGER = 250, RCVTIMEO = 1500, SNDTIMEO = 0,
        RECONNECT_IVL = 250, RECONNECT_IVL_MAX = 5000, BACKLOG = 7, IMMEDIATE = 1,
        TCP_KEEPALIVE = 1, TCP_KEEPALIVE_IDLE = 30, HANDSHAKE_IVL = 1234,
        HEARTBEAT_IVL = 500, HEARTBEAT_TTL = 3000, HEARTBEAT_TIMEOUT = 1500,
        CONNECT_TIMEOUT = 800, TOS = 8, CONFLATE = 1, RATE = 200, MULTICAST_HOPS = 3,
        SNDBUF = 65536, RCVBUF = 131072, INVERT_MATCHING = 0,
    }
    for name, v in pairs(values) do
        must(s:setsockopt(zmq[name], v))
        eq(must(s:getsockopt(zmq[name])), v, name)
    end
    -- booleans become 1/0
    must(s:setsockopt(zmq.IPV6, true))
    eq(must(s:getsockopt(zmq.IPV6)), 1, "IPV6 after true")
    eq(must(s:getsockopt(zmq.IPV4ONLY)), 0, "IPV4ONLY mirrors IPV6")
    must(s:setsockopt(zmq.IPV6, false))
    eq(must(s:getsockopt(zmq.IPV6)), 0, "IPV6 after false")
    -- names work as well as ids
    must(s:setsockopt("sndhwm", 77))
    eq(must(s:getsockopt("SNDHWM")), 77, "SNDHWM by name")
    must(s:close())
end)

H.test("int64_options_roundtrip", function(t)
    local s = t:socket(zmq.DEALER)
    -- beyond 32 bits, so a truncated int64 path would show
    local big = 2 ^ 40 + 5
    must(s:setsockopt(zmq.MAXMSGSIZE, big))
    eq(must(s:getsockopt(zmq.MAXMSGSIZE)), big, "MAXMSGSIZE (int64)")
    must(s:setsockopt(zmq.MAXMSGSIZE, -1))
    eq(must(s:getsockopt(zmq.MAXMSGSIZE)), -1, "MAXMSGSIZE back to unlimited")
    must(s:setsockopt(zmq.AFFINITY, 2 ^ 33 + 3))
    eq(must(s:getsockopt(zmq.AFFINITY)), 2 ^ 33 + 3, "AFFINITY (uint64)")
end)

H.test("routing_id_binary", function(t)
    local s = t:socket(zmq.DEALER)
    local id = "\0id\255\1x"   -- embedded NUL and high bytes
    must(s:setsockopt(zmq.ROUTING_ID, id))
    eq(must(s:getsockopt(zmq.ROUTING_ID)), id, "ROUTING_ID")
    eq(must(s:getsockopt(zmq.IDENTITY)), id, "IDENTITY alias")
    local long = string.rep("r", 255)
    must(s:setsockopt(zmq.ROUTING_ID, long))
    eq(must(s:getsockopt(zmq.ROUTING_ID)), long, "255-byte ROUTING_ID")
    fails("EINVAL", s:setsockopt(zmq.ROUTING_ID, ""))
end)

H.test("connect_routing_id_tcp", function(t)
    -- ROUTER-to-ROUTER: the connecting side names the peer it connects to,
    -- and may send to that name right after zmq_connect (the pipe exists
    -- from then on). Over inproc ferrozmq differs: see known_differences.lua.
    local server = t:socket(zmq.ROUTER, { routing_id = "srv" })
    local ep = t:bind_tcp(server)
    local client = t:socket(zmq.ROUTER)
    must(client:setsockopt(zmq.CONNECT_ROUTING_ID, "to-srv"))
    must(client:connect(ep))
    must(client:setsockopt(zmq.ROUTER_MANDATORY, 1))
    must(client:send_multipart({ "to-srv", "hi" }))
    local parts = t:recv_multipart(server)
    eq(#parts, 2, "frames at server")
    eq(parts[2], "hi", "payload")
end)

H.test("string_options", function(t)
    local s = t:socket(zmq.DEALER)
    must(s:setsockopt(zmq.ZAP_DOMAIN, "global"))
    eq(must(s:getsockopt(zmq.ZAP_DOMAIN)), "global", "ZAP_DOMAIN")
    must(s:setsockopt(zmq.PLAIN_USERNAME, "admin"))
    must(s:setsockopt(zmq.PLAIN_PASSWORD, "secret"))
    eq(must(s:getsockopt(zmq.PLAIN_USERNAME)), "admin", "PLAIN_USERNAME")
    eq(must(s:getsockopt(zmq.PLAIN_PASSWORD)), "secret", "PLAIN_PASSWORD")
    eq(must(s:getsockopt(zmq.MECHANISM)), zmq.PLAIN, "MECHANISM after PLAIN credentials")
    must(s:setsockopt(zmq.SOCKS_PROXY, "127.0.0.1:1080"))
    eq(must(s:getsockopt(zmq.SOCKS_PROXY)), "127.0.0.1:1080", "SOCKS_PROXY")
end)

H.test("last_endpoint", function(t)
    local s = t:socket(zmq.PULL)
    eq(must(s:getsockopt(zmq.LAST_ENDPOINT)), "", "before any bind")
    must(s:bind("tcp://127.0.0.1:*"))
    local tcp = must(s:getsockopt(zmq.LAST_ENDPOINT))
    local port = tonumber(tcp:match("^tcp://127%.0%.0%.1:(%d+)$"))
    ok(port and port > 0 and port < 65536, "resolved tcp endpoint " .. H.show(tcp))
    local name = t:inproc()
    must(s:bind(name))
    eq(must(s:getsockopt(zmq.LAST_ENDPOINT)), name, "inproc endpoint")
    local ipc = t:ipc()
    must(s:bind(ipc))
    eq(must(s:getsockopt(zmq.LAST_ENDPOINT)), ipc, "ipc endpoint")
    local c = t:socket(zmq.PUSH)
    must(c:connect(tcp))
    eq(must(c:getsockopt(zmq.LAST_ENDPOINT)), tcp, "connect endpoint")
end)

H.test("rcvmore_and_events", function(t)
    local ep = t:inproc()
    local pull = t:socket(zmq.PULL, { bind = ep })
    local push = t:socket(zmq.PUSH, { connect = ep })
    eq(must(pull:getsockopt(zmq.EVENTS)), 0, "PULL EVENTS when empty")
    eq(must(push:getsockopt(zmq.EVENTS)), zmq.POLLOUT, "PUSH EVENTS with a peer")
    must(push:send_multipart({ "a", "b" }))
    must(pull:poll(H.TIMEOUT, zmq.POLLIN))
    eq(must(pull:getsockopt(zmq.EVENTS)), zmq.POLLIN, "PULL EVENTS with a message")
    local d, more = must(pull:recv())
    eq(d, "a", "first frame")
    eq(more, true, "more flag")
    eq(must(pull:getsockopt(zmq.RCVMORE)), 1, "RCVMORE in the middle")
    d, more = must(pull:recv())
    eq(more, false, "more flag on the last frame")
    eq(must(pull:getsockopt(zmq.RCVMORE)), 0, "RCVMORE after the last frame")
    eq(must(pull:getsockopt(zmq.EVENTS)), 0, "PULL EVENTS drained")
end)

H.test("curve_key_options", function(t)
    local pub, sec = must(zmq.curve_keypair())
    local s = t:socket(zmq.DEALER)
    must(s:setsockopt(zmq.CURVE_SECRETKEY, sec))           -- Z85, 40 chars
    must(s:setsockopt(zmq.CURVE_PUBLICKEY, zmq.z85_decode(pub)))  -- binary, 32 bytes
    must(s:setsockopt(zmq.CURVE_SERVERKEY, pub))
    eq(must(s:getsockopt(zmq.CURVE_SECRETKEY)), sec, "secret key as Z85")
    eq(must(s:getsockopt(zmq.CURVE_PUBLICKEY)), pub, "public key as Z85")
    eq(must(s:getsockopt(zmq.CURVE_PUBLICKEY, "binary")), zmq.z85_decode(pub), "public key as 32 bytes")
    eq(must(s:getsockopt(zmq.MECHANISM)), zmq.CURVE, "MECHANISM")
    eq(must(s:getsockopt(zmq.CURVE_SERVER)), 0, "client side")
    fails("EINVAL", s:setsockopt(zmq.CURVE_PUBLICKEY, "short"))
    local srv = t:socket(zmq.ROUTER)
    must(srv:setsockopt(zmq.CURVE_SERVER, 1))
    eq(must(srv:getsockopt(zmq.MECHANISM)), zmq.CURVE, "server MECHANISM")
    eq(must(srv:getsockopt(zmq.CURVE_SERVER)), 1, "CURVE_SERVER")
end)

H.test("fd_option", function(t)
    local s = t:socket(zmq.PULL)
    local fd = must(s:getsockopt(zmq.FD))
    ok(fd >= 0, "ZMQ_FD is a descriptor (" .. fd .. ")")
    eq(must(s:getsockopt(zmq.FD)), fd, "ZMQ_FD is stable")
end)

H.run()
