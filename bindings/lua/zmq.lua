--[[
  zmq.lua - a LuaJIT FFI binding for the ZeroMQ C API (libzmq 4.3).

  Written for ferrozmq (a Rust libzmq.so.5) but works with any libzmq 4.3.
  The library is loaded with ffi.load(os.getenv("ZMQ_LIB") or "zmq"), so
      ZMQ_LIB=/path/to/build/lib/libzmq.so.5 luajit prog.lua
  picks the implementation without touching the program.

  Conventions
    * Every call that can fail returns its result (true when there is none)
      or `nil, err, errno`: err is an error object whose tostring() is the
      zmq_strerror() text plus the mnemonic, with fields .errno, .name, .msg;
      errno is the plain number, so `select(3, ...) == zmq.EAGAIN` and
      `err.name == "EAGAIN"` both work.
    * Sockets, contexts and messages are closed when garbage collected, but
      closing them explicitly is better: a context's term blocks while its
      sockets still have messages to deliver (ZMQ_LINGER).
    * Not thread-safe beyond what libzmq itself is; LuaJIT has one thread
      per state, and the module keeps some scratch buffers per state.
]]

local ffi = require("ffi")
local bit = require("bit")

local M = {}

ffi.cdef [[
/* zmq_msg_t is 64 opaque bytes with pointer alignment (zmq.h uses an
   aligned array; the size is ABI, checked below). */
typedef struct zmq_msg_t { unsigned char _[64]; } __attribute__((aligned(8))) zmq_msg_t;

/* Same layout as zmq.h on POSIX: fd is an int (a SOCKET only on Windows). */
typedef struct zmq_pollitem_t {
    void *socket;
    int fd;
    short events;
    short revents;
} zmq_pollitem_t;

typedef void (zmq_free_fn) (void *data, void *hint);

void zmq_version (int *major, int *minor, int *patch);
int zmq_errno (void);
const char *zmq_strerror (int errnum);
int zmq_has (const char *capability);

void *zmq_ctx_new (void);
int zmq_ctx_term (void *context);
int zmq_ctx_shutdown (void *context);
int zmq_ctx_set (void *context, int option, int optval);
int zmq_ctx_get (void *context, int option);

void *zmq_socket (void *context, int type);
int zmq_close (void *s);
int zmq_setsockopt (void *s, int option, const void *optval, size_t optvallen);
int zmq_getsockopt (void *s, int option, void *optval, size_t *optvallen);
int zmq_bind (void *s, const char *addr);
int zmq_connect (void *s, const char *addr);
int zmq_unbind (void *s, const char *addr);
int zmq_disconnect (void *s, const char *addr);
int zmq_send (void *s, const void *buf, size_t len, int flags);
int zmq_recv (void *s, void *buf, size_t len, int flags);
int zmq_socket_monitor (void *s, const char *addr, int events);

int zmq_msg_init (zmq_msg_t *msg);
int zmq_msg_init_size (zmq_msg_t *msg, size_t size);
int zmq_msg_init_data (zmq_msg_t *msg, void *data, size_t size, zmq_free_fn *ffn, void *hint);
int zmq_msg_send (zmq_msg_t *msg, void *s, int flags);
int zmq_msg_recv (zmq_msg_t *msg, void *s, int flags);
int zmq_msg_close (zmq_msg_t *msg);
int zmq_msg_move (zmq_msg_t *dest, zmq_msg_t *src);
int zmq_msg_copy (zmq_msg_t *dest, zmq_msg_t *src);
void *zmq_msg_data (zmq_msg_t *msg);
size_t zmq_msg_size (const zmq_msg_t *msg);
int zmq_msg_more (const zmq_msg_t *msg);
int zmq_msg_get (const zmq_msg_t *msg, int property);
int zmq_msg_set (zmq_msg_t *msg, int property, int optval);
const char *zmq_msg_gets (const zmq_msg_t *msg, const char *property);

int zmq_poll (zmq_pollitem_t *items, int nitems, long timeout);

int zmq_proxy (void *frontend, void *backend, void *capture);
int zmq_proxy_steerable (void *frontend, void *backend, void *capture, void *control);

char *zmq_z85_encode (char *dest, const uint8_t *data, size_t size);
uint8_t *zmq_z85_decode (uint8_t *dest, const char *string);
int zmq_curve_keypair (char *z85_public_key, char *z85_secret_key);
int zmq_curve_public (char *z85_public_key, const char *z85_secret_key);

/* libc, for zmq_msg_init_data's copied buffers */
void *malloc (size_t size);
void free (void *ptr);
]]

assert(ffi.sizeof("zmq_msg_t") == 64 and ffi.alignof("zmq_msg_t") >= ffi.sizeof("void *"),
    "zmq_msg_t layout does not match zmq.h")

-- Load the library: $ZMQ_LIB if set (a path or a name), else the usual
-- names. "zmq" resolves to libzmq.so, which only the -dev package ships,
-- so fall back to the runtime soname.
local function load_lib()
    local want = os.getenv("ZMQ_LIB")
    if want and want ~= "" then return ffi.load(want), want end
    local ok, lib = pcall(ffi.load, "zmq")
    if ok then return lib, "zmq" end
    return ffi.load("libzmq.so.5"), "libzmq.so.5"
end

local lib, lib_name = load_lib()
M.lib = lib            -- the raw C namespace, for calls this module does not wrap
M.lib_name = lib_name  -- what was handed to ffi.load
M.ffi = ffi

