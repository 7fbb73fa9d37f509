//! ZMTP over WebSocket (ZWS 2.0, RFC 45, as libzmq 4.3 speaks it), sans
//! I/O: the HTTP/1.1 upgrade of RFC 6455 §4 with the `ZWS2.0/<MECHANISM>`
//! subprotocols, and the translation between WebSocket frames and the ZMTP
//! 3 frame byte stream the session speaks.
//!
//! On the wire every ZMTP frame is one final binary WebSocket message whose
//! payload is a flags byte (1 MORE, 2 COMMAND) and the frame body; there is
//! no ZMTP greeting (the subprotocol names the mechanism) and heartbeats
//! are WebSocket PING/PONG. Frames from a client are masked, a server's are
//! not. Fragmented, text and reserved-bit frames are refused, as is any
//! control frame over 125 bytes. Nothing here allocates by a length the
//! peer declares: bodies stream through, control payloads are at most 125
//! bytes, an HTTP head at most [`MAX_HEAD`].

use sha1::{Digest, Sha1};

/// RFC 6455 §1.3: appended to the client's key before hashing.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The longest HTTP head (request or answer) we read.
pub const MAX_HEAD: usize = 8192;

const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
/// ZWS 2.0 flags byte.
const WS_MORE: u8 = 1;
const WS_COMMAND: u8 = 2;
/// ZMTP 3 frame flags.
const ZMTP_MORE: u8 = 1;
const ZMTP_LONG: u8 = 2;
const ZMTP_COMMAND: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsError {
    /// The opening handshake broke RFC 6455 or offered no protocol of ours.
    Handshake,
    /// A frame broke RFC 6455 or ZWS 2.0.
    Frame,
}

/// The subprotocol both sides settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `ZWS2.0/<MECHANISM>`: the mechanism's handshake, as over tcp.
    Mechanism,
    /// Bare `ZWS2.0` (NULL only): each side's first message is its routing
    /// id; no commands.
    Bare,
}

/// The subprotocols a client offers for a mechanism (libzmq's list).
fn offered(mechanism: &str) -> String {
    if mechanism == "NULL" {
        "ZWS2.0/NULL,ZWS2.0".to_string()
    } else {
        format!("ZWS2.0/{mechanism}")
    }
}

/// Whether `name` (one subprotocol) is one we speak with `mechanism`.
fn speaks(name: &str, mechanism: &str) -> Option<Protocol> {
    match name.strip_prefix("ZWS2.0") {
        Some("") if mechanism == "NULL" => Some(Protocol::Bare),
        Some(rest) if rest.strip_prefix('/') == Some(mechanism) => Some(Protocol::Mechanism),
        _ => None,
    }
}

/// `Sec-WebSocket-Accept` for a client's key (RFC 6455 §4.2.2).
pub fn accept_key(key: &str) -> String {
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(ACCEPT_GUID);
    base64(&h.finalize())
}

/// RFC 4648 base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(TABLE[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The client's opening request (libzmq's headers, in its order).
pub fn client_request(host: &str, path: &str, mechanism: &str, key: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Protocol: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        offered(mechanism)
    )
    .into_bytes()
}

