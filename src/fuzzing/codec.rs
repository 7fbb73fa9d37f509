//! Targets over the stateless (or single-step) parsers: greeting and
//! version detection, the frame decoder, commands and metadata, Z85,
//! endpoints, the ws:// opening and framing, and the SOCKS5 replies.

use super::{pieces, Chunks, Input};
use crate::io::session::{classify, compatible, prepare_inbuf, socket_type_name, DIRECT_READ_MIN};
use crate::msg::{flags, Msg, SharedBuf};
use crate::socket::pattern::kind;
use crate::zmtp::command::{self, Command};
use crate::zmtp::frame::{self, Decoder};
use crate::zmtp::greeting::{self, Detection, Greeting, PeerVersion, GREETING_SIZE};
use crate::zmtp::mechanism::{accept_properties, peer_error, TypeCheck};
use crate::zmtp::{ws as zws, zap, ProtocolError};

/// Every socket type a session may run for.
pub(crate) const SOCKET_TYPES: [i32; 21] = [
    kind::PAIR,
    kind::PUB,
    kind::SUB,
    kind::REQ,
    kind::REP,
    kind::DEALER,
    kind::ROUTER,
    kind::PULL,
    kind::PUSH,
    kind::XPUB,
    kind::XSUB,
    kind::STREAM,
    kind::SERVER,
    kind::CLIENT,
    kind::RADIO,
    kind::DISH,
    kind::GATHER,
    kind::SCATTER,
    kind::DGRAM,
    kind::PEER,
    kind::CHANNEL,
];

pub(crate) fn socket_type(sel: u8) -> i32 {
    SOCKET_TYPES[sel as usize % SOCKET_TYPES.len()]
}

pub(crate) fn type_check(t: i32) -> TypeCheck {
    Box::new(move |peer: &[u8]| compatible(t, peer))
}

/// Greeting and version detection: every prefix of the peer's first bytes.
pub fn greeting(data: &[u8]) {
    let mut decided = None;
    for n in 0..=data.len().min(GREETING_SIZE + 8) {
        match greeting::detect(&data[..n]) {
            Detection::NeedBytes(k) => {
                assert!(k > n && k <= 12, "asks for {k} bytes having {n}");
                assert!(decided.is_none(), "undecided again at {n}");
            }
            Detection::Version(v) => {
                assert!(n >= 1);
                // More bytes never change the verdict.
                assert!(decided.map_or(true, |d| d == v), "{decided:?} then {v:?}");
                decided = Some(v);
            }
        }
    }
    let Some(head) = data.get(..GREETING_SIZE) else {
        return;
    };
    let mut g = [0u8; GREETING_SIZE];
    g.copy_from_slice(head);
    if let Ok(parsed) = Greeting::parse(&g) {
        assert!(matches!(
            parsed.version,
            PeerVersion::V3_0 | PeerVersion::V3_1
        ));
        for name in [&b"NULL"[..], b"PLAIN", b"CURVE", b"GSSAPI", b""] {
            let _ = parsed.mechanism_is(name);
        }
        // Ours, with the peer's mechanism field, reads back the same.
        let name_len = parsed.mechanism.iter().position(|&b| b == 0).unwrap_or(20);
        let ours = greeting::encode(
            head[1] as usize,
            &parsed.mechanism[..name_len],
            parsed.as_server,
        );
        let back = Greeting::parse(&ours).expect("our greeting parses");
        assert!(back.mechanism_is(&parsed.mechanism[..name_len]));
        assert_eq!(back.as_server, parsed.as_server);
    }
}

/// `ZMQ_MAXMSGSIZE` values worth telling apart (no "unlimited": a declared
/// size is allocated up front, as libzmq does, which a fuzzer's malloc
/// limit reports as an out-of-memory).
const MAX_SIZES: [u64; 9] = [0, 1, 254, 255, 256, 8191, 8192, 70_000, 1 << 20];

/// One decoded frame: (MORE, COMMAND, body).
type Frame = (bool, bool, Vec<u8>);

