//! ws:// and wss:// (draft): endpoints `ws://host:port[/path]`, and
//! [`WsStream`], a tcp stream (through TLS for wss, see `io::tls`) that
//! speaks WebSocket underneath the ZMTP byte stream the
//! session reads and writes. The session runs its usual ZMTP 3 handshake
//! and framing over it, minus the greeting (the subprotocol names the
//! mechanism, see `zmtp::ws`); this module owns the opening handshake, the
//! frame translation and the WebSocket control frames.
//!
//! Writes the kernel does not take at once stay in the stream's own buffer
//! ([`WsStream::has_pending`]); the session keeps write interest until
//! they are out.

use std::io::{Error as IoError, ErrorKind};

use super::tls::{TlsSide, TlsStream};
use super::transport::Stream;
use crate::error::{Error, Result};
use crate::zmtp::ws::{self as codec, Control, Inbound, Outbound, Protocol, WsError};

/// What a ws endpoint adds to its tcp address: the Host header and the
/// resource a connecter asks for.
#[derive(Debug, Clone)]
pub struct WsTarget {
    pub host: String,
    pub path: String,
    /// wss://: this end's TLS settings (both sides carry them).
    pub tls: Option<TlsSide>,
}

/// What carries the WebSocket bytes: the tcp stream, or TLS over it.
#[derive(Debug)]
enum Carrier {
    Tcp(Stream),
    Tls(Box<TlsStream>),
}