---------------------------------------------------------------------------
-- Constants
---------------------------------------------------------------------------

-- Error numbers. The first group are the platform's own (Linux values, as
-- zmq.h uses <errno.h> when it has them); the last four are libzmq's own,
-- ZMQ_HAUSNUMERO + n, the same on every platform.
local HAUSNUMERO = 156384712
local errnos = {
    EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EBADF = 9, EAGAIN = 11,
    ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
    ENODEV = 19, EINVAL = 22, EMFILE = 24, ENOSPC = 28, EPIPE = 32,
    ENAMETOOLONG = 36,
    ENOTSOCK = 88, EMSGSIZE = 90, EPROTONOSUPPORT = 93, ENOTSUP = 95,
    EAFNOSUPPORT = 97, EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100,
    ENETUNREACH = 101, ENETRESET = 102, ECONNABORTED = 103, ECONNRESET = 104,
    ENOBUFS = 105, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111,
    EHOSTUNREACH = 113, EINPROGRESS = 115,
    EFSM = HAUSNUMERO + 51, ENOCOMPATPROTO = HAUSNUMERO + 52,
    ETERM = HAUSNUMERO + 53, EMTHREAD = HAUSNUMERO + 54,
}
M.HAUSNUMERO = HAUSNUMERO
M.errno_names = {}
for name, n in pairs(errnos) do
    M[name] = n
    M.errno_names[n] = name
end
M.EWOULDBLOCK = M.EAGAIN
M.EOPNOTSUPP = M.ENOTSUP  -- the same number on Linux

-- Socket types. The second group is the draft API: only usable when
-- zmq.has("draft") is true.
local socket_types = {
    PAIR = 0, PUB = 1, SUB = 2, REQ = 3, REP = 4, DEALER = 5, ROUTER = 6,
    PULL = 7, PUSH = 8, XPUB = 9, XSUB = 10, STREAM = 11,
    SERVER = 12, CLIENT = 13, RADIO = 14, DISH = 15, GATHER = 16,
    SCATTER = 17, DGRAM = 18, PEER = 19, CHANNEL = 20,
}
M.socket_type_names = {}
for name, n in pairs(socket_types) do
    M[name] = n
    M.socket_type_names[n] = name
end
M.XREQ, M.XREP = M.DEALER, M.ROUTER

-- Context options.
local ctx_options = {
    IO_THREADS = 1, MAX_SOCKETS = 2, SOCKET_LIMIT = 3, THREAD_PRIORITY = 3,
    THREAD_SCHED_POLICY = 4, MAX_MSGSZ = 5, MSG_T_SIZE = 6,
    THREAD_AFFINITY_CPU_ADD = 7, THREAD_AFFINITY_CPU_REMOVE = 8,
    THREAD_NAME_PREFIX = 9, BLOCKY = 70, IPV6 = 42,
    IO_THREADS_DFLT = 1, MAX_SOCKETS_DFLT = 1023,
    THREAD_PRIORITY_DFLT = -1, THREAD_SCHED_POLICY_DFLT = -1,
}
for name, n in pairs(ctx_options) do M[name] = n end