/// The length of the HTTP head at the start of `buf` (through the blank
/// line), once it is all there.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// An HTTP head: its first line and its header fields, names as sent.
struct Head<'a> {
    first: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Head<'a> {
    fn parse(head: &'a [u8]) -> Result<Head<'a>, WsError> {
        let text = std::str::from_utf8(head).map_err(|_| WsError::Handshake)?;
        let mut lines = text.split("\r\n");
        let first = lines.next().ok_or(WsError::Handshake)?;
        let mut fields = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (name, value) = line.split_once(':').ok_or(WsError::Handshake)?;
            fields.push((name.trim(), value.trim()));
        }
        Ok(Head { first, fields })
    }

    /// Every value of a field (names are case-insensitive).
    fn values(&self, name: &'a str) -> impl Iterator<Item = &'a str> + '_ {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The comma-separated tokens of every value of a field.
    fn tokens(&self, name: &'a str) -> impl Iterator<Item = &'a str> + '_ {
        self.values(name)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    fn is_upgrade(&self) -> bool {
        self.values("Upgrade")
            .any(|v| v.eq_ignore_ascii_case("websocket"))
            && self
                .tokens("Connection")
                .any(|t| t.eq_ignore_ascii_case("upgrade"))
    }
}

/// A server's reading of a client's request: the 101 answer to send and
/// the protocol chosen (the first the client offers that we speak).
pub fn server_answer(head: &[u8], mechanism: &str) -> Result<(Vec<u8>, Protocol), WsError> {
    let h = Head::parse(head)?;
    let mut request = h.first.split(' ');
    let (method, resource, version) = (request.next(), request.next(), request.next());
    if method != Some("GET")
        || resource.map_or(true, str::is_empty)
        || version != Some("HTTP/1.1")
        || request.next().is_some()
        || !h.is_upgrade()
    {
        return Err(WsError::Handshake);
    }
    let key = h
        .values("Sec-WebSocket-Key")
        .next()
        .ok_or(WsError::Handshake)?;
    if key.is_empty() {
        return Err(WsError::Handshake);
    }
    let (name, protocol) = h
        .tokens("Sec-WebSocket-Protocol")
        .find_map(|t| speaks(t, mechanism).map(|p| (t, p)))
        .ok_or(WsError::Handshake)?;
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {name}\r\n\r\n",
        accept_key(key)
    );
    Ok((answer.into_bytes(), protocol))
}

/// What a server that refuses the upgrade answers before it closes.
pub const BAD_REQUEST: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

/// A client's reading of the server's answer to its request with `key`.
pub fn check_server_answer(head: &[u8], key: &str, mechanism: &str) -> Result<Protocol, WsError> {
    let h = Head::parse(head)?;
    let mut status = h.first.split(' ');
    if status.next() != Some("HTTP/1.1") || status.next() != Some("101") || !h.is_upgrade() {
        return Err(WsError::Handshake);
    }
    let accept = h.values("Sec-WebSocket-Accept").next();
    if accept != Some(accept_key(key).as_str()) {
        return Err(WsError::Handshake);
    }
    let mut names = h.tokens("Sec-WebSocket-Protocol");
    match (names.next(), names.next()) {
        (Some(name), None) => speaks(name, mechanism).ok_or(WsError::Handshake),
        _ => Err(WsError::Handshake),
    }
}

/// A control frame that arrived (payload unmasked).
#[derive(Debug, PartialEq, Eq)]
pub enum Control {
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Vec<u8>),
}

/// One step of [`Inbound::decode`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Input bytes used.
    pub consumed: usize,
    /// ZMTP bytes written to the output.
    pub produced: usize,
    pub control: Option<Control>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InState {
    /// Waiting for a whole frame header.
    Header,
    /// Streaming a binary frame's body.
    Body,
}

/// WebSocket frames in, ZMTP 3 frames out.
#[derive(Debug)]
pub struct Inbound {
    /// Frames must be masked (we are the server) or must not be.
    masked: bool,
    state: InState,
    mask: [u8; 4],
    /// Payload offset of the next body byte (the flags byte was 0).
    mask_at: usize,
    body_left: u64,
    /// A ZMTP frame header still to hand out.
    header: [u8; 9],
    header_len: u8,
    header_pos: u8,
}

impl Inbound {
    pub fn new(masked: bool) -> Inbound {
        Inbound {
            masked,
            state: InState::Header,
            mask: [0; 4],
            mask_at: 0,
            body_left: 0,
            header: [0; 9],
            header_len: 0,
            header_pos: 0,
        }
    }

