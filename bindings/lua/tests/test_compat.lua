-- test_compat.lua: libzmq 4.3 details this suite first found ferrozmq
-- missing (they lived in known_differences.lua until ferrozmq matched them):
-- CONNECT_ROUTING_ID over inproc, the empty message a failed zmq_msg_recv
-- leaves, the random part of reconnect intervals, connect to port 0.
local H = require("harness")
local zmq = H.zmq
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

H.test("inproc_connect_routing_id", function(t)
    -- ROUTER -> ROUTER over inproc: ZMQ_CONNECT_ROUTING_ID names the peer.
    -- libzmq: the peer is routable as "peer" right after zmq_connect (and
    -- not under the binder's own ZMQ_ROUTING_ID).
    local ep = t:inproc()
    local server = t:socket(zmq.ROUTER, { routing_id = "srv", bind = ep })
    local client = t:socket(zmq.ROUTER, { router_mandatory = 1, connect_routing_id = "peer" })
    must(client:connect(ep))
    must(client:send_multipart({ "peer", "hi" }))
    local parts = t:recv_multipart(server)
    eq(parts[2], "hi", "payload at the server")
    fails("EHOSTUNREACH", client:send_multipart({ "srv", "x" }))
end)

H.test("failed_msg_recv_empties_message", function(t)
    -- libzmq's zmq_msg_recv closes the old content first and, when nothing
    -- is there (EAGAIN), leaves a 0-byte message.
    local ep = t:inproc()
    local a = t:socket(zmq.PAIR, { bind = ep })
    local b = t:socket(zmq.PAIR, { connect = ep })
    must(a:send("previous"))
    local m = must(zmq.msg_init())
    must(b:poll(H.TIMEOUT, zmq.POLLIN))
    must(m:recv(b, zmq.DONTWAIT))
    eq(m:data(), "previous", "first receive")
    fails("EAGAIN", m:recv(b, zmq.DONTWAIT))
    eq(m:size(), 0, "message size after a receive that failed with EAGAIN")
    must(m:close())
end)

H.test("reconnect_interval_jitter", function(t)
    -- libzmq 4.3.4 and 4.3.5 (with RECONNECT_IVL_MAX 0) wait RECONNECT_IVL
    -- plus a random 0..RECONNECT_IVL-1 ms before each retry and report that
    -- interval in CONNECT_RETRIED, so clients that lost one server do not
    -- come back in lock-step.
    local client = t:socket(zmq.DEALER, { reconnect_ivl = 50 })
    local mon = must(zmq.socket_monitor(client, zmq.EVENT_CONNECT_RETRIED))
    must(client:connect(H.unused_tcp_endpoint()))
    local values, distinct = {}, {}
    for i = 1, 6 do
        local ev = must(mon:recv_event(H.TIMEOUT))
        values[i] = ev.value
        distinct[ev.value] = true
        ok(ev.value >= 50 and ev.value < 100, "interval in [50, 100): " .. ev.value)
    end
    local n = 0
    for _ in pairs(distinct) do n = n + 1 end
    ok(n > 1, "retry intervals vary (saw " .. table.concat(values, ", ") .. ")")
end)

H.test("connect_tcp_port_zero", function(t)
    -- libzmq accepts a connect to port 0 (it just never connects).
    local s = t:socket(zmq.PUSH)
    must(s:connect("tcp://127.0.0.1:0"))
    eq(must(s:getsockopt(zmq.LAST_ENDPOINT)), "tcp://127.0.0.1:0", "LAST_ENDPOINT")
end)

H.run()
