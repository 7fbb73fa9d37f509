-- test_errors.lua: errno after misuse, timeouts, EAGAIN.
local H = require("harness")
local zmq = H.zmq
local ffi = require("ffi")
local lib = zmq.lib
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

-- The errno of a raw C call that must fail with -1 / NULL.
local function raw_errno(rc)
    local e = ffi.errno()
    ok(rc == -1 or rc == nil, "raw call failed (rc " .. tostring(rc) .. ")")
    return e
end

H.test("dontwait_recv_eagain", function(t)
    local pull = t:socket(zmq.PULL, { bind = t:inproc() })
    local r, err, en = pull:recv(zmq.DONTWAIT)
    eq(r, nil, "result")
    eq(en, zmq.EAGAIN, "errno")
    eq(err.name, "EAGAIN", "err.name")
    ok(err:is("EAGAIN"), "err:is")
    eq(tostring(err), "Resource temporarily unavailable (EAGAIN)", "tostring(err)")
    -- zmq_errno() agrees right after the failing call
    lib.zmq_recv(pull:handle(), nil, 0, zmq.DONTWAIT)
    eq(zmq.errno(), zmq.EAGAIN, "zmq_errno()")
end)

H.test("dontwait_send_eagain", function(t)
    local push = t:socket(zmq.PUSH, { bind = t:inproc() })   -- no peer
    fails("EAGAIN", push:send("x", zmq.DONTWAIT))
    fails("EAGAIN", push:send_multipart({ "a", "b" }, zmq.DONTWAIT))
end)

H.test("hwm_full_eagain", function(t)
    -- Over inproc the queue holds the writer's SNDHWM plus the reader's
    -- RCVHWM; past that DONTWAIT sends fail with EAGAIN.
    for _, hwm in ipairs({ 1, 5 }) do
        local ep = t:inproc("hwm" .. hwm)
        local pull = t:socket(zmq.PULL, { rcvhwm = hwm, bind = ep })
        local push = t:socket(zmq.PUSH, { sndhwm = hwm, connect = ep })
        local sent = 0
        while sent < 1000 and push:send("x", zmq.DONTWAIT) do sent = sent + 1 end
        eq(sent, 2 * hwm, "messages queued with both HWMs at " .. hwm)
        fails("EAGAIN", push:send("x", zmq.DONTWAIT))
        eq(must(push:poll(0, zmq.POLLOUT)), 0, "no POLLOUT while full")
        -- draining makes room again
        for _ = 1, sent do t:recv(pull) end
        eq(must(push:poll(H.TIMEOUT, zmq.POLLOUT)), zmq.POLLOUT, "POLLOUT after draining")
        must(push:send("again", zmq.DONTWAIT))
    end
end)

H.test("rcvtimeo_eagain", function(t)
    local pull = t:socket(zmq.PULL, { rcvtimeo = 150, bind = t:inproc() })
    local t0 = H.now_ms()
    fails("EAGAIN", pull:recv())
    local dt = H.now_ms() - t0
    ok(dt >= 120 and dt < 2000, string.format("waited about RCVTIMEO (%.0f ms)", dt))
end)

H.test("sndtimeo_eagain", function(t)
    local push = t:socket(zmq.PUSH, { sndtimeo = 150, bind = t:inproc() })
    local t0 = H.now_ms()
    fails("EAGAIN", push:send("x"))
    local dt = H.now_ms() - t0
    ok(dt >= 120 and dt < 2000, string.format("waited about SNDTIMEO (%.0f ms)", dt))
end)

H.test("efsm_rep_send_first", function(t)
    local rep = t:socket(zmq.REP, { bind = t:inproc() })
    local err = fails("EFSM", rep:send("x"))
    eq(err.msg, "Operation cannot be accomplished in current state", "message")
end)

H.test("efsm_req_sequence", function(t)
    local ep = t:inproc()
    local rep = t:socket(zmq.REP, { bind = ep })
    local req = t:socket(zmq.REQ, { connect = ep })
    fails("EFSM", req:recv(zmq.DONTWAIT))   -- nothing asked yet
    must(req:send("q"))
    fails("EFSM", req:send("q2"))           -- must wait for the reply
    eq(t:recv(rep), "q", "request")
    fails("EFSM", rep:recv(zmq.DONTWAIT))   -- must reply first
    must(rep:send("a"))
    eq(t:recv(req), "a", "reply")
    must(req:send("q3"))                    -- the cycle starts over
end)

H.test("enotsock", function(t)
    eq(raw_errno(lib.zmq_send(nil, "x", 1, 0)), zmq.ENOTSOCK, "zmq_send(NULL)")
    eq(raw_errno(lib.zmq_close(nil)), zmq.ENOTSOCK, "zmq_close(NULL)")
    eq(raw_errno(lib.zmq_bind(nil, "inproc://x")), zmq.ENOTSOCK, "zmq_bind(NULL)")
    local iv = ffi.new("int[1]", 1)
    eq(raw_errno(lib.zmq_setsockopt(nil, zmq.LINGER, iv, 4)), zmq.ENOTSOCK, "zmq_setsockopt(NULL)")
    -- the binding answers the same for a socket it has closed
    local s = t:socket(zmq.PUSH)
    must(s:close())
    fails("ENOTSOCK", s:send("x"))
    fails("ENOTSOCK", s:bind("inproc://y"))
    fails("ENOTSOCK", s:getsockopt(zmq.TYPE))
    must(s:close())   -- closing twice is harmless
end)