fn record(msg: &Msg, out: &mut Vec<Frame>, max: u64) {
    assert!(
        msg.size() as u64 <= max,
        "frame of {} over {max}",
        msg.size()
    );
    out.push((
        msg.more(),
        msg.flags() & flags::COMMAND != 0,
        msg.data().to_vec(),
    ));
}

/// Decodes `stream` in one call: the reference the other paths must match.
fn decode_whole(stream: &[u8], max: u64) -> (Vec<Frame>, Result<(), ProtocolError>) {
    let mut d = Decoder::new(Some(max));
    let mut frames = Vec::new();
    let r = d
        .decode(stream, &mut |m| {
            record(m, &mut frames, max);
            true
        })
        .map(|n| assert_eq!(n, stream.len(), "an accepting sink consumes everything"));
    (frames, r)
}

/// The v2/v3 frame decoder, fed the way the session reads: chunks through
/// the shared read buffer (bodies sliced out of it or read straight into a
/// large message) or copied, with a sink that sometimes pushes back. Every
/// path must give the frames (or the error) a one-shot decode gives, and
/// the frames must survive re-encoding.
pub fn frame(data: &[u8]) {
    let mut input = Input::new(data);
    let max = MAX_SIZES[input.byte() as usize % MAX_SIZES.len()];
    let mut chunks = Chunks::new(input.byte());
    let mode = input.byte();
    let shared = mode & 1 != 0;
    // Push back on every k-th frame (0: never).
    let refuse_every = (mode >> 1) as usize % 5;
    let stream = input.rest();

    let (want, want_result) = decode_whole(stream, max);
    let mut got = Vec::new();
    let mut seen = 0usize;
    let mut decoder = Decoder::new(Some(max));
    let mut result = Ok(());
    let mut sink = |m: &mut Msg| {
        record(m, &mut got, max);
        seen += 1;
        !(refuse_every != 0 && seen % refuse_every == 0)
    };
    let mut fed = 0;
    if shared {
        let mut inbuf: Option<SharedBuf> = None;
        let mut in_pos = 0usize;
        'read: while fed < stream.len() {
            let consumed = inbuf.as_ref().map_or(0, |b| b.filled().len()) == in_pos;
            match decoder.body_remaining() {
                Some(rest) if consumed && rest.len() >= DIRECT_READ_MIN => {
                    let n = chunks.next(stream.len() - fed).min(rest.len());
                    rest[..n].copy_from_slice(&stream[fed..fed + n]);
                    fed += n;
                    decoder.body_filled(n);
                }
                _ => {
                    let Ok(buf) =
                        prepare_inbuf(&mut inbuf, &mut in_pos, crate::io::session::READ_BUF, None)
                    else {
                        return;
                    };
                    let spare = buf.spare_mut();
                    let n = chunks.next(stream.len() - fed).min(spare.len());
                    spare[..n].copy_from_slice(&stream[fed..fed + n]);
                    buf.advance(n);
                    fed += n;
                }
            }
            loop {
                let filled = inbuf.as_ref().map_or(0, |b| b.filled().len());
                if in_pos >= filled && !decoder.has_ready() {
                    break;
                }
                let had_ready = decoder.has_ready();
                let r = match inbuf.as_ref() {
                    Some(buf) => decoder.decode_shared(buf, in_pos, &mut sink),
                    None => decoder.decode(&[], &mut sink),
                };
                match r {
                    Ok(n) => {
                        assert!(n > 0 || had_ready, "the decoder made no progress");
                        in_pos += n;
                    }
                    Err(e) => {
                        result = Err(e);
                        break 'read;
                    }
                }
            }
        }
    } else {
        let mut pending: Vec<u8> = Vec::new();
        'feed: while fed < stream.len() {
            let n = chunks.next(stream.len() - fed);
            pending.extend_from_slice(&stream[fed..fed + n]);
            fed += n;
            let mut pos = 0;
            while pos < pending.len() {
                match decoder.decode(&pending[pos..], &mut sink) {
                    Ok(used) => {
                        assert!(used > 0, "the decoder made no progress");
                        pos += used;
                    }
                    Err(e) => {
                        result = Err(e);
                        break 'feed;
                    }
                }
            }
            pending.clear();
        }
    }
    assert_eq!(
        result, want_result,
        "chunked and one-shot decoding disagree"
    );
    assert!(
        got == want,
        "chunked and one-shot decoding gave different frames"
    );
    if result.is_err() {
        return;
    }
    // The frames, encoded again, decode to themselves.
    let mut again = Vec::new();
    for (more, cmd, body) in &got {
        let mut header = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(body.len(), *more, *cmd, &mut header);
        again.extend_from_slice(&header[..n]);
        again.extend_from_slice(body);
    }
    let (back, r) = decode_whole(&again, max);
    assert_eq!(r, Ok(()));
    assert!(back == got, "re-encoded frames decode differently");
}