    /// Translates what it can of `input` into `out`, stopping after a
    /// control frame (for the caller to act on). A partial frame header
    /// is left in `input` (consumed 0) until more bytes arrive.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, WsError> {
        let mut d = Decoded::default();
        loop {
            // A synthesized ZMTP header first.
            while self.header_pos < self.header_len && d.produced < out.len() {
                out[d.produced] = self.header[self.header_pos as usize];
                d.produced += 1;
                self.header_pos += 1;
            }
            if self.header_pos < self.header_len {
                return Ok(d);
            }
            let rest = &input[d.consumed..];
            match self.state {
                InState::Body => {
                    let room = out.len() - d.produced;
                    let n = (self.body_left.min(rest.len() as u64) as usize).min(room);
                    let dst = &mut out[d.produced..d.produced + n];
                    dst.copy_from_slice(&rest[..n]);
                    if self.masked {
                        for (i, b) in dst.iter_mut().enumerate() {
                            *b ^= self.mask[(self.mask_at + i) & 3];
                        }
                        self.mask_at = (self.mask_at + n) & 3;
                    }
                    d.consumed += n;
                    d.produced += n;
                    self.body_left -= n as u64;
                    if self.body_left > 0 {
                        return Ok(d);
                    }
                    self.state = InState::Header;
                }
                InState::Header => match self.frame_header(rest)? {
                    None => return Ok(d),
                    Some((used, control)) => {
                        d.consumed += used;
                        if control.is_some() {
                            d.control = control;
                            return Ok(d);
                        }
                    }
                },
            }
        }
    }

    /// Reads one frame header from `b`: None if incomplete; for a control
    /// frame, the whole frame; for a binary one, its header and flags byte
    /// (the ZMTP header is then pending and the body streams).
    fn frame_header(&mut self, b: &[u8]) -> Result<Option<(usize, Option<Control>)>, WsError> {
        if b.len() < 2 {
            return Ok(None);
        }
        let (fin, rsv, opcode) = (b[0] & 0x80 != 0, b[0] & 0x70, b[0] & 0x0F);
        let masked = b[1] & 0x80 != 0;
        if !fin || rsv != 0 || masked != self.masked {
            return Err(WsError::Frame);
        }
        let control = match opcode {
            OP_BINARY => false,
            OP_CLOSE | OP_PING | OP_PONG => true,
            _ => return Err(WsError::Frame),
        };
        let (len, mut at) = match b[1] & 0x7F {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as u64, 4),
            127 if b.len() >= 10 => {
                let mut v = [0u8; 8];
                v.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(v), 10)
            }
            126 | 127 => return Ok(None),
            n => (n as u64, 2),
        };
        if len >> 63 != 0 || (control && len > 125) || (!control && len == 0) {
            return Err(WsError::Frame);
        }
        let mut mask = [0u8; 4];
        if self.masked {
            if b.len() < at + 4 {
                return Ok(None);
            }
            mask.copy_from_slice(&b[at..at + 4]);
            at += 4;
        }
        if control {
            let len = len as usize;
            if b.len() < at + len {
                return Ok(None);
            }
            let mut payload = b[at..at + len].to_vec();
            for (i, p) in payload.iter_mut().enumerate() {
                *p ^= mask[i & 3];
            }
            let c = match opcode {
                OP_PING => Control::Ping(payload),
                OP_PONG => Control::Pong(payload),
                _ => Control::Close(payload),
            };
            return Ok(Some((at + len, Some(c))));
        }
        // Binary: the flags byte, then the ZMTP frame it becomes.
        if b.len() < at + 1 {
            return Ok(None);
        }
        let ws_flags = b[at] ^ mask[0];
        at += 1;
        let size = len - 1;
        let mut flags = 0;
        if ws_flags & WS_MORE != 0 {
            flags |= ZMTP_MORE;
        }
        if ws_flags & WS_COMMAND != 0 {
            flags |= ZMTP_COMMAND;
        }
        if size > 255 {
            self.header[0] = flags | ZMTP_LONG;
            self.header[1..9].copy_from_slice(&size.to_be_bytes());
            self.header_len = 9;
        } else {
            self.header[0] = flags;
            self.header[1] = size as u8;
            self.header_len = 2;
        }
        self.header_pos = 0;
        self.mask = mask;
        self.mask_at = 1;
        self.body_left = size;
        self.state = InState::Body;
        Ok(Some((at, None)))
    }
}

/// A cheap generator of frame masks (xorshift64*): RFC 6455 wants them
/// unpredictable to the page's script, which a ZeroMQ peer does not have;
/// seeded from the OS per connection.
#[derive(Debug)]
struct Masks(u64);

impl Masks {
    fn next(&mut self) -> [u8; 4] {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32).to_be_bytes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    /// Collecting a ZMTP frame header (`have` bytes of it so far).
    Header,
    /// Copying a frame body.
    Body,
}

/// ZMTP 3 frames in, WebSocket frames out.
#[derive(Debug)]
pub struct Outbound {
    masks: Option<Masks>,
    state: OutState,
    header: [u8; 9],
    have: usize,
    mask: [u8; 4],
    mask_at: usize,
    body_left: u64,
}