-- Socket options, each with the C type zmq_getsockopt/zmq_setsockopt use
-- for it:  int, int64 (int64_t), uint64 (uint64_t), string (text;
-- getsockopt returns it NUL-terminated, the NUL is dropped here), binary
-- (exact bytes) and curve (a 32-byte key, read back as 40-char Z85).
-- Options missing from this table are treated as int, so an unknown id
-- still reaches the library and fails there with EINVAL.
local socket_options = {
    AFFINITY = { 4, "uint64" }, ROUTING_ID = { 5, "binary" },
    SUBSCRIBE = { 6, "binary" }, UNSUBSCRIBE = { 7, "binary" },
    RATE = { 8, "int" }, RECOVERY_IVL = { 9, "int" }, SNDBUF = { 11, "int" },
    RCVBUF = { 12, "int" }, RCVMORE = { 13, "int" }, FD = { 14, "int" },
    EVENTS = { 15, "int" }, TYPE = { 16, "int" }, LINGER = { 17, "int" },
    RECONNECT_IVL = { 18, "int" }, BACKLOG = { 19, "int" },
    RECONNECT_IVL_MAX = { 21, "int" }, MAXMSGSIZE = { 22, "int64" },
    SNDHWM = { 23, "int" }, RCVHWM = { 24, "int" },
    MULTICAST_HOPS = { 25, "int" }, RCVTIMEO = { 27, "int" },
    SNDTIMEO = { 28, "int" }, IPV4ONLY = { 31, "int" },
    LAST_ENDPOINT = { 32, "string" }, ROUTER_MANDATORY = { 33, "int" },
    TCP_KEEPALIVE = { 34, "int" }, TCP_KEEPALIVE_CNT = { 35, "int" },
    TCP_KEEPALIVE_IDLE = { 36, "int" }, TCP_KEEPALIVE_INTVL = { 37, "int" },
    TCP_ACCEPT_FILTER = { 38, "string" }, IMMEDIATE = { 39, "int" },
    XPUB_VERBOSE = { 40, "int" }, ROUTER_RAW = { 41, "int" },
    IPV6 = { 42, "int" }, MECHANISM = { 43, "int" },
    PLAIN_SERVER = { 44, "int" }, PLAIN_USERNAME = { 45, "string" },
    PLAIN_PASSWORD = { 46, "string" }, CURVE_SERVER = { 47, "int" },
    CURVE_PUBLICKEY = { 48, "curve" }, CURVE_SECRETKEY = { 49, "curve" },
    CURVE_SERVERKEY = { 50, "curve" }, PROBE_ROUTER = { 51, "int" },
    REQ_CORRELATE = { 52, "int" }, REQ_RELAXED = { 53, "int" },
    CONFLATE = { 54, "int" }, ZAP_DOMAIN = { 55, "string" },
    ROUTER_HANDOVER = { 56, "int" }, TOS = { 57, "int" },
    IPC_FILTER_PID = { 58, "int" }, IPC_FILTER_UID = { 59, "int" },
    IPC_FILTER_GID = { 60, "int" }, CONNECT_ROUTING_ID = { 61, "binary" },
    GSSAPI_SERVER = { 62, "int" }, GSSAPI_PRINCIPAL = { 63, "string" },
    GSSAPI_SERVICE_PRINCIPAL = { 64, "string" },
    GSSAPI_PLAINTEXT = { 65, "int" }, HANDSHAKE_IVL = { 66, "int" },
    SOCKS_PROXY = { 68, "string" }, XPUB_NODROP = { 69, "int" },
    BLOCKY = { 70, "int" }, XPUB_MANUAL = { 71, "int" },
    XPUB_WELCOME_MSG = { 72, "binary" }, STREAM_NOTIFY = { 73, "int" },
    INVERT_MATCHING = { 74, "int" }, HEARTBEAT_IVL = { 75, "int" },
    HEARTBEAT_TTL = { 76, "int" }, HEARTBEAT_TIMEOUT = { 77, "int" },
    XPUB_VERBOSER = { 78, "int" }, CONNECT_TIMEOUT = { 79, "int" },
    TCP_MAXRT = { 80, "int" }, THREAD_SAFE = { 81, "int" },
    MULTICAST_MAXTPDU = { 84, "int" }, VMCI_BUFFER_SIZE = { 85, "uint64" },
    VMCI_BUFFER_MIN_SIZE = { 86, "uint64" },
    VMCI_BUFFER_MAX_SIZE = { 87, "uint64" },
    VMCI_CONNECT_TIMEOUT = { 88, "int" }, USE_FD = { 89, "int" },
    GSSAPI_PRINCIPAL_NAMETYPE = { 90, "int" },
    GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = { 91, "int" },
    BINDTODEVICE = { 92, "string" },
    -- draft API options
    ZAP_ENFORCE_DOMAIN = { 93, "int" }, LOOPBACK_FASTPATH = { 94, "int" },
    METADATA = { 95, "string" }, MULTICAST_LOOP = { 96, "int" },
    ROUTER_NOTIFY = { 97, "int" }, XPUB_MANUAL_LAST_VALUE = { 98, "int" },
    SOCKS_USERNAME = { 99, "string" }, SOCKS_PASSWORD = { 100, "string" },
    IN_BATCH_SIZE = { 101, "int" }, OUT_BATCH_SIZE = { 102, "int" },
    WSS_KEY_PEM = { 103, "string" }, WSS_CERT_PEM = { 104, "string" },
    WSS_TRUST_PEM = { 105, "string" }, WSS_HOSTNAME = { 106, "string" },
    WSS_TRUST_SYSTEM = { 107, "int" }, ONLY_FIRST_SUBSCRIBE = { 108, "int" },
    RECONNECT_STOP = { 109, "int" }, HELLO_MSG = { 110, "binary" },
    DISCONNECT_MSG = { 111, "binary" }, PRIORITY = { 112, "int" },
}
M.option_types = {}   -- option id -> "int" | "int64" | "uint64" | "string" | "binary" | "curve"
M.option_names = {}   -- option id -> name
for name, def in pairs(socket_options) do
    M[name] = def[1]
    M.option_types[def[1]] = def[2]
    M.option_names[def[1]] = name
end
M.IDENTITY = M.ROUTING_ID
M.CONNECT_RID = M.CONNECT_ROUTING_ID
M.DELAY_ATTACH_ON_CONNECT = M.IMMEDIATE
M.FAIL_UNROUTABLE = M.ROUTER_MANDATORY
M.ROUTER_BEHAVIOR = M.ROUTER_MANDATORY

-- Message properties (zmq_msg_get) and flags.
M.MORE, M.SRCFD, M.SHARED = 1, 2, 3
M.DONTWAIT, M.SNDMORE = 1, 2
M.NOBLOCK = M.DONTWAIT

-- Security mechanisms (ZMQ_MECHANISM) and GSSAPI name types.
M.NULL, M.PLAIN, M.CURVE, M.GSSAPI = 0, 1, 2, 3
M.GSSAPI_NT_HOSTBASED, M.GSSAPI_NT_USER_NAME, M.GSSAPI_NT_KRB5_PRINCIPAL = 0, 1, 2

-- Poll events.
M.POLLIN, M.POLLOUT, M.POLLERR, M.POLLPRI = 1, 2, 4, 8

-- Legacy device types for zmq_device.
M.STREAMER, M.FORWARDER, M.QUEUE = 1, 2, 3