/// Command bodies, metadata property lists, a peer's ERROR reason, what a
/// session does with a command after the handshake, and ZAP replies.
pub fn command(data: &[u8]) {
    let mut input = Input::new(data);
    let sel = input.byte();
    let body = input.rest();
    match Command::parse(body) {
        Ok(Command::Ping { context, .. }) => assert!(context.len() <= 16),
        Ok(Command::Error(reason)) => {
            let mut again = Vec::new();
            command::encode_error(reason, &mut again);
            assert_eq!(again, body);
            let _ = peer_error(reason);
        }
        Ok(_) | Err(_) => {}
    }
    // A property list that parses is canonical: it encodes back to itself.
    if let Ok(props) = command::parse_properties(body) {
        let mut again = Vec::new();
        for (n, v) in &props {
            assert!(!n.is_empty());
            command::encode_property(n, v, &mut again);
        }
        assert_eq!(again, body);
    }
    // Metadata keeps the last value of a name, cut at a NUL for C.
    if let (Ok(meta), Ok(props)) = (
        command::metadata_from_properties(body),
        command::parse_properties(body),
    ) {
        for (n, _) in &props {
            let last = props
                .iter()
                .rev()
                .find(|(k, _)| k == n)
                .map_or(&[][..], |p| p.1);
            let want = last.split(|&b| b == 0).next().unwrap_or(&[]);
            assert_eq!(meta.get(n).map(|c| c.to_bytes()), Some(want));
        }
    }
    let t = socket_type(sel);
    if let Ok(props) = accept_properties(body, &type_check(t)) {
        if let Some((_, v)) = props.iter().find(|(n, _)| n == b"Socket-Type") {
            assert!(compatible(t, v));
        }
    }
    // After the handshake (RADIO turns JOIN/LEAVE into messages).
    if let Ok(mut m) = Msg::from_slice(body) {
        m.set_flags(flags::COMMAND);
        let _ = classify(m, sel & 1 != 0);
    }
    // ZAP: the rest as length-prefixed frames, MORE on all but the last
    // unless the selector says otherwise.
    let parts = pieces(body);
    let frames: Vec<(Vec<u8>, bool)> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.to_vec(),
                (i + 1 < parts.len()) ^ (sel >> (i % 8) & 0x80 != 0),
            )
        })
        .collect();
    if let Ok(reply) = zap::parse_reply(&frames) {
        assert!(matches!(reply.status, 200 | 300 | 400 | 500));
    }
}

