-- example.lua: a REQ/REP echo over TCP, both ends in one process.
--
--   ZMQ_LIB=/path/to/ferrozmq/build/lib/libzmq.so.5 luajit example.lua
--
-- LuaJIT has one thread, so the server is driven with zmq.poll instead of
-- blocking in recv; a real server would usually be its own process.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = here .. "/?.lua;" .. package.path

local zmq = require("zmq")

print(string.format("libzmq %s loaded from %s", zmq.version_string(), zmq.lib_name))

local ctx = assert(zmq.context())

-- linger 0: pending messages are dropped at close instead of delaying term
local server = assert(ctx:socket(zmq.REP, { linger = 0, bind = "tcp://127.0.0.1:*" }))
local endpoint = assert(server:getsockopt(zmq.LAST_ENDPOINT))
print("server bound to " .. endpoint)

local client = assert(ctx:socket(zmq.REQ, { linger = 0, rcvtimeo = 2000, connect = endpoint }))

for i = 1, 3 do
    assert(client:send("hello #" .. i))

    -- the server side: wait (at most 2 s) until the request is there
    local items = { { socket = server, events = zmq.POLLIN } }
    local n, err = zmq.poll(items, 2000)
    if not n or n == 0 then error("no request: " .. tostring(err or "timeout")) end
    local request = assert(server:recv())
    assert(server:send_multipart({ "echo: ", request }))

    -- the client side: RCVTIMEO bounds this recv
    local parts, rerr = client:recv_multipart()
    if not parts then error("no reply: " .. tostring(rerr)) end
    print(table.concat(parts))
end

-- errors come back as nil, err, errno; EAGAIN is easy to tell apart
local ok, err, errno = server:recv(zmq.DONTWAIT)
print(string.format("recv on an idle REP: %s, %s, errno == zmq.EAGAIN: %s",
    tostring(ok), tostring(err), tostring(errno == zmq.EAGAIN)))

client:close()
server:close()
ctx:term()
