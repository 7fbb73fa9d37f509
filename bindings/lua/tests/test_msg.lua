-- test_msg.lua: the zmq_msg_t API.
local H = require("harness")
local zmq = H.zmq
local ffi = require("ffi")
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

H.test("msg_init_empty", function()
    local m = must(zmq.msg_init())
    eq(m:size(), 0, "size")
    eq(m:data(), "", "data")
    eq(m:more(), false, "more")
    eq(must(m:get(zmq.MORE)), 0, "get(MORE)")
    must(m:close())
end)

H.test("msg_init_size", function()
    local m = must(zmq.msg_init_size(5))
    eq(m:size(), 5, "size")
    ffi.copy(m:ptr(), "abcde", 5)       -- fill the buffer zmq allocated
    eq(m:data(), "abcde", "data written through ptr()")
    local f = must(zmq.msg_init_size(3, "xyz-ignored"))
    eq(f:data(), "xyz", "init_size with fill")
    must(m:close())
    must(f:close())
end)

H.test("msg_init_data_copies", function()
    local s = "hello\0world"
    local m = must(zmq.msg_init_data(s))
    eq(m:size(), 11, "size with embedded NUL")
    eq(m:data(), s, "data")
    eq(tostring(m), s, "tostring")
    -- the message owns a copy: its buffer is not the Lua string's
    ok(ffi.cast("const char *", m:ptr()) ~= ffi.cast("const char *", s), "data was copied")
    must(m:close())
    local e = must(zmq.msg_init_data(""))
    eq(e:size(), 0, "empty init_data")
    must(e:close())
end)

H.test("msg_send_recv_roundtrip", function(t)
    local ep = t:inproc()
    local a = t:socket(zmq.PAIR, { bind = ep })
    local b = t:socket(zmq.PAIR, { connect = ep })
    local m1 = must(zmq.msg_init_data("part one"))
    local m2 = must(zmq.msg_init_size(8, "part two"))
    eq(must(m1:send(a, zmq.SNDMORE)), 8, "bytes sent")
    eq(m1:size(), 0, "a sent message is emptied")
    eq(must(a:send_msg(m2)), 8, "bytes sent (send_msg)")
    local r = must(zmq.msg_init())
    must(b:poll(H.TIMEOUT, zmq.POLLIN))
    eq(must(r:recv(b, zmq.DONTWAIT)), 8, "bytes received")
    eq(r:data(), "part one", "first part")
    eq(r:more(), true, "more after first part")
    eq(must(r:get(zmq.MORE)), 1, "get(MORE) after first part")
    eq(must(b:recv_msg(r)), 8, "bytes received (recv_msg)")
    eq(r:data(), "part two", "second part")
    eq(r:more(), false, "more after last part")
    fails("EAGAIN", r:recv(b, zmq.DONTWAIT))
    -- (what a failed recv leaves in the message differs: known_differences.lua)
    must(r:close())
end)

H.test("msg_move", function()
    local src = must(zmq.msg_init_data("moved content"))
    local dst = must(zmq.msg_init_data("old"))
    must(dst:move(src))
    eq(dst:data(), "moved content", "destination")
    eq(src:size(), 0, "source is empty after move")
    must(src:close())
    must(dst:close())
end)