H.test("efault_null_context", function()
    eq(raw_errno(lib.zmq_socket(nil, zmq.REQ)), zmq.EFAULT, "zmq_socket(NULL)")
    eq(raw_errno(lib.zmq_ctx_term(nil)), zmq.EFAULT, "zmq_ctx_term(NULL)")
    eq(raw_errno(lib.zmq_ctx_get(nil, zmq.IO_THREADS)), zmq.EFAULT, "zmq_ctx_get(NULL)")
    eq(raw_errno(lib.zmq_ctx_set(nil, zmq.IO_THREADS, 1)), zmq.EFAULT, "zmq_ctx_set(NULL)")
end)

H.test("einval_options", function(t)
    local s = t:socket(zmq.PUSH)
    fails("EINVAL", s:setsockopt(9999, 1))               -- no such option
    fails("EINVAL", s:getsockopt(9999))
    fails("EINVAL", s:setsockopt(zmq.SUBSCRIBE, "x"))    -- not a SUB socket
    fails("EINVAL", s:setsockopt(zmq.SNDHWM, -1))
    fails("EINVAL", s:setsockopt(zmq.ROUTING_ID, string.rep("x", 256)))
    -- wrong sizes, through the raw API
    local iv = ffi.new("int[1]", 5)
    eq(raw_errno(lib.zmq_setsockopt(s:handle(), zmq.SNDHWM, iv, 2)), zmq.EINVAL, "int option with 2 bytes")
    eq(raw_errno(lib.zmq_setsockopt(s:handle(), zmq.MAXMSGSIZE, iv, 4)), zmq.EINVAL, "int64 option with 4 bytes")
    local len = ffi.new("size_t[1]", 2)
    eq(raw_errno(lib.zmq_getsockopt(s:handle(), zmq.SNDHWM, iv, len)), zmq.EINVAL, "int option into 2 bytes")
    must(s:bind("tcp://127.0.0.1:*"))
    local buf = ffi.new("char[4]")
    len[0] = 4
    eq(raw_errno(lib.zmq_getsockopt(s:handle(), zmq.LAST_ENDPOINT, buf, len)), zmq.EINVAL, "endpoint into 4 bytes")
end)

H.test("endpoint_errors", function(t)
    local s = t:socket(zmq.PULL)
    fails("EINVAL", s:bind("no-scheme-here"))
    fails("EPROTONOSUPPORT", s:bind("bogus://x"))
    fails("EPROTONOSUPPORT", s:connect("bogus://x"))
    fails("EINVAL", s:bind("tcp://127.0.0.1"))           -- no port
    fails("EINVAL", s:connect("tcp://127.0.0.1"))
    fails("EINVAL", s:connect("tcp://127.0.0.1:*"))      -- wildcard is for bind
    fails("EINVAL", s:bind("inproc://"))                 -- empty name
    fails("EINVAL", s:connect("inproc://"))
    fails("EINVAL", s:bind("ipc://"))
    fails("ENODEV", s:bind("tcp://256.1.1.1:5555"))      -- not a local address
    fails("ENOENT", s:bind("ipc:///nonexistent-dir/sock"))
    fails("ENOENT", s:unbind("inproc://never-bound"))
    fails("ENOENT", s:disconnect("tcp://127.0.0.1:1"))
    -- UDP is only for RADIO/DISH/DGRAM
    fails("ENOCOMPATPROTO", s:bind("udp://127.0.0.1:5555"))
    fails("ENOCOMPATPROTO", s:connect("udp://127.0.0.1:5555"))
end)

H.test("eaddrinuse", function(t)
    local a = t:socket(zmq.PULL)
    local b = t:socket(zmq.PULL)
    local ep = t:bind_tcp(a)
    fails("EADDRINUSE", b:bind(ep))
    local name = t:inproc()
    must(a:bind(name))
    fails("EADDRINUSE", b:bind(name))
end)

H.test("eterm_after_shutdown", function(t)
    local ep = t:inproc()
    local rep = t:socket(zmq.REP, { bind = ep })
    local req = t:socket(zmq.REQ, { connect = ep })
    must(t.ctx:shutdown())
    fails("ETERM", rep:recv())
    fails("ETERM", req:send("x"))
    fails("ETERM", req:connect(ep))
    eq(raw_errno(lib.zmq_socket(t.ctx._h, zmq.REQ)), zmq.ETERM, "zmq_socket after shutdown")
    -- zmq_poll on a socket of a shut-down context reports ETERM too
    fails("ETERM", zmq.poll({ { socket = rep, events = zmq.POLLIN } }, 100))
end)

H.test("errors_do_not_stick", function(t)
    -- a success after a failure returns plain results, not the old error
    local pull = t:socket(zmq.PULL, { bind = t:inproc() })
    fails("EAGAIN", pull:recv(zmq.DONTWAIT))
    eq(must(pull:getsockopt(zmq.TYPE)), zmq.PULL, "TYPE after a failure")
end)

H.run()
