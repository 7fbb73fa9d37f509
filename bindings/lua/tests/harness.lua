--[[
  harness.lua - the little test runner the test_*.lua files share.

    local H = require("harness")
    H.test("name", function(t) ... end)   -- t.ctx is a fresh context
    H.run()

  H.run() prints one line per test, "PASS name" or "FAIL name: reason",
  then "N passed, M failed" as the last line, and exits non-zero if any
  test failed. Every test gets its own context, which is termed after the
  test with linger 0 for any socket the test left open, so a failing test
  cannot leave the next one blocked in zmq_ctx_term.

  ZMQ_LUA_TEST=name runs one test only; ZMQ_LUA_TRACE=1 prints a stack
  trace on stderr for each failure.

  Nothing here sleeps: waits are zmq_poll timeouts or socket timeouts, and
  every socket made by t:socket() has RCVTIMEO/SNDTIMEO set, so a hang is a
  failure within seconds (run.sh's per-file timeout is the last resort).
]]

local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/../?.lua;" .. package.path

local ffi = require("ffi")
local zmq = require("zmq")

local H = { zmq = zmq }
local tests = {}

-- Default bound on any single blocking socket call in the tests (ms).
H.TIMEOUT = 3000

ffi.cdef [[
struct zmq_lua_timespec { long tv_sec; long tv_nsec; };
int clock_gettime (int clk_id, struct zmq_lua_timespec *tp);
int getpid (void);
]]

local ts = ffi.new("struct zmq_lua_timespec")
function H.now_ms()
    ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

H.pid = ffi.C.getpid()

function H.test(name, fn)
    tests[#tests + 1] = { name = name, fn = fn }
end

---------------------------------------------------------------------------
-- Assertions. Each raises "what: detail" one level up, so the FAIL line
-- names the test file's line.
---------------------------------------------------------------------------

local function show(v)
    if type(v) == "string" then return string.format("%q", v) end
    return tostring(v)
end
H.show = show

function H.eq(got, want, what)
    if got ~= want then
        error(string.format("%s: got %s, want %s", what or "value", show(got), show(want)), 2)
    end
    return got
end

function H.ok(v, what)
    if not v then error((what or "condition") .. " is false", 2) end
    return v
end

-- H.must(f(...)): the call must succeed; returns all its results.
function H.must(v, err, ...)
    if v == nil then error("unexpected error: " .. tostring(err), 2) end
    return v, err, ...
end

-- H.fails("EAGAIN", f(...)): the call must fail with that errno; returns
-- the error object.
function H.fails(name, v, err, en)
    local want = zmq[name]
    if v ~= nil then error(string.format("expected %s, got success (%s)", name, show(v)), 2) end
    if en ~= want then
        error(string.format("expected %s (%d), got %s", name, want, tostring(err)), 2)
    end
    if err.errno ~= want or err.name ~= name then
        error("error object disagrees with errno: " .. tostring(err), 2)
    end
    return err
end

-- Compare two lists of strings.
function H.same_list(got, want, what)
    local ok = #got == #want
    for i = 1, math.max(#got, #want) do if got[i] ~= want[i] then ok = false end end
    if not ok then
        local g, w = {}, {}
        for i, v in ipairs(got) do g[i] = show(v) end
        for i, v in ipairs(want) do w[i] = show(v) end
        error(string.format("%s: got {%s}, want {%s}", what or "list",
            table.concat(g, ", "), table.concat(w, ", ")), 2)
    end
end

---------------------------------------------------------------------------
-- Per-test helpers (methods of the `t` handed to each test)
---------------------------------------------------------------------------

local T = {}
T.__index = T

-- t:socket(type [, options]): a socket with bounded blocking calls and
-- linger 0 unless the options say otherwise.
function T:socket(stype, options)
    local o = { linger = 0, rcvtimeo = H.TIMEOUT, sndtimeo = H.TIMEOUT }
    for k, v in pairs(options or {}) do o[k] = v end
    local s, err = self.ctx:socket(stype, o)
    if not s then error("socket: " .. tostring(err), 2) end
    return s
end

-- A unique inproc/ipc endpoint for this test.
local seq = 0
function T:inproc(tag)
    seq = seq + 1
    return string.format("inproc://%s-%s-%d", self.name, tag or "ep", seq)
end
function T:ipc(tag)
    seq = seq + 1
    local path = string.format("/tmp/zmq-lua-%d-%s-%d.ipc", H.pid, tag or "ep", seq)
    self.cleanup[#self.cleanup + 1] = path
    return "ipc://" .. path
end

-- Bind to an ephemeral TCP port on loopback; returns the real endpoint.
function T:bind_tcp(sock)
    H.must(sock:bind("tcp://127.0.0.1:*"))
    return H.must(sock:getsockopt(zmq.LAST_ENDPOINT))
end

-- A loopback TCP endpoint nobody listens on: bound in a context of its
-- own, which is termed (so the listener is surely closed) before returning.
function H.unused_tcp_endpoint()
    local c = H.must(zmq.context())
    local s = H.must(c:socket(zmq.PULL, { linger = 0 }))
    H.must(s:bind("tcp://127.0.0.1:*"))
    local ep = H.must(s:getsockopt(zmq.LAST_ENDPOINT))
    H.must(c:term())
    return ep
end

-- t:recv(sock [, timeout]): a message that must arrive within the timeout.
function T:recv(sock, timeout)
    local r = H.must(sock:poll(timeout or H.TIMEOUT, zmq.POLLIN))
    if r == 0 then error("nothing received within " .. (timeout or H.TIMEOUT) .. " ms", 2) end
    return H.must(sock:recv(zmq.DONTWAIT))
end

function T:recv_multipart(sock, timeout)
    local r = H.must(sock:poll(timeout or H.TIMEOUT, zmq.POLLIN))
    if r == 0 then error("nothing received within " .. (timeout or H.TIMEOUT) .. " ms", 2) end
    return H.must(sock:recv_multipart(zmq.DONTWAIT))
end

-- Nothing must arrive within `ms`.
function T:silent(sock, ms, what)
    local r = H.must(sock:poll(ms, zmq.POLLIN))
    if r ~= 0 then
        local data = sock:recv(zmq.DONTWAIT)
        error((what or "socket") .. " received unexpected " .. show(data), 2)
    end
end

-- PUB/SUB slow-joiner sync without sleeping: publish `probe` until the
-- subscriber (subscribed to a prefix of it) sees one, polling between
-- sends. Probes sent after that one may still be in flight, so finish with
-- a marker, probe .. "!", and read up to it: pipes keep order, so after
-- the marker nothing of the sync is left. Bounded by H.TIMEOUT.
function T:sync_pubsub(pub, sub, probe)
    local deadline = H.now_ms() + H.TIMEOUT
    while true do
        H.must(pub:send(probe))
        if H.must(sub:poll(20, zmq.POLLIN)) ~= 0 then break end
        if H.now_ms() > deadline then error("subscription never reached the publisher", 2) end
    end
    H.must(pub:send(probe .. "!"))
    while true do
        local m = self:recv(sub)
        if m == probe .. "!" then return end
        if m ~= probe then error("unexpected message during sync: " .. show(m), 2) end
    end
end

-- Read monitor events until `want` (an event id) shows up; returns the list
-- of event names seen (including it) and the matching event.
function T:await_event(mon, want, timeout)
    local deadline = H.now_ms() + (timeout or H.TIMEOUT)
    local seen = {}
    while true do
        local left = math.max(0, deadline - H.now_ms())
        local ev, err = mon:recv_event(math.floor(left))
        if not ev then
            error(string.format("no %s event within %d ms (saw: %s; %s)", zmq.event_names[want],
                timeout or H.TIMEOUT, table.concat(seen, " "), tostring(err)), 2)
        end
        seen[#seen + 1] = ev.name
        if ev.event == want then return seen, ev end
    end
end

---------------------------------------------------------------------------
-- Running
---------------------------------------------------------------------------

function H.run()
    io.stdout:setvbuf("line")
    local only = os.getenv("ZMQ_LUA_TEST")   -- run just the named test
    local passed, failed = 0, 0
    for _, tc in ipairs(tests) do
        if not only or only == tc.name then
            local ctx, cerr = zmq.context()
            local ok, err
            if not ctx then
                ok, err = false, "zmq.context: " .. tostring(cerr)
            else
                local t = setmetatable({ ctx = ctx, name = tc.name, cleanup = {} }, T)
                ok, err = xpcall(function() tc.fn(t) end, function(e)
                    -- the FAIL line is one line; ZMQ_LUA_TRACE=1 adds the
                    -- stack trace on stderr
                    if os.getenv("ZMQ_LUA_TRACE") == "1" then
                        io.stderr:write(debug.traceback(tostring(e), 2), "\n")
                    end
                    return tostring(e)
                end)
                local tok, terr = ctx:term(0)
                if ok and not tok then ok, err = false, "ctx:term: " .. tostring(terr) end
                for _, path in ipairs(t.cleanup) do os.remove(path) end
            end
            collectgarbage()
            if ok then
                passed = passed + 1
                print("PASS " .. tc.name)
            else
                failed = failed + 1
                print("FAIL " .. tc.name .. ": " .. tostring(err):gsub("\n", " | "))
            end
        end
    end
    print(string.format("%d passed, %d failed", passed, failed))
    os.exit(failed == 0 and 0 or 1)
end

return H