/// Z85 (RFC 32), through the core and through `zmq_z85_decode` /
/// `zmq_curve_public` as a C program calls them.
pub fn z85(data: &[u8]) {
    use crate::util::z85;
    if let Some(bytes) = z85::decode(data) {
        assert_eq!(bytes.len() * 5, data.len() * 4);
        // Decoding is strict, so text that decodes is the canonical text.
        assert_eq!(z85::encode(&bytes).as_deref(), Some(data));
    }
    if let Some(text) = z85::encode(data) {
        assert_eq!(text.len() * 4, data.len() * 5);
        if !data.is_empty() {
            assert_eq!(z85::decode(&text).as_deref(), Some(data));
        }
    }
    let text: Vec<u8> = data.iter().copied().filter(|&b| b != 0).collect();
    let Ok(c) = std::ffi::CString::new(text.clone()) else {
        return;
    };
    let mut dest = vec![0u8; text.len() * 4 / 5 + 1];
    // SAFETY: `c` is NUL-terminated and `dest` has the strlen * 4 / 5 bytes
    // zmq_z85_decode's contract asks for.
    let r = unsafe { crate::capi::util::zmq_z85_decode(dest.as_mut_ptr(), c.as_ptr()) };
    assert_eq!(r.is_null(), z85::decode(&text).is_none());
    let mut public = [0 as std::ffi::c_char; 41];
    // SAFETY: `c` is NUL-terminated and `public` has the 41 bytes asked for.
    let rc = unsafe { crate::capi::util::zmq_curve_public(public.as_mut_ptr(), c.as_ptr()) };
    assert_eq!(rc == 0, text.len() == 40 && z85::decode(&text).is_some());
}

/// Whether resolving a tcp address would stay off the network: its source
/// part (before ';'), if any, must be `*` or an IP literal (a name is
/// looked up by the resolver, which a fuzzer must not call).
fn tcp_source_is_literal(addr: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(addr) else {
        return true;
    };
    let Some((src, _)) = text.split_once(';') else {
        return true;
    };
    let host = match src.rsplit_once(':') {
        Some((h, _)) if !h.is_empty() && !h.ends_with(':') => h,
        _ => src,
    };
    let host = host
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(host);
    host == "*" || host.parse::<std::net::IpAddr>().is_ok()
}

/// Endpoint parsing as zmq_bind/zmq_connect do it, short of the syscalls
/// that bind or connect (and of DNS).
pub fn endpoint(data: &[u8]) {
    use crate::io::{transport, udp, ws};
    use crate::socket::Endpoint;
    let mut input = Input::new(data);
    let ipv6 = input.byte() & 1 != 0;
    let addr = input.rest();
    let resolve = |a: &[u8]| {
        if tcp_source_is_literal(a) {
            let _ = transport::resolve_tcp(a, ipv6);
            let _ = transport::socks_target(a, b"127.0.0.1:1080", ipv6, b"u", b"p");
        }
    };
    match Endpoint::parse(addr) {
        Ok(Endpoint::Tcp(a)) => resolve(a),
        Ok(Endpoint::Ipc(p)) => {
            let _ = transport::resolve_ipc(p);
        }
        // Binding resolves interface names (getifaddrs), connecting
        // host names (DNS): only the former here.
        Ok(Endpoint::Udp(a)) => {
            let _ = udp::parse(a, true, ipv6);
        }
        Ok(Endpoint::Ws(a) | Endpoint::Wss(a)) => {
            if let Ok((hostport, path)) = ws::split(a) {
                assert!(path.starts_with('/'));
                let _ = ws::host_of(hostport);
                resolve(hostport);
            }
        }
        Ok(Endpoint::Inproc(name)) => assert!(!name.is_empty()),
        Err(_) => {}
    }
}