-- Socket monitor events.
local events = {
    EVENT_CONNECTED = 0x0001, EVENT_CONNECT_DELAYED = 0x0002,
    EVENT_CONNECT_RETRIED = 0x0004, EVENT_LISTENING = 0x0008,
    EVENT_BIND_FAILED = 0x0010, EVENT_ACCEPTED = 0x0020,
    EVENT_ACCEPT_FAILED = 0x0040, EVENT_CLOSED = 0x0080,
    EVENT_CLOSE_FAILED = 0x0100, EVENT_DISCONNECTED = 0x0200,
    EVENT_MONITOR_STOPPED = 0x0400,
    EVENT_HANDSHAKE_FAILED_NO_DETAIL = 0x0800,
    EVENT_HANDSHAKE_SUCCEEDED = 0x1000,
    EVENT_HANDSHAKE_FAILED_PROTOCOL = 0x2000,
    EVENT_HANDSHAKE_FAILED_AUTH = 0x4000,
}
M.event_names = {}
for name, n in pairs(events) do
    M[name] = n
    M.event_names[n] = name:sub(7)   -- "EVENT_LISTENING" -> "LISTENING"
end
M.EVENT_ALL = 0xFFFF

---------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------

local Error = {}
Error.__index = Error
Error.__tostring = function(e) return e.msg .. " (" .. e.name .. ")" end
-- Let `"bind: " .. err` work as it would with a string error.
Error.__concat = function(a, b) return tostring(a) .. tostring(b) end

function Error:no() return self.errno end
function Error:mnemo() return self.name end
-- err:is(zmq.EAGAIN) or err:is("EAGAIN")
function Error:is(what)
    if type(what) == "string" then return self.name == what end
    return self.errno == what
end

function M.strerror(n)
    return ffi.string(lib.zmq_strerror(n))
end

function M.error(n)
    return setmetatable({
        errno = n,
        name = M.errno_names[n] or ("E" .. tostring(n)),
        msg = M.strerror(n),
    }, Error)
end

-- The errno of the library's last failing call (zmq_errno()).
function M.errno() return lib.zmq_errno() end

-- The failure triple. ffi.errno() is the value LuaJIT saved right after the
-- last C call, so nothing the VM does in between can clobber it.
local function fail(n)
    n = n or ffi.errno()
    return nil, M.error(n), n
end
M.fail = fail

local function check(rc)
    if rc == -1 then return fail() end
    return true
end

---------------------------------------------------------------------------
-- Library-wide calls
---------------------------------------------------------------------------

function M.version()
    local v = ffi.new("int[3]")
    lib.zmq_version(v, v + 1, v + 2)
    return v[0], v[1], v[2]
end

function M.version_string()
    return string.format("%d.%d.%d", M.version())
end

function M.has(capability)
    return lib.zmq_has(capability) == 1
end

---------------------------------------------------------------------------
-- Scratch buffers (one Lua state is one thread, so sharing them is safe)
---------------------------------------------------------------------------

local int_box = ffi.new("int[1]")
local i64_box = ffi.new("int64_t[1]")
local u64_box = ffi.new("uint64_t[1]")
local len_box = ffi.new("size_t[1]")
local OPT_BUF_SIZE = 4096        -- longest string option we expect to read
local opt_buf = ffi.new("uint8_t[?]", OPT_BUF_SIZE)
local scratch_msg = ffi.new("zmq_msg_t")

-- Resolve an option given as a number or as a name ("sndhwm", "SNDHWM").
local function option_id(opt)
    if type(opt) == "string" then
        local id = M[opt:upper()]
        if type(id) ~= "number" then error("unknown option name: " .. opt, 3) end
        return id
    end
    return opt
end

local function int_value(v)
    if v == true then return 1 elseif v == false then return 0 end
    return v
end

---------------------------------------------------------------------------
-- Context
---------------------------------------------------------------------------

local Context = {}
Context.__index = Context
M.Context = Context

local Socket = {}
Socket.__index = Socket
M.Socket = Socket

-- Close one socket's state (shared by Socket:close, the socket's finalizer
-- and Context:term). `linger`, when given, overrides ZMQ_LINGER first.
local function close_socket_state(st, linger)
    if st.closed then return true end
    if linger then
        int_box[0] = linger
        lib.zmq_setsockopt(st.raw, M.LINGER, int_box, 4)
    end
    local rc = lib.zmq_close(st.raw)
    if rc == -1 then return fail() end
    st.closed = true
    st.registry[st] = nil
    return true
end

-- Terminate a context: close the sockets it still has (zmq_ctx_term would
-- otherwise wait for them forever), then term, retrying on EINTR.
local function term_context_state(st, linger)
    if st.termed then return true end
    for sock_state in pairs(st.sockets) do
        close_socket_state(sock_state, linger)
    end
    while true do
        local rc = lib.zmq_ctx_term(st.raw)
        if rc == 0 then break end
        local e = ffi.errno()
        if e ~= M.EINTR then return fail(e) end
    end
    st.termed = true
    return true
end

-- zmq.context([options]) -> ctx. options: { io_threads = 2, ... }
function M.context(options)
    local raw = lib.zmq_ctx_new()
    if raw == nil then return fail() end
    -- The state holds a separate copy of the pointer (ffi.new makes a new
    -- cdata; ffi.cast would hand back `raw` itself); the handle (the
    -- cdata carrying the finalizer) lives only in the Context object, so
    -- the finalizer runs when the Context itself is unreachable. Sockets
    -- reference their Context, so it cannot be collected before them, and
    -- if both die in one cycle the shared state makes the order harmless.
    local st = { raw = ffi.new("void *", raw), sockets = {}, termed = false }
    local handle = ffi.gc(raw, function() term_context_state(st) end)
    local ctx = setmetatable({ _h = handle, _st = st }, Context)
    for k, v in pairs(options or {}) do
        local ok, err, en = ctx:set(k, v)
        if not ok then ctx:term(); return nil, err, en end
    end
    return ctx
