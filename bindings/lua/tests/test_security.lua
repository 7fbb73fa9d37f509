-- test_security.lua: Z85, CURVE keys and a CURVE handshake.
local H = require("harness")
local zmq = H.zmq
local eq, ok, must, fails = H.eq, H.ok, H.must, H.fails

local Z85_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

local function is_z85(s)
    for i = 1, #s do
        if not Z85_ALPHABET:find(s:sub(i, i), 1, true) then return false end
    end
    return true
end

H.test("z85_known_vector", function()
    -- the test vector of the Z85 specification (ZeroMQ RFC 32)
    local bytes = "\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B"
    eq(must(zmq.z85_encode(bytes)), "HelloWorld", "encode")
    eq(must(zmq.z85_decode("HelloWorld")), bytes, "decode")
end)

H.test("z85_roundtrip_all_bytes", function()
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local bytes = table.concat(t)
    local text = must(zmq.z85_encode(bytes))
    eq(#text, 320, "encoded length (5 chars per 4 bytes)")
    ok(is_z85(text), "only Z85 characters")
    eq(must(zmq.z85_decode(text)), bytes, "decode(encode(x)) == x")
    eq(must(zmq.z85_encode("")), "", "empty input")
end)

H.test("z85_invalid_input", function()
    fails("EINVAL", zmq.z85_encode("12345"))        -- not a multiple of 4
    fails("EINVAL", zmq.z85_decode("1234567"))      -- not a multiple of 5
    fails("EINVAL", zmq.z85_decode("Hello Worl"))   -- space is not in the alphabet
end)

H.test("curve_keypair", function()
    local pub, sec = must(zmq.curve_keypair())
    eq(#pub, 40, "public key length")
    eq(#sec, 40, "secret key length")
    ok(is_z85(pub) and is_z85(sec), "keys are Z85")
    eq(#must(zmq.z85_decode(pub)), 32, "public key decodes to 32 bytes")
    eq(must(zmq.z85_encode(zmq.z85_decode(sec))), sec, "secret key round-trips")
    eq(must(zmq.curve_public(sec)), pub, "curve_public(secret) == public")
    local pub2, sec2 = must(zmq.curve_keypair())
    ok(pub2 ~= pub and sec2 ~= sec, "a second keypair differs")
    fails("EINVAL", zmq.curve_public(sec:sub(1, 39)))   -- not a Z85 key
end)

-- A CURVE REQ/REP pair; returns server, client and the server's monitor.
local function curve_pair(t, server_key_for_client)
    local spub, ssec = must(zmq.curve_keypair())
    local cpub, csec = must(zmq.curve_keypair())
    local server = t:socket(zmq.REP, { curve_server = 1, curve_secretkey = ssec })
    local ms = must(zmq.socket_monitor(server))
    local ep = t:bind_tcp(server)
    local client = t:socket(zmq.REQ, {
        curve_serverkey = server_key_for_client or spub,
        curve_publickey = cpub, curve_secretkey = csec,
    })
    must(client:connect(ep))
    return server, client, ms
end

H.test("curve_handshake_and_traffic", function(t)
    local server, client = curve_pair(t)
    must(client:send("secret question"))
    eq(t:recv(server), "secret question", "request over CURVE")
    must(server:send("secret answer"))
    eq(t:recv(client), "secret answer", "reply over CURVE")
    eq(must(client:getsockopt(zmq.MECHANISM)), zmq.CURVE, "client mechanism")
end)

H.test("curve_wrong_server_key_fails", function(t)
    local wrong = must(zmq.curve_keypair())
    local server, client, ms = curve_pair(t, wrong)
    must(client:send("never delivered"))
    -- the server cannot open the client's HELLO: a protocol failure with
    -- the cryptographic error code, and no message
    local ev
    repeat
        ev = must(ms:recv_event(H.TIMEOUT))
    until ev.name ~= "LISTENING" and ev.name ~= "ACCEPTED"
    eq(ev.name, "HANDSHAKE_FAILED_PROTOCOL", "server event")
    eq(ev.value, 0x11000001, "ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC")
    t:silent(server, 100, "server with a wrong-key client")
end)

H.test("curve_vs_null_mechanism_mismatch", function(t)
    -- a NULL client talking to a CURVE server never gets through
    local spub, ssec = must(zmq.curve_keypair())
    local server = t:socket(zmq.REP, { curve_server = 1, curve_secretkey = ssec })
    local ms = must(zmq.socket_monitor(server))
    local ep = t:bind_tcp(server)
    local client = t:socket(zmq.REQ, { connect = ep })
    must(client:send("plain text"))
    local ev
    repeat
        ev = must(ms:recv_event(H.TIMEOUT))
    until ev.name ~= "LISTENING" and ev.name ~= "ACCEPTED"
    eq(ev.name, "HANDSHAKE_FAILED_PROTOCOL", "server event")
    eq(ev.value, 0x11000002, "ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH")
    t:silent(server, 100, "server with a NULL client")
end)

H.run()