H.test("msg_copy_shares", function()
    -- a large message (beyond libzmq's 33-byte in-place limit) is shared
    -- by copy, not duplicated
    local big = string.rep("0123456789", 10)
    local src = must(zmq.msg_init_data(big))
    eq(must(src:get(zmq.SHARED)), 0, "not shared before copy")
    local dst = must(zmq.msg_init())
    must(dst:copy(src))
    eq(dst:data(), big, "copy has the content")
    eq(src:data(), big, "source keeps the content")
    eq(must(src:get(zmq.SHARED)), 1, "source shared after copy")
    eq(must(dst:get(zmq.SHARED)), 1, "copy shared")
    ok(dst:ptr() == src:ptr(), "copy points at the same bytes")
    must(src:close())
    eq(dst:data(), big, "copy survives closing the source")
    must(dst:close())
end)

H.test("msg_get_set_invalid", function()
    local m = must(zmq.msg_init_data("x"))
    fails("EINVAL", m:set(zmq.MORE, 1))     -- no writable property in 4.3
    fails("EINVAL", m:get(12345))
    fails("EINVAL", m:gets("Socket-Type"))  -- never crossed a connection
    must(m:close())
end)

H.test("msg_close_twice_efault", function()
    local m = must(zmq.msg_init_data("x"))
    must(m:close())
    fails("EFAULT", m:close())
    -- a zeroed zmq_msg_t was never initialised
    local raw = ffi.new("zmq_msg_t")
    eq(zmq.lib.zmq_msg_close(raw), -1, "close of a zeroed msg")
    eq(ffi.errno(), zmq.EFAULT, "errno")
end)

H.test("msg_gets_metadata_tcp", function(t)
    local router = t:socket(zmq.ROUTER)
    local ep = t:bind_tcp(router)
    local dealer = t:socket(zmq.DEALER, { routing_id = "meta", connect = ep })
    must(dealer:send("with metadata"))
    must(router:poll(H.TIMEOUT, zmq.POLLIN))
    local id = must(zmq.msg_init())
    must(id:recv(router, zmq.DONTWAIT))
    eq(id:data(), "meta", "routing id frame")
    local body = must(zmq.msg_init())
    must(body:recv(router, zmq.DONTWAIT))
    eq(body:data(), "with metadata", "body")
    -- properties from the peer's ZMTP handshake and the connection
    eq(must(body:gets("Socket-Type")), "DEALER", "Socket-Type")
    eq(must(body:gets("Identity")), "meta", "Identity")
    eq(must(body:gets("Peer-Address")), "127.0.0.1", "Peer-Address")
    fails("EINVAL", body:gets("socket-type"))   -- libzmq matches names exactly
    fails("EINVAL", body:gets("No-Such-Property"))
    -- the reply direction carries the ROUTER's type
    must(router:send_multipart({ "meta", "back" }))
    must(dealer:poll(H.TIMEOUT, zmq.POLLIN))
    local r = must(zmq.msg_init())
    must(r:recv(dealer, zmq.DONTWAIT))
    eq(must(r:gets("Socket-Type")), "ROUTER", "Socket-Type at the dealer")
end)

H.test("msg_gets_metadata_ipc_req", function(t)
    local rep = t:socket(zmq.REP)
    local ep = t:ipc()
    must(rep:bind(ep))
    local req = t:socket(zmq.REQ, { connect = ep })
    must(req:send("q"))
    must(rep:poll(H.TIMEOUT, zmq.POLLIN))
    local m = must(zmq.msg_init())
    must(m:recv(rep, zmq.DONTWAIT))
    eq(m:data(), "q", "request")
    eq(must(m:gets("Socket-Type")), "REQ", "Socket-Type over ipc")
end)

H.test("msg_many_zero_copy_sends", function(t)
    -- init_data buffers are freed by libc free() when zmq is done with
    -- them, possibly on an I/O thread; many of them over tcp must all
    -- arrive intact.
    local pull = t:socket(zmq.PULL)
    local ep = t:bind_tcp(pull)
    local push = t:socket(zmq.PUSH, { connect = ep })
    local n = 300
    for i = 1, n do
        local m = must(zmq.msg_init_data(string.rep(string.char(i % 256), 100 + i)))
        must(m:send(push))
        must(m:close())
    end
    for i = 1, n do
        local got = t:recv(pull)
        eq(#got, 100 + i, "size of message " .. i)
        ok(got == string.rep(string.char(i % 256), 100 + i), "content of message " .. i)
    end
    collectgarbage()
end)

H.run()
