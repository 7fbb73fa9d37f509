-- test_core.lua: the loaded library, version, constants, errors, contexts
-- and socket creation.
local H = require("harness")
local zmq = H.zmq
local ffi = require("ffi")
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

ffi.cdef [[ char *realpath (const char *path, char *resolved); ]]

local function realpath(p)
    local buf = ffi.new("char[4096]")
    local r = ffi.C.realpath(p, buf)
    return r ~= nil and ffi.string(buf) or nil
end

local function read_file(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return s
end

-- Every distinct file mapped into this process whose name contains "libzmq".
local function mapped_libzmq()
    local seen, list = {}, {}
    for line in io.lines("/proc/self/maps") do
        local path = line:match("%s(/%S*libzmq[^/]*)$")
        if path and not seen[path] then seen[path] = true; list[#list + 1] = path end
    end
    return list
end

local function count_threads()
    local n = 0
    local p = io.popen("ls /proc/" .. H.pid .. "/task")
    for _ in p:lines() do n = n + 1 end
    p:close()
    return n
end

H.test("library_is_ZMQ_LIB", function()
    local want = os.getenv("ZMQ_LIB")
    ok(want and want ~= "", "ZMQ_LIB is set (run.sh sets it)")
    local maps = mapped_libzmq()
    eq(#maps, 1, "number of libzmq files mapped (" .. table.concat(maps, " ") .. ")")
    eq(maps[1], realpath(want), "mapped libzmq")
    -- ferrozmq is a Rust cdylib, libzmq is C++: the Rust toolchain leaves
    -- its /rustc/<hash>/ source paths in every build.
    local impl = os.getenv("ZMQ_EXPECT_IMPL")
    if impl == "ferrozmq" or impl == "libzmq" then
        local image = read_file(maps[1])
        local is_rust = image:find("/rustc/", 1, true) ~= nil
        eq(is_rust, impl == "ferrozmq", "library built from Rust (expected " .. impl .. ")")
    end
end)

H.test("version", function()
    local major, minor, patch = zmq.version()
    eq(major, 4, "major")
    eq(minor, 3, "minor")
    ok(type(patch) == "number" and patch >= 0, "patch is a number")
    local want = os.getenv("ZMQ_EXPECT_VERSION")
    if want and want ~= "" then eq(zmq.version_string(), want, "zmq_version") end
end)

H.test("has_capabilities", function()
    eq(zmq.has("ipc"), true, "has ipc")
    eq(zmq.has("curve"), true, "has curve")
    eq(zmq.has("no-such-capability"), false, "has nonsense")
end)

H.test("errno_constants", function()
    -- Values from zmq.h on Linux: native errno where <errno.h> has it,
    -- ZMQ_HAUSNUMERO + n for libzmq's own.
    eq(zmq.HAUSNUMERO, 156384712, "ZMQ_HAUSNUMERO")
    eq(zmq.EFSM, 156384712 + 51, "EFSM")
    eq(zmq.ENOCOMPATPROTO, 156384712 + 52, "ENOCOMPATPROTO")
    eq(zmq.ETERM, 156384712 + 53, "ETERM")
    eq(zmq.EMTHREAD, 156384712 + 54, "EMTHREAD")
    eq(zmq.EAGAIN, 11, "EAGAIN")
    eq(zmq.EINVAL, 22, "EINVAL")
    eq(zmq.ENOTSOCK, 88, "ENOTSOCK")
    eq(zmq.EHOSTUNREACH, 113, "EHOSTUNREACH")
    eq(zmq.ENOTSUP, 95, "ENOTSUP")
    eq(zmq.EADDRINUSE, 98, "EADDRINUSE")
end)

H.test("strerror_texts", function()
    eq(zmq.strerror(zmq.EFSM), "Operation cannot be accomplished in current state", "EFSM")
    eq(zmq.strerror(zmq.ENOCOMPATPROTO), "The protocol is not compatible with the socket type", "ENOCOMPATPROTO")
    eq(zmq.strerror(zmq.ETERM), "Context was terminated", "ETERM")
    eq(zmq.strerror(zmq.EMTHREAD), "No thread available", "EMTHREAD")
    -- libzmq has its own text for this one on every platform
    eq(zmq.strerror(zmq.EHOSTUNREACH), "Host unreachable", "EHOSTUNREACH")
    -- the platform's own numbers come from strerror(3)
    eq(zmq.strerror(zmq.EAGAIN), "Resource temporarily unavailable", "EAGAIN")
    eq(zmq.strerror(zmq.EINVAL), "Invalid argument", "EINVAL")
end)

H.test("error_object", function()
    local e = zmq.error(zmq.EAGAIN)
    eq(e.errno, zmq.EAGAIN, "errno")
    eq(e.name, "EAGAIN", "name")
    eq(e:no(), 11, "no()")
    eq(e:mnemo(), "EAGAIN", "mnemo()")
    ok(e:is("EAGAIN") and e:is(zmq.EAGAIN) and not e:is("ETERM"), "is()")
    eq(tostring(e), "Resource temporarily unavailable (EAGAIN)", "tostring")
    eq("x: " .. e, "x: Resource temporarily unavailable (EAGAIN)", "concat")
end)

H.test("ctx_option_defaults", function(t)
    local c = t.ctx
    eq(must(c:get(zmq.IO_THREADS)), 1, "IO_THREADS")
    eq(must(c:get(zmq.MAX_SOCKETS)), 1023, "MAX_SOCKETS")
    eq(must(c:get(zmq.MSG_T_SIZE)), 64, "MSG_T_SIZE")
    eq(must(c:get(zmq.BLOCKY)), 1, "BLOCKY")
    eq(must(c:get(zmq.IPV6)), 0, "IPV6")
    eq(must(c:get(zmq.MAX_MSGSZ)), 2147483647, "MAX_MSGSZ")
    ok(must(c:get(zmq.SOCKET_LIMIT)) >= 1023, "SOCKET_LIMIT >= MAX_SOCKETS")
end)

H.test("ctx_set_get", function(t)
    local c = t.ctx
    must(c:set(zmq.IO_THREADS, 2))
    eq(must(c:get(zmq.IO_THREADS)), 2, "IO_THREADS after set")
    must(c:set("max_sockets", 17))              -- by name
    eq(must(c:get("MAX_SOCKETS")), 17, "MAX_SOCKETS after set")
    must(c:set(zmq.BLOCKY, false))
    eq(must(c:get(zmq.BLOCKY)), 0, "BLOCKY after set(false)")
    fails("EINVAL", c:set(zmq.IO_THREADS, -1))
    fails("EINVAL", c:set(9999, 1))
    fails("EINVAL", c:get(9999))
    -- zmq.context{...} applies options at creation
    local c2 = must(zmq.context({ io_threads = 3 }))
    eq(must(c2:get(zmq.IO_THREADS)), 3, "IO_THREADS from context{}")
    must(c2:term())
end)

H.test("ctx_max_sockets_emfile", function(t)
    must(t.ctx:set(zmq.MAX_SOCKETS, 3))
    for i = 1, 3 do t:socket(zmq.PAIR) end
    fails("EMFILE", t.ctx:socket(zmq.PAIR))
end)

H.test("ctx_shutdown_eterm", function(t)
    local pull = t:socket(zmq.PULL, { rcvtimeo = -1 })  -- blocking: shutdown must end it
    must(pull:bind(t:inproc()))
    must(t.ctx:shutdown())
    fails("ETERM", pull:recv())
    fails("ETERM", pull:send("x"))
    fails("ETERM", t.ctx:socket(zmq.PUSH))
    must(pull:close())
end)

H.test("ctx_term_explicit", function()
    local c = must(zmq.context())
    local s = must(c:socket(zmq.PUSH))
    must(s:connect("inproc://term-explicit"))
    eq(c:closed(), false, "closed before term")
    must(c:term())            -- closes the socket it still has, then terms
    eq(c:closed(), true, "closed after term")
    eq(s:closed(), true, "socket closed by term")
    must(c:term())            -- idempotent
    fails("ENOTSOCK", s:send("x"))
    fails("ETERM", c:socket(zmq.PUSH))
end)

H.test("ctx_term_waits_for_linger", function()
    -- A message queued for a peer that never comes keeps term waiting for
    -- ZMQ_LINGER, and no longer.
    local ep = H.unused_tcp_endpoint()   -- connects are refused
    local c = must(zmq.context())
    local push = must(c:socket(zmq.PUSH, { linger = 300 }))
    must(push:connect(ep))
    must(push:send("queued", zmq.DONTWAIT))
    must(push:close())
    local t0 = H.now_ms()
    must(c:term())
    local dt = H.now_ms() - t0
    ok(dt >= 250, string.format("term waited for linger (%.0f ms >= 250)", dt))
    ok(dt < 2500, string.format("term returned soon after linger (%.0f ms < 2500)", dt))
end)

H.test("ctx_and_socket_collected", function(t)
    -- Dropping the last references must close the socket and term the
    -- context: the port is free again and the context's threads are gone.
    local before = count_threads()
    local function make()
        local c = must(zmq.context())
        local s = must(c:socket(zmq.REP, { linger = 0 }))
        must(s:bind("tcp://127.0.0.1:*"))
        ok(count_threads() > before, "the context started threads")
        return must(s:getsockopt(zmq.LAST_ENDPOINT))
    end
    local ep = make()
    collectgarbage("collect")
    collectgarbage("collect")
    eq(count_threads(), before, "threads after collection")
    local s2 = t:socket(zmq.REP)
    must(s2:bind(ep))   -- EADDRINUSE if the collected socket still listened
end)

H.test("socket_types", function(t)
    local names = { "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER",
                    "PULL", "PUSH", "XPUB", "XSUB", "STREAM" }
    for i, name in ipairs(names) do
        eq(zmq[name], i - 1, "zmq." .. name)
        local s = t:socket(zmq[name])
        eq(must(s:getsockopt(zmq.TYPE)), zmq[name], name .. " ZMQ_TYPE")
        eq(must(s:getsockopt(zmq.THREAD_SAFE)), 0, name .. " ZMQ_THREAD_SAFE")
        ok(tostring(s):find(name, 1, true), "tostring names the type")
        must(s:close())
    end
    eq(zmq.XREQ, zmq.DEALER, "XREQ")
    eq(zmq.XREP, zmq.ROUTER, "XREP")
    if zmq.has("draft") then
        for _, name in ipairs({ "SERVER", "CLIENT", "RADIO", "DISH", "GATHER", "SCATTER", "DGRAM" }) do
            local s = t:socket(zmq[name])
            eq(must(s:getsockopt(zmq.TYPE)), zmq[name], name .. " ZMQ_TYPE")
        end
    end
    fails("EINVAL", t.ctx:socket(99))
end)

H.test("socket_constructor_options", function(t)
    local ep = t:inproc()
    local rep = t:socket(zmq.REP, { sndhwm = 7, bind = ep })
    local req = t:socket(zmq.REQ, { connect = { ep } })
    eq(must(rep:getsockopt(zmq.SNDHWM)), 7, "SNDHWM from options")
    must(req:send("ping"))
    eq(t:recv(rep), "ping", "request")
    -- a failing option fails the constructor and closes the socket
    fails("EINVAL", t.ctx:socket(zmq.REQ, { routing_id = "" }))
    fails("EINVAL", t.ctx:socket(zmq.REQ, { connect = "nonsense" }))
end)

H.run()