impl Outbound {
    /// `seed` Some for a client (frames masked), None for a server.
    pub fn new(seed: Option<u64>) -> Outbound {
        Outbound {
            masks: seed.map(|s| Masks(s | 1)),
            state: OutState::Header,
            header: [0; 9],
            have: 0,
            mask: [0; 4],
            mask_at: 0,
            body_left: 0,
        }
    }

    fn frame_start(&mut self, opcode: u8, len: u64, out: &mut Vec<u8>) {
        let mask_bit = if self.masks.is_some() { 0x80 } else { 0 };
        out.push(0x80 | opcode);
        if len < 126 {
            out.push(mask_bit | len as u8);
        } else if len <= 0xFFFF {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
        self.mask = [0; 4];
        if let Some(m) = self.masks.as_mut() {
            self.mask = m.next();
            out.extend_from_slice(&self.mask);
        }
        self.mask_at = 0;
    }

    fn put_masked(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(bytes);
        if self.masks.is_some() {
            for (i, b) in out[start..].iter_mut().enumerate() {
                *b ^= self.mask[(self.mask_at + i) & 3];
            }
            self.mask_at = (self.mask_at + bytes.len()) & 3;
        }
    }

    /// A control frame (PING, PONG, CLOSE) with a payload of at most 125
    /// bytes (longer ones are cut there).
    pub fn control(&mut self, control: &Control, out: &mut Vec<u8>) {
        let (opcode, payload) = match control {
            Control::Ping(p) => (OP_PING, p),
            Control::Pong(p) => (OP_PONG, p),
            Control::Close(p) => (OP_CLOSE, p),
        };
        let payload = &payload[..payload.len().min(125)];
        self.frame_start(opcode, payload.len() as u64, out);
        self.put_masked(payload, out);
    }

    /// Translates all of `input` (a ZMTP 3 frame stream, cut anywhere)
    /// into WebSocket frames appended to `out`.
    pub fn encode(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            match self.state {
                OutState::Header => {
                    let need = if self.have > 0 && self.header[0] & ZMTP_LONG != 0 {
                        9
                    } else {
                        2
                    };
                    let n = (need - self.have).min(input.len());
                    self.header[self.have..self.have + n].copy_from_slice(&input[..n]);
                    self.have += n;
                    input = &input[n..];
                    if self.have < need || (need == 2 && self.header[0] & ZMTP_LONG != 0) {
                        continue;
                    }
                    let flags = self.header[0];
                    let size = if flags & ZMTP_LONG != 0 {
                        let mut v = [0u8; 8];
                        v.copy_from_slice(&self.header[1..9]);
                        u64::from_be_bytes(v)
                    } else {
                        self.header[1] as u64
                    };
                    self.have = 0;
                    let mut ws_flags = 0;
                    if flags & ZMTP_MORE != 0 {
                        ws_flags |= WS_MORE;
                    }
                    if flags & ZMTP_COMMAND != 0 {
                        ws_flags |= WS_COMMAND;
                    }
                    self.frame_start(OP_BINARY, size.saturating_add(1), out);
                    self.put_masked(&[ws_flags], out);
                    self.body_left = size;
                    if size > 0 {
                        self.state = OutState::Body;
                    }
                }
                OutState::Body => {
                    let n = self.body_left.min(input.len() as u64) as usize;
                    self.put_masked(&input[..n], out);
                    input = &input[n..];
                    self.body_left -= n as u64;
                    if self.body_left == 0 {
                        self.state = OutState::Header;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_is_rfc6455s_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn server_picks_the_first_protocol_it_speaks_and_the_client_checks_the_answer() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let req = client_request("127.0.0.1", "/x", "NULL", key);
        let (answer, p) = server_answer(&req[..head_len(&req).unwrap()], "NULL").unwrap();
        assert_eq!(p, Protocol::Mechanism);
        assert!(std::str::from_utf8(&answer)
            .unwrap()
            .contains("Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n"));
        assert_eq!(
            check_server_answer(&answer, key, "NULL"),
            Ok(Protocol::Mechanism)
        );
        // A wrong accept key, another mechanism: refused.
        assert!(check_server_answer(&answer, "AAAAAAAAAAAAAAAAAAAAAA==", "NULL").is_err());
        assert!(check_server_answer(&answer, key, "PLAIN").is_err());
        // A CURVE server does not take a NULL client; bare ZWS2.0 is NULL's.
        assert!(server_answer(&req, "CURVE").is_err());
        let bare = b"GET / HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
                     Sec-WebSocket-Key: abc\r\nSec-WebSocket-Protocol: ZWS2.0\r\n\r\n";
        assert_eq!(server_answer(bare, "NULL").unwrap().1, Protocol::Bare);
    }

    #[test]
    fn malformed_requests_are_refused() {
        for req in [
            &b"POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
            b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nbroken line\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
        ] {
            assert!(server_answer(req, "NULL").is_err());
        }
    }

    /// Runs ZMTP bytes through an Outbound and the matching Inbound in
    /// chunks of `chunk` bytes each way.
    fn round_trip(zmtp: &[u8], client: bool, chunk: usize) -> Vec<u8> {
        let mut enc = Outbound::new(client.then_some(0x1234_5678));
        let mut wire = Vec::new();
        for c in zmtp.chunks(chunk) {
            enc.encode(c, &mut wire);
        }
        let mut dec = Inbound::new(client);
        let mut back = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut out = vec![0u8; chunk.max(1)];
        for c in wire.chunks(chunk) {
            pending.extend_from_slice(c);
            loop {
                let d = dec.decode(&pending, &mut out).unwrap();
                back.extend_from_slice(&out[..d.produced]);
                pending.drain(..d.consumed);
                assert!(d.control.is_none());
                if d.consumed == 0 && d.produced == 0 {
                    break;
                }
            }
        }
        back
    }

    #[test]
    fn zmtp_frames_survive_the_trip_in_any_chunking_both_ways() {
        let mut zmtp = vec![0x04, 0x06, 0x05, b'R', b'E', b'A', b'D', b'Y'];
        zmtp.extend_from_slice(&[0x01, 0x00]); // empty MORE frame
        zmtp.extend_from_slice(&[0x00, 0x03, b'a', b'b', b'c']);
        zmtp.push(0x02); // a long frame
        zmtp.extend_from_slice(&70_000u64.to_be_bytes());
        zmtp.extend((0..70_000u32).map(|i| (i % 251) as u8));
        // Miri interprets: the byte-at-a-time chunkings take it minutes.
        let chunks: &[usize] = if cfg!(miri) {
            &[1000, 100_000]
        } else {
            &[1, 3, 7, 1000, 100_000]
        };
        for client in [false, true] {
            for &chunk in chunks {
                assert_eq!(round_trip(&zmtp, client, chunk), zmtp, "{client} {chunk}");
            }
        }
    }

    #[test]
    fn control_frames_stop_decoding_and_bad_frames_are_refused() {
        let mut enc = Outbound::new(Some(99));
        let mut wire = Vec::new();
        enc.control(&Control::Ping(b"hi".to_vec()), &mut wire);
        enc.encode(&[0x00, 0x01, b'x'], &mut wire);
        let mut dec = Inbound::new(true);
        let mut out = [0u8; 16];
        let d = dec.decode(&wire, &mut out).unwrap();
        assert_eq!(d.control, Some(Control::Ping(b"hi".to_vec())));
        let d2 = dec.decode(&wire[d.consumed..], &mut out).unwrap();
        assert_eq!(&out[..d2.produced], &[0x00, 0x01, b'x']);
        // Unmasked from a client, masked from a server, fragments, text,
        // reserved bits, long control frames, empty binary frames.
        for (masked, frame) in [
            (true, &[0x82u8, 0x01, 0x00][..]),
            (false, &[0x82, 0x81, 0, 0, 0, 0, 0][..]),
            (false, &[0x02, 0x01, 0x00][..]),
            (false, &[0x81, 0x01, b'a'][..]),
            (false, &[0xC2, 0x01, 0x00][..]),
            (false, &[0x89, 0x7E, 0x00, 0x7E][..]),
            (false, &[0x82, 0x00][..]),
            (false, &[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1][..]),
        ] {
            assert_eq!(
                Inbound::new(masked).decode(frame, &mut out),
                Err(WsError::Frame),
                "{frame:?}"
            );
        }
    }
}