end
M.ctx_new = M.context

function Context:set(opt, value)
    return check(lib.zmq_ctx_set(self._h, option_id(opt), int_value(value)))
end

function Context:get(opt)
    -- -1 is also a legitimate value (THREAD_PRIORITY's default), so clear
    -- errno first: a failure is -1 with errno set by the call.
    ffi.errno(0)
    local v = lib.zmq_ctx_get(self._h, option_id(opt))
    if v == -1 then
        local e = ffi.errno()
        if e ~= 0 then return fail(e) end
    end
    return v
end

-- Make blocking calls on this context's sockets return ETERM; sockets must
-- still be closed and the context termed afterwards.
function Context:shutdown()
    if self._st.termed then return true end
    return check(lib.zmq_ctx_shutdown(self._h))
end

-- Close any sockets still open (with `linger` if given) and terminate.
-- Idempotent; the finalizer does the same if term is never called.
function Context:term(linger)
    local ok, err, en = term_context_state(self._st, linger)
    if ok then ffi.gc(self._h, nil) end
    return ok, err, en
end
Context.destroy = Context.term

function Context:closed() return self._st.termed end

function Context:__tostring()
    return string.format("zmq.context (%s)%s", tostring(self._st.raw),
        self._st.termed and " termed" or "")
end

---------------------------------------------------------------------------
-- Socket
---------------------------------------------------------------------------

-- ctx:socket(type [, options]) -> socket
-- options: socket options by name ({ linger = 0, sndhwm = 10 }) plus
-- `bind` / `connect` (an endpoint or a list of them), applied in that order.
function Context:socket(stype, options)
    if self._st.termed then return fail(M.ETERM) end
    local raw = lib.zmq_socket(self._h, stype)
    if raw == nil then return fail() end
    local st = { raw = ffi.new("void *", raw), closed = false, registry = self._st.sockets }
    self._st.sockets[st] = true
    local handle = ffi.gc(raw, function() close_socket_state(st) end)
    local sock = setmetatable({ _h = handle, _st = st, _ctx = self, type = stype }, Socket)
    if options then
        local ok, err, en = true
        for k, v in pairs(options) do
            if k ~= "bind" and k ~= "connect" then
                ok, err, en = sock:setsockopt(k, v)
                if not ok then break end
            end
        end
        for _, verb in ipairs({ "bind", "connect" }) do
            local eps = options[verb]
            if ok and eps then
                if type(eps) == "string" then eps = { eps } end
                for _, ep in ipairs(eps) do
                    ok, err, en = sock[verb](sock, ep)
                    if not ok then break end
                end
            end
        end
        if not ok then sock:close(0); return nil, err, en end
    end
    return sock
end

-- The raw void* (for zmq.lib calls). Raises on a closed socket, because
-- a dangling pointer handed to C is worse than an error.
function Socket:handle()
    if self._st.closed then error("socket is closed", 2) end
    return self._h
end

function Socket:closed() return self._st.closed end

function Socket:context() return self._ctx end

function Socket:close(linger)
    local ok, err, en = close_socket_state(self._st, linger)
    if ok then ffi.gc(self._h, nil) end
    return ok, err, en
end

-- Every call on a closed socket fails with ENOTSOCK, as libzmq would for a
-- socket it no longer knows; the pointer itself is never used again.
local function live(self)
    return not self._st.closed
end

function Socket:bind(endpoint)
    if not live(self) then return fail(M.ENOTSOCK) end
    return check(lib.zmq_bind(self._h, endpoint))
end

function Socket:connect(endpoint)
    if not live(self) then return fail(M.ENOTSOCK) end
    return check(lib.zmq_connect(self._h, endpoint))
end

function Socket:unbind(endpoint)
    if not live(self) then return fail(M.ENOTSOCK) end
    return check(lib.zmq_unbind(self._h, endpoint))
end

function Socket:disconnect(endpoint)
    if not live(self) then return fail(M.ENOTSOCK) end
    return check(lib.zmq_disconnect(self._h, endpoint))
end

function Socket:setsockopt(opt, value)
    if not live(self) then return fail(M.ENOTSOCK) end
    opt = option_id(opt)
    local kind = M.option_types[opt] or "int"
    local rc
    if kind == "int" then
        int_box[0] = int_value(value)
        rc = lib.zmq_setsockopt(self._h, opt, int_box, ffi.sizeof("int"))
    elseif kind == "int64" then
        i64_box[0] = value
        rc = lib.zmq_setsockopt(self._h, opt, i64_box, 8)
    elseif kind == "uint64" then
        u64_box[0] = value
        rc = lib.zmq_setsockopt(self._h, opt, u64_box, 8)
    else
        -- string, binary, curve: the bytes as given (a curve key may be 32
        -- binary bytes or 40 Z85 characters; libzmq accepts both).
        value = tostring(value)
        rc = lib.zmq_setsockopt(self._h, opt, value, #value)
    end
    return check(rc)
end
Socket.set = Socket.setsockopt
Socket.setopt = Socket.setsockopt

-- sock:getsockopt(opt [, kind]) -> value. `kind` overrides the table, e.g.
-- "binary" to read a CURVE key as its 32 raw bytes instead of Z85.
function Socket:getsockopt(opt, kind)
    if not live(self) then return fail(M.ENOTSOCK) end
    opt = option_id(opt)
    kind = kind or M.option_types[opt] or "int"
    local rc
    if kind == "int" then
        len_box[0] = ffi.sizeof("int")
        rc = lib.zmq_getsockopt(self._h, opt, int_box, len_box)
        if rc == -1 then return fail() end
        return int_box[0]
    elseif kind == "int64" or kind == "uint64" then
        local box = kind == "int64" and i64_box or u64_box
        len_box[0] = 8
        rc = lib.zmq_getsockopt(self._h, opt, box, len_box)
        if rc == -1 then return fail() end
        return tonumber(box[0])
    elseif kind == "curve" then
        -- libzmq picks the format from the buffer size: 41 -> Z85 + NUL.
        len_box[0] = 41
        rc = lib.zmq_getsockopt(self._h, opt, opt_buf, len_box)
        if rc == -1 then return fail() end
        return ffi.string(opt_buf, 40)
    else
        -- a CURVE key asked for as "binary" must be read into exactly 32 bytes
        len_box[0] = M.option_types[opt] == "curve" and 32 or OPT_BUF_SIZE
        rc = lib.zmq_getsockopt(self._h, opt, opt_buf, len_box)
        if rc == -1 then return fail() end
        local n = tonumber(len_box[0])
        if kind == "string" and n > 0 and opt_buf[n - 1] == 0 then n = n - 1 end
        return ffi.string(opt_buf, n)
    end
end
Socket.get = Socket.getsockopt
Socket.getopt = Socket.getsockopt

-- sock:send(data [, flags]) -> true. The bytes are copied by zmq_send.
function Socket:send(data, flags)
    if not live(self) then return fail(M.ENOTSOCK) end
    data = tostring(data)
    local rc = lib.zmq_send(self._h, data, #data, flags or 0)
    if rc == -1 then return fail() end
    return true
end

-- sock:recv([flags]) -> data, more. Received through a zmq_msg_t so a
-- message of any size arrives whole (zmq_recv would truncate).
function Socket:recv(flags)
    if not live(self) then return fail(M.ENOTSOCK) end
    local m = scratch_msg
    lib.zmq_msg_init(m)
    local rc = lib.zmq_msg_recv(m, self._h, flags or 0)
    if rc == -1 then
        local e = ffi.errno()
        lib.zmq_msg_close(m)
        return fail(e)
    end
    local size = lib.zmq_msg_size(m)
    local data = size > 0 and ffi.string(lib.zmq_msg_data(m), size) or ""
    local more = lib.zmq_msg_more(m) == 1
    lib.zmq_msg_close(m)
    return data, more
end

-- sock:send_multipart({ part1, part2, ... } [, flags]) -> true.
-- flags (e.g. DONTWAIT) apply to every part; SNDMORE is added to all but
-- the last. Once the first part is queued libzmq accepts the rest, so a
-- failure is either on the first part or a real error.
function Socket:send_multipart(parts, flags)
    flags = flags or 0
    local n = #parts
    if n == 0 then return fail(M.EINVAL) end
    for i = 1, n do
        local f = i < n and bit.bor(flags, M.SNDMORE) or flags
        local ok, err, en = self:send(parts[i], f)
        if not ok then return nil, err, en end
    end
    return true
end

-- sock:recv_multipart([flags]) -> { part1, part2, ... }. flags apply to the
-- first part; the others are already there when the first one is.
function Socket:recv_multipart(flags)
    local parts = {}
    local data, more, en = self:recv(flags)
    while true do
        if data == nil then return nil, more, en end  -- more is the error here
        parts[#parts + 1] = data
        if not more then return parts end
        data, more, en = self:recv(0)
    end
end

-- sock:send_msg(msg [, flags]) / sock:recv_msg(msg [, flags]): see Msg.
function Socket:send_msg(msg, flags) return msg:send(self, flags) end
function Socket:recv_msg(msg, flags) return msg:recv(self, flags) end

-- sock:poll(timeout_ms [, events]) -> revents (0 on timeout). events
-- defaults to POLLIN.
function Socket:poll(timeout, events)
    if not live(self) then return fail(M.ENOTSOCK) end
    local item = ffi.new("zmq_pollitem_t[1]")
    item[0].socket = self._h
    item[0].events = events or M.POLLIN
    local rc = lib.zmq_poll(item, 1, timeout or -1)
    if rc == -1 then return fail() end
    return item[0].revents
end

-- sock:monitor(endpoint [, events]) starts zmq_socket_monitor; with no
-- endpoint it stops monitoring. See zmq.socket_monitor for the helper.
function Socket:monitor(endpoint, events)
    if not live(self) then return fail(M.ENOTSOCK) end
    return check(lib.zmq_socket_monitor(self._h, endpoint, events or M.EVENT_ALL))
end

function Socket:__tostring()
    return string.format("zmq.socket %s (%s)%s", M.socket_type_names[self.type] or self.type,
        tostring(self._st.raw), self._st.closed and " closed" or "")
end

---------------------------------------------------------------------------
-- Poll
---------------------------------------------------------------------------

-- zmq.poll(items, timeout_ms) -> number of ready items.
-- items: a list of { socket = sock | fd = n, events = POLLIN|POLLOUT }
-- (or positional { sock_or_fd, events }). Each item's `revents` is set.
-- timeout_ms: -1 waits forever, 0 returns at once.
function M.poll(items, timeout)
    local n = #items
    local c = ffi.new("zmq_pollitem_t[?]", n)
    for i = 1, n do
        local it = items[i]
        local target = it.socket or it.fd or it[1]
        local pi = c[i - 1]
        if type(target) == "number" then
            pi.socket = nil
            pi.fd = target
        elseif getmetatable(target) == Socket then
            if target._st.closed then return fail(M.ENOTSOCK) end
            pi.socket = target._h
        elseif type(target) == "cdata" then
            pi.socket = target          -- a raw void * from zmq.lib
        else
            error("poll item " .. i .. ": a socket or an fd is needed", 2)
        end
        pi.events = it.events or it[2] or M.POLLIN
    end
    local rc = lib.zmq_poll(c, n, timeout or -1)
    if rc == -1 then return fail() end
    for i = 1, n do items[i].revents = c[i - 1].revents end
    return rc
end

---------------------------------------------------------------------------
-- Messages (zmq_msg_t)
---------------------------------------------------------------------------

local Msg = {}
Msg.__index = Msg
M.Msg = Msg

-- libzmq calls the free function when the last reference to the data goes,
-- possibly on one of its I/O threads, where calling back into the Lua VM
-- is not allowed. So the data is malloc'ed and handed to libc's free,
-- which is a C function safe on any thread. free takes one argument and
-- zmq calls ffn(data, hint); on every C ABI LuaJIT runs on the callee
-- simply ignores the extra argument.
local c_free = ffi.cast("zmq_free_fn *", ffi.C.free)

local function new_msg()
    local m = ffi.new("zmq_msg_t")
    return setmetatable({ _m = m }, Msg)
end

local function arm(msg)
    -- close on collection; closing a closed message is a harmless EFAULT
    ffi.gc(msg._m, lib.zmq_msg_close)
    return msg
end

-- zmq.msg_init() -> an empty message
function M.msg_init()
    local msg = new_msg()
    if lib.zmq_msg_init(msg._m) == -1 then return fail() end
    return arm(msg)
end

-- zmq.msg_init_size(n [, fill]) -> a message of n bytes; `fill`, a string,
-- is copied into it (at most n bytes), otherwise the content is undefined.
function M.msg_init_size(n, fill)
    local msg = new_msg()
    if lib.zmq_msg_init_size(msg._m, n) == -1 then return fail() end
    if fill and n > 0 then ffi.copy(lib.zmq_msg_data(msg._m), fill, math.min(n, #fill)) end
    return arm(msg)
end

-- zmq.msg_init_data(str) -> a message owning a copy of the Lua string,
-- made with zmq_msg_init_data (zero-copy from then on).
function M.msg_init_data(str)
    str = tostring(str)
    local n = #str
    local buf = ffi.C.malloc(n > 0 and n or 1)
    if buf == nil then return fail(M.ENOMEM) end
    ffi.copy(buf, str, n)
    local msg = new_msg()
    if lib.zmq_msg_init_data(msg._m, buf, n, c_free, nil) == -1 then
        local e = ffi.errno()
        ffi.C.free(buf)
        return fail(e)
    end
    return arm(msg)
end
M.msg = M.msg_init

function Msg:size() return tonumber(lib.zmq_msg_size(self._m)) end

-- A pointer to the message's bytes (valid until the message changes).
function Msg:ptr() return lib.zmq_msg_data(self._m) end

function Msg:data()
    local n = lib.zmq_msg_size(self._m)
    if n == 0 then return "" end
    return ffi.string(lib.zmq_msg_data(self._m), n)
end
Msg.__tostring = Msg.data

function Msg:more() return lib.zmq_msg_more(self._m) == 1 end

function Msg:get(property)
    local v = lib.zmq_msg_get(self._m, property)
    if v == -1 then return fail() end
    return v
end

function Msg:set(property, value)
    return check(lib.zmq_msg_set(self._m, property, value))
end

-- msg:gets("Socket-Type") -> string, or nil, err when there is no such
-- property (EINVAL), e.g. on messages that never crossed a connection.
function Msg:gets(property)
    local p = lib.zmq_msg_gets(self._m, property)
    if p == nil then return fail() end
    return ffi.string(p)
end

-- dest:move(src): dest's old content is released, src becomes empty.
function Msg:move(src) return check(lib.zmq_msg_move(self._m, src._m)) end

-- dest:copy(src): dest shares src's content (reference counted).
function Msg:copy(src) return check(lib.zmq_msg_copy(self._m, src._m)) end

-- msg:close(). Calling it again reaches the library, which says EFAULT.
function Msg:close()
    local rc = lib.zmq_msg_close(self._m)
    if rc == -1 then return fail() end
    ffi.gc(self._m, nil)
    return true
end

-- msg:send(sock [, flags]) -> bytes sent. On success the message is empty
-- (libzmq took its content); on failure it is unchanged.
function Msg:send(sock, flags)
    if sock._st.closed then return fail(M.ENOTSOCK) end
    local rc = lib.zmq_msg_send(self._m, sock._h, flags or 0)
    if rc == -1 then return fail() end
    return rc
end

-- msg:recv(sock [, flags]) -> bytes received; replaces the content.
function Msg:recv(sock, flags)
    if sock._st.closed then return fail(M.ENOTSOCK) end
    local rc = lib.zmq_msg_recv(self._m, sock._h, flags or 0)
    if rc == -1 then return fail() end
    return rc
end

---------------------------------------------------------------------------
-- Proxy
---------------------------------------------------------------------------

local function raw_or_nil(sock)
    if sock == nil then return nil end
    return sock._h
end

-- zmq.proxy(frontend, backend [, capture]): blocks until the context is
-- terminated (then fails with ETERM, as in libzmq).
function M.proxy(frontend, backend, capture)
    return check(lib.zmq_proxy(raw_or_nil(frontend), raw_or_nil(backend), raw_or_nil(capture)))
end

-- zmq.proxy_steerable(frontend, backend, capture, control): as proxy, and
-- "PAUSE" / "RESUME" / "TERMINATE" on control steer it; TERMINATE returns true.
function M.proxy_steerable(frontend, backend, capture, control)
    return check(lib.zmq_proxy_steerable(raw_or_nil(frontend), raw_or_nil(backend),
        raw_or_nil(capture), raw_or_nil(control)))
end

---------------------------------------------------------------------------
-- Z85 and CURVE keys
---------------------------------------------------------------------------

-- zmq.z85_encode(bytes) -> text; #bytes must be a multiple of 4.
function M.z85_encode(data)
    local n = #data
    local dest = ffi.new("char[?]", math.floor(n * 5 / 4) + 1)
    local p = lib.zmq_z85_encode(dest, ffi.cast("const uint8_t *", data), n)
    if p == nil then return fail() end
    return ffi.string(dest)
end

-- zmq.z85_decode(text) -> bytes; #text must be a multiple of 5.
function M.z85_decode(text)
    local n = math.floor(#text * 4 / 5)
    local dest = ffi.new("uint8_t[?]", n + 1)
    local p = lib.zmq_z85_decode(dest, text)
    if p == nil then return fail() end
    return ffi.string(dest, n)
end

-- zmq.curve_keypair() -> public_z85, secret_z85 (40 characters each).
-- Fails with ENOTSUP if the library was built without CURVE.
function M.curve_keypair()
    local pub, sec = ffi.new("char[41]"), ffi.new("char[41]")
    if lib.zmq_curve_keypair(pub, sec) == -1 then return fail() end
    return ffi.string(pub, 40), ffi.string(sec, 40)
end

-- zmq.curve_public(secret_z85) -> public_z85
function M.curve_public(secret)
    local pub = ffi.new("char[41]")
    if lib.zmq_curve_public(pub, secret) == -1 then return fail() end
    return ffi.string(pub, 40)
end

---------------------------------------------------------------------------
-- Socket monitor helper
---------------------------------------------------------------------------

local Monitor = {}
Monitor.__index = Monitor
M.Monitor = Monitor

local monitor_seq = 0

-- zmq.socket_monitor(sock [, events [, endpoint]]) -> monitor.
-- Starts zmq_socket_monitor on a fresh inproc endpoint (or `endpoint`) and
-- connects a PAIR socket to it. Start it before bind/connect so the early
-- events (LISTENING, CONNECT_DELAYED, ...) are not missed.
function M.socket_monitor(sock, events, endpoint)
    if not endpoint then
        monitor_seq = monitor_seq + 1
        endpoint = string.format("inproc://zmq.lua-monitor-%s-%d",
            tostring(sock._st.raw):match("0x%x+") or "?", monitor_seq)
    end
    local ok, err, en = sock:monitor(endpoint, events or M.EVENT_ALL)
    if not ok then return nil, err, en end
    local pair, err2, en2 = sock:context():socket(M.PAIR, { linger = 0 })
    if not pair then return nil, err2, en2 end
    ok, err, en = pair:connect(endpoint)
    if not ok then pair:close(); return nil, err, en end
    return setmetatable({ socket = pair, endpoint = endpoint, target = sock }, Monitor)
end

local ev16 = ffi.new("uint16_t[1]")
local ev32 = ffi.new("uint32_t[1]")

-- Decode the two frames of a (version 1) monitor event: frame 1 is a
-- 16-bit event id followed by a 32-bit value, native byte order and not
-- aligned; frame 2 is the affected endpoint.
function M.decode_event(frame1, frame2)
    if #frame1 ~= 6 then return fail(M.EPROTONOSUPPORT) end
    local p = ffi.cast("const uint8_t *", frame1)
    ffi.copy(ev16, p, 2)
    ffi.copy(ev32, p + 2, 4)
    local id = tonumber(ev16[0])
    return { event = id, name = M.event_names[id] or tostring(id),
             value = tonumber(ev32[0]), endpoint = frame2 }
end

-- mon:recv_event([timeout_ms]) -> { event, name, value, endpoint }, or
-- nil, err (EAGAIN) when nothing arrived in time. No timeout: blocks.
function Monitor:recv_event(timeout)
    local s = self.socket
    if timeout then
        local r, err, en = s:poll(timeout, M.POLLIN)
        if not r then return nil, err, en end
        if r == 0 then return fail(M.EAGAIN) end
    end
    local parts, err, en = s:recv_multipart()
    if not parts then return nil, err, en end
    return M.decode_event(parts[1], parts[2] or "")
end

-- Stop monitoring (if the target is still open) and close the PAIR socket.
function Monitor:close()
    if not self.target:closed() then self.target:monitor(nil, 0) end
    return self.socket:close(0)
end

return M
