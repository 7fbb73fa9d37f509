-- test_poll.lua: zmq_poll over sockets and raw file descriptors.
local H = require("harness")
local zmq = H.zmq
local ffi = require("ffi")
local bit = require("bit")
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

ffi.cdef [[
int pipe (int fds[2]);
long write (int fd, const void *buf, size_t n);
long read (int fd, void *buf, size_t n);
int close (int fd);
]]

local function os_pipe(t)
    local fds = ffi.new("int[2]")
    eq(ffi.C.pipe(fds), 0, "pipe()")
    local r, w = fds[0], fds[1]
    -- closed when the test ends, pass or fail
    t.cleanup_fds = { r, w }
    return r, w
end

local function close_fds(t)
    for _, fd in ipairs(t.cleanup_fds or {}) do ffi.C.close(fd) end
end

H.test("poll_timeout", function(t)
    local pull = t:socket(zmq.PULL, { bind = t:inproc() })
    local items = { { socket = pull, events = zmq.POLLIN } }
    local t0 = H.now_ms()
    eq(must(zmq.poll(items, 150)), 0, "ready count")
    local dt = H.now_ms() - t0
    ok(dt >= 130 and dt < 2000, string.format("waited about the timeout (%.0f ms)", dt))
    eq(items[1].revents, 0, "revents")
    -- timeout 0 returns at once
    t0 = H.now_ms()
    eq(must(zmq.poll(items, 0)), 0, "ready count with timeout 0")
    ok(H.now_ms() - t0 < 100, "timeout 0 does not wait")
end)

H.test("poll_readiness", function(t)
    local ep = t:inproc()
    local pull = t:socket(zmq.PULL, { bind = ep })
    local push = t:socket(zmq.PUSH, { connect = ep })
    must(push:send("x"))
    local items = { { socket = pull, events = zmq.POLLIN } }
    local t0 = H.now_ms()
    eq(must(zmq.poll(items, H.TIMEOUT)), 1, "ready count")
    ok(H.now_ms() - t0 < H.TIMEOUT, "returned before the timeout")
    eq(items[1].revents, zmq.POLLIN, "revents")
    eq(t:recv(pull), "x", "message")
    -- positional items work too
    local pos = { { pull, zmq.POLLIN } }
    eq(must(zmq.poll(pos, 0)), 0, "empty again")
end)

H.test("poll_picks_the_ready_socket", function(t)
    local socks, pushes = {}, {}
    for i = 1, 3 do
        local ep = t:inproc("p" .. i)
        socks[i] = t:socket(zmq.PULL, { bind = ep })
        pushes[i] = t:socket(zmq.PUSH, { connect = ep })
    end
    must(pushes[2]:send("two"))
    local items = {}
    for i = 1, 3 do items[i] = { socket = socks[i], events = zmq.POLLIN } end
    eq(must(zmq.poll(items, H.TIMEOUT)), 1, "ready count")
    eq(items[1].revents, 0, "item 1")
    eq(items[2].revents, zmq.POLLIN, "item 2")
    eq(items[3].revents, 0, "item 3")
end)

H.test("poll_pollout", function(t)
    local ep = t:inproc()
    local lonely = t:socket(zmq.PUSH, { bind = t:inproc("nopeer") })
    local push = t:socket(zmq.PUSH, { bind = ep })
    local pull = t:socket(zmq.PULL, { connect = ep })
    local items = {
        { socket = lonely, events = zmq.POLLOUT },
        { socket = push, events = zmq.POLLOUT },
    }
    eq(must(zmq.poll(items, 50)), 1, "ready count")
    eq(items[1].revents, 0, "PUSH without a peer cannot send")
    eq(items[2].revents, zmq.POLLOUT, "PUSH with a peer can send")
    -- REQ: POLLOUT until a request is sent, then POLLIN once answered
    local rr = t:inproc("rr")
    local rep = t:socket(zmq.REP, { bind = rr })
    local req = t:socket(zmq.REQ, { connect = rr })
    eq(must(req:poll(0, zmq.POLLOUT)), zmq.POLLOUT, "REQ before sending")
    must(req:send("q"))
    eq(must(req:poll(50, bit.bor(zmq.POLLOUT, zmq.POLLIN))), 0, "REQ waiting for the reply")
    eq(t:recv(rep), "q", "request")
    must(rep:send("a"))
    eq(must(req:poll(H.TIMEOUT, zmq.POLLIN)), zmq.POLLIN, "REQ with a reply")
    eq(pull:recv(zmq.DONTWAIT), nil, "nothing sent to PULL")
end)

H.test("poll_raw_fd", function(t)
    local r, w = os_pipe(t)
    local ok_, err = pcall(function()
        local pull = t:socket(zmq.PULL, { bind = t:inproc() })
        local items = {
            { fd = r, events = zmq.POLLIN },
            { socket = pull, events = zmq.POLLIN },
        }
        eq(must(zmq.poll(items, 50)), 0, "nothing ready")
        eq(ffi.C.write(w, "!", 1), 1, "write()")
        eq(must(zmq.poll(items, H.TIMEOUT)), 1, "ready count")
        eq(items[1].revents, zmq.POLLIN, "pipe readable")
        eq(items[2].revents, 0, "socket not readable")
        -- a write end is writable
        local wi = { { fd = w, events = zmq.POLLOUT } }
        eq(must(zmq.poll(wi, 0)), 1, "write end ready")
        eq(wi[1].revents, zmq.POLLOUT, "write end POLLOUT")
    end)
    close_fds(t)
    if not ok_ then error(err, 0) end
end)

H.test("zmq_fd_signals_readiness", function(t)
    -- ZMQ_FD becomes readable when the socket's state may have changed; then
    -- ZMQ_EVENTS tells what it can do. The classic way to embed a socket in
    -- an outside event loop.
    local ep = t:inproc()
    local pull = t:socket(zmq.PULL, { bind = ep })
    local push = t:socket(zmq.PUSH, { connect = ep })
    local fd = must(pull:getsockopt(zmq.FD))
    eq(must(pull:getsockopt(zmq.EVENTS)), 0, "EVENTS before a message")  -- also resets the fd
    must(push:send("via fd"))
    local items = { { fd = fd, events = zmq.POLLIN } }
    eq(must(zmq.poll(items, H.TIMEOUT)), 1, "ZMQ_FD readable")
    eq(bit.band(must(pull:getsockopt(zmq.EVENTS)), zmq.POLLIN), zmq.POLLIN, "EVENTS has POLLIN")
    eq(must(pull:recv(zmq.DONTWAIT)), "via fd", "message")
end)

H.test("poll_no_items_waits", function()
    local t0 = H.now_ms()
    eq(must(zmq.poll({}, 60)), 0, "no items")
    ok(H.now_ms() - t0 >= 40, "waited for the timeout")
end)

H.test("poll_closed_socket", function(t)
    local s = t:socket(zmq.PULL)
    must(s:close())
    fails("ENOTSOCK", zmq.poll({ { socket = s, events = zmq.POLLIN } }, 0))
end)

H.run()