impl Carrier {
    fn tcp(&self) -> &Stream {
        match self {
            Carrier::Tcp(s) => s,
            Carrier::Tls(t) => t.tcp(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Carrier::Tcp(s) => s.read(buf),
            Carrier::Tls(t) => t.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Carrier::Tcp(s) => s.write(buf),
            Carrier::Tls(t) => t.write(buf),
        }
    }

    fn has_pending(&self) -> bool {
        matches!(self, Carrier::Tls(t) if t.has_pending())
    }

    fn flush(&mut self) -> std::io::Result<bool> {
        match self {
            Carrier::Tcp(_) => Ok(true),
            Carrier::Tls(t) => t.flush(),
        }
    }
}

/// Splits `host:port[/path]` into the tcp address and the path ("/" when
/// none is given), as libzmq's ws_address does.
pub fn split(addr: &[u8]) -> Result<(&[u8], String)> {
    let text = std::str::from_utf8(addr).map_err(|_| Error::Invalid)?;
    // The path starts at the first '/' after the port's colon.
    let colon = text.rfind(':').ok_or(Error::Invalid)?;
    match text[colon..].find('/') {
        Some(i) => Ok((&addr[..colon + i], text[colon + i..].to_string())),
        None => Ok((addr, "/".to_string())),
    }
}

/// The Host header for a connect to `host:port` (libzmq sends the host
/// part as written).
pub fn host_of(hostport: &[u8]) -> String {
    let text = String::from_utf8_lossy(hostport);
    match text.rfind(':') {
        Some(i) => text[..i].to_string(),
        None => text.into_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the peer's half of the opening handshake.
    Opening,
    Open,
    /// A CLOSE came (and was answered) or the handshake failed.
    Closed,
}

/// Bytes read from the kernel at most per read while open.
const READ_CHUNK: usize = 64 * 1024;
/// Past this much waiting for the kernel, writes are refused (WouldBlock).
const OUT_LIMIT: usize = 256 * 1024;

#[derive(Debug)]
pub struct WsStream {
    inner: Carrier,
    state: State,
    client: bool,
    mechanism: &'static str,
    /// The client's Sec-WebSocket-Key.
    key: String,
    protocol: Option<Protocol>,
    /// Received bytes not yet translated (the head while opening).
    raw: Vec<u8>,
    raw_pos: usize,
    inbound: Inbound,
    outbound: Outbound,
    /// Bytes for the kernel, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    /// Frames the session wrote before the handshake was done.
    held: Vec<u8>,
    /// A frame came in since the session last asked (heartbeats).
    heard: bool,
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_err() {
        // Masks need not be secret from a ZeroMQ peer; time will do.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return t ^ (std::process::id() as u64) << 32;
    }
    u64::from_ne_bytes(b)
}

fn protocol_error() -> IoError {
    IoError::new(ErrorKind::InvalidData, "ws protocol error")
}

impl WsStream {
    /// Wraps a connected tcp stream (in TLS when `tls` is given). A
    /// client sends its request at once; `mechanism` is the socket's
    /// ("NULL", "PLAIN", "CURVE").
    pub fn new(
        tcp: Stream,
        target: Option<&WsTarget>,
        tls: Option<&TlsSide>,
        mechanism: &'static str,
    ) -> std::io::Result<WsStream> {
        let client = target.is_some();
        let inner = match tls {
            Some(side) => Carrier::Tls(Box::new(TlsStream::new(tcp, side)?)),
            None => Carrier::Tcp(tcp),
        };
        let mut s = WsStream {
            inner,
            state: State::Opening,
            client,
            mechanism,
            key: String::new(),
            protocol: None,
            raw: Vec::new(),
            raw_pos: 0,
            inbound: Inbound::new(!client),
            outbound: Outbound::new(client.then(random_u64)),
            out: Vec::new(),
            out_pos: 0,
            held: Vec::new(),
            heard: false,
        };
        if let Some(t) = target {
            // RFC 6455 §4.1: 16 random bytes; only a proxy cache cares.
            let nonce = [random_u64().to_ne_bytes(), random_u64().to_ne_bytes()].concat();
            s.key = codec::base64(&nonce);
            s.out = codec::client_request(&t.host, &t.path, mechanism, &s.key);
        }
        Ok(s)
    }

    /// The tcp stream underneath.
    pub fn inner(&self) -> &Stream {
        self.inner.tcp()
    }

    /// The endpoint scheme: "ws" or "wss".
    pub fn scheme(&self) -> &'static str {
        match self.inner {
            Carrier::Tcp(_) => "ws",
            Carrier::Tls(_) => "wss",
        }
    }

    /// The subprotocol, once the opening handshake is done.
    pub fn protocol(&self) -> Option<Protocol> {
        self.protocol
    }

    /// Whether a frame arrived since the last call.
    pub fn take_heard(&mut self) -> bool {
        std::mem::take(&mut self.heard)
    }

    /// Bytes wait for the kernel.
    pub fn has_pending(&self) -> bool {
        self.out_pos < self.out.len() || self.inner.has_pending()
    }

    /// Queues a WebSocket PING (ZWS heartbeats).
    pub fn ping(&mut self) {
        if self.state == State::Open {
            self.outbound
                .control(&Control::Ping(Vec::new()), &mut self.out);
        }
    }

    /// Writes what waits for the kernel: Ok(true) once all is out.
    pub fn flush_pending(&mut self) -> std::io::Result<bool> {
        while self.out_pos < self.out.len() {
            match self.inner.write(&self.out[self.out_pos..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        self.inner.flush()
    }

    /// Takes the session's ZMTP bytes (all of them, unless the kernel is
    /// far behind).
    pub fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.state == State::Closed {
            return Err(ErrorKind::BrokenPipe.into());
        }
        self.flush_pending()?;
        if self.out.len() - self.out_pos > OUT_LIMIT {
            return Err(ErrorKind::WouldBlock.into());
        }
        if self.state == State::Opening {
            self.outbound.encode(buf, &mut self.held);
            return Ok(buf.len());
        }
        self.outbound.encode(buf, &mut self.out);
        self.flush_pending()?;
        Ok(buf.len())
    }

    pub fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let mut n = 0;
        for b in bufs {
            match self.write(b) {
                Ok(k) => n += k,
                Err(e) if n > 0 && e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Reads from the kernel into `raw` (at most `max` bytes).
    fn fill(&mut self, max: usize) -> std::io::Result<usize> {
        if self.raw_pos > 0 && self.raw_pos == self.raw.len() {
            self.raw.clear();
            self.raw_pos = 0;
        } else if self.raw_pos > READ_CHUNK {
            self.raw.drain(..self.raw_pos);
            self.raw_pos = 0;
        }
        let have = self.raw.len();
        self.raw.resize(have + max, 0);
        let r = self.inner.read(&mut self.raw[have..]);
        self.raw.truncate(have + *r.as_ref().unwrap_or(&0));
        r
    }

    /// Reads the peer's half of the opening handshake: Ok(true) once the
    /// stream is open (a server has queued its answer), Ok(false) while
    /// more is needed, Err(InvalidData) when it is refused (a server has
    /// answered 400), another error when the connection failed.
    pub fn open_step(&mut self) -> std::io::Result<bool> {
        while self.state == State::Opening {
            if let Some(len) = codec::head_len(&self.raw) {
                match self.open(len) {
                    Ok(()) => break,
                    Err(_) => {
                        if !self.client {
                            self.out.extend_from_slice(codec::BAD_REQUEST);
                            let _ = self.flush_pending();
                        }
                        self.state = State::Closed;
                        return Err(protocol_error());
                    }
                }
            }
            if self.raw.len() >= codec::MAX_HEAD {
                self.state = State::Closed;
                return Err(protocol_error());
            }
            match self.fill(codec::MAX_HEAD - self.raw.len()) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.flush_pending()?;
        Ok(self.state == State::Open)
    }

    /// The head (`len` bytes of `raw`) is in: check it, answer it.
    fn open(&mut self, len: usize) -> std::result::Result<(), WsError> {
        let head = &self.raw[..len];
        let protocol = if self.client {
            codec::check_server_answer(head, &self.key, self.mechanism)?
        } else {
            let (answer, protocol) = codec::server_answer(head, self.mechanism)?;
            self.out.extend_from_slice(&answer);
            protocol
        };
        self.raw_pos = len;
        self.protocol = Some(protocol);
        self.state = State::Open;
        self.out.append(&mut self.held);
        Ok(())
    }

    /// Fills `buf` with the ZMTP bytes the peer's frames carry. A short
    /// count means the kernel had no more (as a plain socket's read).
    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut produced = 0;
        loop {
            match self.state {
                State::Closed => return Ok(produced),
                State::Opening => return Err(ErrorKind::WouldBlock.into()),
                State::Open => {
                    let d = self
                        .inbound
                        .decode(&self.raw[self.raw_pos..], &mut buf[produced..])
                        .map_err(|_| protocol_error())?;
                    self.raw_pos += d.consumed;
                    produced += d.produced;
                    self.heard |= d.consumed > 0;
                    match d.control {
                        Some(Control::Ping(payload)) => {
                            // RFC 6455 §5.5.3: the PONG echoes the payload.
                            let pong = Control::Pong(payload);
                            self.outbound.control(&pong, &mut self.out);
                            self.flush_pending()?;
                        }
                        Some(Control::Close(payload)) => {
                            // Answer with the status code, then end.
                            let code = payload.get(..2).unwrap_or(&[]).to_vec();
                            self.outbound.control(&Control::Close(code), &mut self.out);
                            let _ = self.flush_pending();
                            self.state = State::Closed;
                            continue;
                        }
                        Some(Control::Pong(_)) | None => {}
                    }
                    if produced == buf.len() {
                        return Ok(produced);
                    }
                    if d.consumed > 0 || d.produced > 0 {
                        continue;
                    }
                    // Everything buffered is translated: more from the kernel.
                    match self.fill(READ_CHUNK) {
                        Ok(0) if produced > 0 => return Ok(produced),
                        Ok(0) => return Ok(0),
                        Ok(_) => {}
                        Err(e) if produced > 0 && e.kind() == ErrorKind::WouldBlock => {
                            return Ok(produced)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}
