-- test_patterns.lua: messaging patterns over inproc, tcp and ipc.
local H = require("harness")
local zmq = H.zmq
local eq, ok, must, fails, same = H.eq, H.ok, H.must, H.fails, H.same_list

-- One request/reply round trip, twice (REQ must alternate send/recv).
local function req_rep(t, bind_ep)
    local rep = t:socket(zmq.REP)
    must(rep:bind(bind_ep))
    local ep = must(rep:getsockopt(zmq.LAST_ENDPOINT))
    local req = t:socket(zmq.REQ)
    must(req:connect(ep))
    for i = 1, 2 do
        must(req:send("hello " .. i))
        eq(t:recv(rep), "hello " .. i, "request " .. i)
        must(rep:send("world " .. i))
        eq(t:recv(req), "world " .. i, "reply " .. i)
    end
end

H.test("req_rep_inproc", function(t) req_rep(t, t:inproc()) end)
H.test("req_rep_tcp", function(t) req_rep(t, "tcp://127.0.0.1:*") end)
H.test("req_rep_ipc", function(t) req_rep(t, t:ipc()) end)

H.test("req_rep_large_message", function(t)
    local rep = t:socket(zmq.REP)
    local req = t:socket(zmq.REQ)
    must(req:connect(t:bind_tcp(rep)))
    -- 1 MiB with every byte value, so truncation or corruption shows
    local chunk = {}
    for i = 0, 255 do chunk[#chunk + 1] = string.char(i) end
    local big = string.rep(table.concat(chunk), 4096)
    eq(#big, 1048576, "payload size")
    must(req:send(big))
    local got = t:recv(rep)
    eq(#got, #big, "received size")
    ok(got == big, "received bytes equal sent bytes")
    must(rep:send(""))
    eq(t:recv(req), "", "empty reply")
end)

H.test("pub_sub_prefix_filter", function(t)
    local pub = t:socket(zmq.PUB)
    local ep = t:bind_tcp(pub)
    local sub = t:socket(zmq.SUB)
    must(sub:setsockopt(zmq.SUBSCRIBE, "sync"))
    must(sub:setsockopt(zmq.SUBSCRIBE, "a."))
    must(sub:connect(ep))
    t:sync_pubsub(pub, sub, "sync")
    for _, m in ipairs({ "a.1", "b.1", "a.2", "a", "ab.3", "A.4", "a.end" }) do must(pub:send(m)) end
    local got = {}
    repeat got[#got + 1] = t:recv(sub) until got[#got] == "a.end"
    same(got, { "a.1", "a.2", "a.end" }, "messages matching prefix a.")
end)

H.test("pub_sub_all_and_multipart", function(t)
    local ep = t:inproc()
    local pub = t:socket(zmq.PUB, { bind = ep })
    local all = t:socket(zmq.SUB, { subscribe = "", connect = ep })
    local none = t:socket(zmq.SUB, { connect = ep })   -- no subscription at all
    t:sync_pubsub(pub, all, "sync")
    -- the topic filter applies to the first frame only
    must(pub:send_multipart({ "topic", "x", "" }))
    must(pub:send("last"))
    same(t:recv_multipart(all), { "topic", "x", "" }, "multipart publication")
    eq(t:recv(all), "last", "single-part publication")
    t:silent(none, 100, "unsubscribed SUB")
end)

H.test("xpub_xsub_subscriptions", function(t)
    local ep = t:inproc()
    local xpub = t:socket(zmq.XPUB, { bind = ep })
    local sub = t:socket(zmq.SUB, { connect = ep })
    -- subscriptions reach XPUB as messages: \1 + topic, \0 + topic to drop
    must(sub:setsockopt(zmq.SUBSCRIBE, "x"))
    eq(t:recv(xpub), "\1x", "subscription message")
    must(xpub:send("x1"))
    must(xpub:send("y1"))
    must(xpub:send("x2"))
    eq(t:recv(sub), "x1", "first matching")
    eq(t:recv(sub), "x2", "second matching")
    must(sub:setsockopt(zmq.UNSUBSCRIBE, "x"))
    eq(t:recv(xpub), "\0x", "unsubscription message")
    must(xpub:send("x3"))     -- XPUB has processed the unsubscribe: dropped
    t:silent(sub, 100, "SUB after unsubscribe")
    -- XSUB subscribes by sending the same kind of message
    local xsub = t:socket(zmq.XSUB, { connect = ep })
    must(xsub:send("\1y"))
    eq(t:recv(xpub), "\1y", "subscription from XSUB")
    must(xpub:send("y2"))
    eq(t:recv(xsub), "y2", "XSUB receives its topic")
end)

H.test("push_pull_ordered", function(t)
    local pull = t:socket(zmq.PULL)
    local push = t:socket(zmq.PUSH)
    local ep = t:ipc()
    must(pull:bind(ep))
    must(push:connect(ep))
    for i = 1, 200 do must(push:send("m" .. i)) end
    for i = 1, 200 do eq(t:recv(pull), "m" .. i, "message " .. i) end
end)

H.test("push_pull_fan_in", function(t)
    local pull = t:socket(zmq.PULL)
    local ep = t:bind_tcp(pull)
    local a = t:socket(zmq.PUSH, { connect = ep })
    local b = t:socket(zmq.PUSH, { connect = ep })
    for i = 1, 10 do must(a:send("a" .. i)); must(b:send("b" .. i)) end
    -- each sender's messages arrive in order; all 20 arrive
    local na, nb = 0, 0
    for _ = 1, 20 do
        local m = t:recv(pull)
        local who, n = m:sub(1, 1), tonumber(m:sub(2))
        if who == "a" then na = na + 1; eq(n, na, "order from a") else nb = nb + 1; eq(n, nb, "order from b") end
    end
    eq(na, 10, "from a")
    eq(nb, 10, "from b")
end)

H.test("push_round_robin", function(t)
    -- inproc connects attach their pipes before the first send, so the
    -- load balancer alternates strictly between the two pullers.
    local ep = t:inproc()
    local push = t:socket(zmq.PUSH, { bind = ep })
    local p1 = t:socket(zmq.PULL, { connect = ep })
    local p2 = t:socket(zmq.PULL, { connect = ep })
    for i = 1, 10 do must(push:send(tostring(i))) end
    local got1, got2 = {}, {}
    for _ = 1, 5 do got1[#got1 + 1] = t:recv(p1); got2[#got2 + 1] = t:recv(p2) end
    t:silent(p1, 50, "first puller")
    t:silent(p2, 50, "second puller")
    local odd, even = { "1", "3", "5", "7", "9" }, { "2", "4", "6", "8", "10" }
    if got1[1] == "1" then same(got1, odd, "puller 1"); same(got2, even, "puller 2")
    else same(got1, even, "puller 1"); same(got2, odd, "puller 2") end
end)

H.test("router_dealer_routing_ids", function(t)
    local router = t:socket(zmq.ROUTER)
    local ep = t:bind_tcp(router)
    local d1 = t:socket(zmq.DEALER, { routing_id = "D1\0x", connect = ep })
    local d2 = t:socket(zmq.DEALER, { routing_id = "D2", connect = ep })
    must(d1:send_multipart({ "hello", "", "world" }))
    same(t:recv_multipart(router), { "D1\0x", "hello", "", "world" }, "from D1")
    must(d2:send("hi"))
    same(t:recv_multipart(router), { "D2", "hi" }, "from D2")
    -- replies go only to the addressed peer
    must(router:send_multipart({ "D2", "r2" }))
    must(router:send_multipart({ "D1\0x", "r1", "r1b" }))
    same(t:recv_multipart(d1), { "r1", "r1b" }, "reply to D1")
    same(t:recv_multipart(d2), { "r2" }, "reply to D2")
    t:silent(d2, 50, "D2 after its reply")
end)

H.test("router_generated_routing_id", function(t)
    -- A peer without ZMQ_ROUTING_ID gets a 5-byte id starting with a zero byte.
    local ep = t:inproc()
    local router = t:socket(zmq.ROUTER, { bind = ep })
    local dealer = t:socket(zmq.DEALER, { connect = ep })
    must(dealer:send("x"))
    local parts = t:recv_multipart(router)
    eq(#parts, 2, "frames")
    eq(#parts[1], 5, "generated routing id length")
    eq(parts[1]:byte(1), 0, "first byte of generated routing id")
    must(router:send_multipart({ parts[1], "back" }))
    eq(t:recv(dealer), "back", "reply by generated id")
end)

H.test("router_mandatory_ehostunreach", function(t)
    local router = t:socket(zmq.ROUTER, { bind = t:inproc() })
    -- without ROUTER_MANDATORY an unknown id is silently dropped
    must(router:send_multipart({ "nobody", "x" }))
    must(router:setsockopt(zmq.ROUTER_MANDATORY, 1))
    fails("EHOSTUNREACH", router:send_multipart({ "nobody", "x" }))
end)

H.test("req_dealer_envelope", function(t)
    -- REQ puts an empty delimiter frame before the body; ROUTER shows it.
    local ep = t:inproc()
    local router = t:socket(zmq.ROUTER, { bind = ep })
    local req = t:socket(zmq.REQ, { routing_id = "R", connect = ep })
    must(req:send("body"))
    same(t:recv_multipart(router), { "R", "", "body" }, "request envelope")
    must(router:send_multipart({ "R", "", "answer" }))
    eq(t:recv(req), "answer", "REQ strips the envelope")
end)

H.test("pair_inproc", function(t)
    local ep = t:inproc()
    local a = t:socket(zmq.PAIR, { bind = ep })
    local b = t:socket(zmq.PAIR, { connect = ep })
    must(a:send_multipart({ "1", "2" }))
    must(b:send("3"))
    same(t:recv_multipart(b), { "1", "2" }, "a -> b")
    eq(t:recv(a), "3", "b -> a")
end)

H.test("stream_raw_tcp", function(t)
    -- STREAM sockets speak raw TCP: a connection shows up as an empty
    -- message from the peer's id, then data arrives as [id, bytes].
    local server = t:socket(zmq.STREAM)
    local ep = t:bind_tcp(server)
    local client = t:socket(zmq.STREAM, { connect = ep })
    local s_hello = t:recv_multipart(server)
    eq(#s_hello, 2, "server connect notification frames")
    eq(s_hello[2], "", "server connect notification is empty")
    local c_hello = t:recv_multipart(client)
    eq(c_hello[2], "", "client connect notification is empty")
    must(client:send_multipart({ c_hello[1], "GET / HTTP/1.0\r\n\r\n" }))
    local got = t:recv_multipart(server)
    eq(got[1], s_hello[1], "data comes from the same peer id")
    eq(got[2], "GET / HTTP/1.0\r\n\r\n", "raw bytes")
end)

H.test("unbind_and_rebind", function(t)
    local ep = t:inproc()
    local a = t:socket(zmq.PULL)
    must(a:bind(ep))
    must(a:unbind(ep))
    fails("ENOENT", a:unbind(ep))
    local b = t:socket(zmq.PULL)
    must(b:bind(ep))            -- the name is free again
    -- tcp: a wildcard bind is unbound by its resolved endpoint only
    local tcp = t:bind_tcp(a)
    fails("ENOENT", a:unbind("tcp://127.0.0.1:*"))
    must(a:unbind(tcp))
    fails("ENOENT", a:unbind(tcp))
end)

H.test("disconnect_stops_delivery", function(t)
    local ep = t:inproc()
    local pull = t:socket(zmq.PULL, { bind = ep })
    local push = t:socket(zmq.PUSH, { connect = ep })
    must(push:send("before"))
    eq(t:recv(pull), "before", "message before disconnect")
    must(push:disconnect(ep))
    fails("ENOENT", push:disconnect(ep))
    fails("EAGAIN", push:send("after", zmq.DONTWAIT))   -- no peer left
    t:silent(pull, 50, "PULL after disconnect")
end)

H.test("proxy_null_sockets", function()
    -- libzmq checks its arguments before doing anything
    local r, err, en = zmq.proxy(nil, nil)
    eq(r, nil, "proxy(NULL, NULL) result")
    ok(en == zmq.EFAULT or en == zmq.ENOTSOCK, "EFAULT or ENOTSOCK, got " .. tostring(err))
end)

H.test("proxy_steerable_terminate", function(t)
    -- A TERMINATE queued on the control socket before the proxy starts
    -- makes it return at once, successfully.
    local front = t:socket(zmq.ROUTER, { bind = t:inproc("front") })
    local back = t:socket(zmq.DEALER, { bind = t:inproc("back") })
    local cep = t:inproc("control")
    local control = t:socket(zmq.PAIR, { bind = cep })
    local steer = t:socket(zmq.PAIR, { connect = cep })
    must(steer:send("TERMINATE"))
    must(control:poll(H.TIMEOUT, zmq.POLLIN))
    local t0 = H.now_ms()
    must(zmq.proxy_steerable(front, back, nil, control))
    ok(H.now_ms() - t0 < H.TIMEOUT, "proxy returned promptly")
end)

H.run()