/// ws:// (RFC 6455, ZWS 2.0): the opening handshake both ways, WebSocket
/// frames from the peer turned into ZMTP bytes in arbitrary pieces, and
/// ZMTP frames surviving a trip through our encoder and decoder.
pub fn ws(data: &[u8]) {
    let mut input = Input::new(data);
    let sel = input.byte();
    let mut chunks = Chunks::new(input.byte());
    let rest = input.rest();
    let mechanism = ["NULL", "PLAIN", "CURVE"][sel as usize % 3];
    match sel >> 2 & 3 {
        0 => {
            let _ = zws::head_len(rest);
            if let Some(n) = zws::head_len(rest) {
                assert!(n <= rest.len());
                if let Ok((answer, _)) = zws::server_answer(&rest[..n], mechanism) {
                    assert!(zws::head_len(&answer).is_some());
                }
            }
        }
        1 => {
            let key = "dGhlIHNhbXBsZSBub25jZQ==";
            if let Some(n) = zws::head_len(rest) {
                let _ = zws::check_server_answer(&rest[..n], key, mechanism);
            }
        }
        2 => {
            // The peer's frames, decoded as the stream does.
            let masked = sel & 0x10 != 0;
            let mut dec = zws::Inbound::new(masked);
            let mut out = vec![0u8; 1 + (sel as usize >> 5) * 997];
            let mut pending: Vec<u8> = Vec::new();
            let mut fed = 0;
            while fed < rest.len() {
                let n = chunks.next(rest.len() - fed);
                pending.extend_from_slice(&rest[fed..fed + n]);
                fed += n;
                loop {
                    let Ok(d) = dec.decode(&pending, &mut out) else {
                        return;
                    };
                    assert!(d.consumed <= pending.len() && d.produced <= out.len());
                    pending.drain(..d.consumed);
                    if d.consumed == 0 && d.produced == 0 && d.control.is_none() {
                        break;
                    }
                }
            }
        }
        _ => {
            // Our ZMTP frames, framed and unframed in pieces.
            let client = sel & 0x10 != 0;
            let mut zmtp = Vec::new();
            for (i, p) in pieces(rest).iter().enumerate() {
                let mut header = [0u8; frame::MAX_HEADER];
                let n = frame::encode_header(p.len(), i % 3 == 1, i % 5 == 4, &mut header);
                zmtp.extend_from_slice(&header[..n]);
                zmtp.extend_from_slice(p);
            }
            let mut enc = zws::Outbound::new(client.then_some(u64::from(sel)));
            let mut wire = Vec::new();
            let mut at = 0;
            while at < zmtp.len() {
                let n = chunks.next(zmtp.len() - at);
                enc.encode(&zmtp[at..at + n], &mut wire);
                at += n;
            }
            let mut dec = zws::Inbound::new(client);
            let mut back = Vec::new();
            let mut out = vec![0u8; 1 + (sel as usize >> 5) * 331];
            let mut pos = 0;
            loop {
                let d = dec
                    .decode(&wire[pos..], &mut out)
                    .expect("our own frames decode");
                assert!(d.control.is_none());
                back.extend_from_slice(&out[..d.produced]);
                pos += d.consumed;
                if d.consumed == 0 && d.produced == 0 {
                    break;
                }
            }
            assert_eq!(pos, wire.len());
            assert!(
                back == zmtp,
                "ZMTP bytes changed on the way through ws framing"
            );
        }
    }
}

/// The SOCKS5 client handshake against arbitrary proxy replies, read
/// `wants()` bytes at a time as the session reads them.
pub fn socks(data: &[u8]) {
    use crate::io::socks::{Socks5, SocksRequest, Step};
    let mut input = Input::new(data);
    let sel = input.byte();
    let req = SocksRequest {
        host: ["example.org", "127.0.0.1", "::1", ""][sel as usize % 4].to_string(),
        port: u16::from(sel) << 4 | 1,
        username: if sel & 0x10 != 0 {
            b"user".to_vec()
        } else {
            Vec::new()
        },
        password: if sel & 0x20 != 0 {
            b"secret".to_vec()
        } else {
            Vec::new()
        },
    };
    let mut s = Socks5::new(req);
    assert!(!s.greeting().is_empty());
    for _ in 0..8 {
        let want = s.wants();
        assert!((1..=262).contains(&want), "wants {want}");
        let got = input.take(want);
        if got.len() < want {
            return;
        }
        match s.feed(got) {
            Ok(Step::Done) | Err(_) => return,
            Ok(Step::Send(bytes)) => assert!(!bytes.is_empty()),
            Ok(Step::Read) => {}
        }
    }
    panic!("SOCKS5 took more than 8 steps");
}

/// The socket type names a session announces, for the session target.
pub(crate) fn type_name(t: i32) -> &'static [u8] {
    socket_type_name(t)
}
