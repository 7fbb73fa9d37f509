//! The structure-aware target: a whole connection's inbound state machine
//! (greeting and version detection, the mechanism's handshake, then
//! messages: CURVE boxes, commands after the handshake, RADIO/DISH groups)
//! fed arbitrary peer bytes in arbitrary reads.
//!
//! `io::session::Session` owns a socket, a reactor and pipes, so this
//! driver repeats its inbound steps (`read_input`, `process_buffered`,
//! `advance_greeting`, `complete_handshake`) over the same sans-I/O pieces
//! and the same helpers (`prepare_inbuf`, `classify`, `unbox`): keep the
//! two in step when the session changes.
//!
//! Input: socket type, security, options, a chunking seed, then the
//! peer's bytes from its first greeting byte on (as captured).

use super::codec::{socket_type, type_check, type_name};
use super::handshake::{curve_client, curve_server, send_commands, Zap};
use super::{Chunks, Input};
use crate::io::session::{
    greeting_want, open_frame, prepare_inbuf, Frame, Groups, DIRECT_READ_MIN, READ_BUF,
};
use crate::msg::{flags, Msg, SharedBuf};
use crate::socket::pattern::kind;
use crate::zmtp::command;
use crate::zmtp::curve::Codec;
use crate::zmtp::frame::{self, Decoder};
use crate::zmtp::greeting::{self, Detection, Greeting, PeerVersion};
use crate::zmtp::greeting::{GREETING_SIZE, SIGNATURE_SIZE};
use crate::zmtp::mechanism::{LocalProperties, Mechanism, Null, Status};
use crate::zmtp::plain::{PlainClient, PlainServer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Greeting,
    Handshake,
    Active,
}

/// The connection is over (the session would drop it).
struct Closed;

struct Driver {
    socket_type: i32,
    raw: bool,
    secure: bool,
    phase: Phase,
    greeting: [u8; GREETING_SIZE],
    greeting_len: usize,
    major_sent: bool,
    greeting_sent: bool,
    peer_v2: bool,
    mechanism: Box<dyn Mechanism>,
    zap: Zap,
    /// A 300 verdict (or none yet): nothing more is decoded.
    zap_stuck: bool,
    decoder: Decoder,
    max: u64,
    inbuf: Option<SharedBuf>,
    in_pos: usize,
    codec: Option<Box<Codec>>,
    groups: Groups,
    dish_group: Option<Msg>,
    /// What we send, as written to the socket.
    out: Vec<u8>,
    /// The pipe to the socket: room for `hwm` messages until it is read.
    hwm: usize,
    queued: usize,
    pending_in: Option<Msg>,
    delivered: usize,
}

const MAX_SIZES: [u64; 6] = [0, 64, 255, 8192, 70_000, 1 << 20];

impl Driver {
    fn new(socket_type: i32, sec: u8, opts: u8) -> Option<Driver> {
        let t = socket_type;
        let identity = matches!(t, kind::REQ | kind::DEALER | kind::ROUTER);
        let local = LocalProperties {
            socket_type: type_name(t),
            identity: identity.then(|| b"fuzz-id".to_vec()),
            app: Vec::new(),
        };
        let check = type_check(t);
        let mechanism: Box<dyn Mechanism> = match sec % 6 {
            0 => Box::new(Null::new(local, check)),
            1 => Box::new(Null::new(local, check).with_zap()),
            2 => Box::new(PlainClient::new(local, check, b"admin", b"password")),
            3 => Box::new(PlainServer::new(local, check)),
            4 => Box::new(curve_client(t, sec & 0x20)?),
            _ => Box::new(curve_server(t, sec & 0x20)),
        };
        let max = MAX_SIZES[opts as usize % MAX_SIZES.len()];
        Some(Driver {
            socket_type: t,
            raw: t == kind::STREAM,
            secure: sec % 6 != 0,
            phase: Phase::Greeting,
            greeting: [0; GREETING_SIZE],
            greeting_len: 0,
            major_sent: false,
            greeting_sent: false,
            peer_v2: false,
            mechanism,
            zap: Zap::from_selector(sec >> 3),
            zap_stuck: false,
            decoder: Decoder::new(Some(max)),
            max,
            inbuf: None,
            in_pos: 0,
            codec: None,
            groups: match t {
                kind::RADIO => Groups::Radio,
                kind::DISH => Groups::Dish,
                _ => Groups::None,
            },
            dish_group: None,
            out: Vec::new(),
            hwm: 1 + (opts as usize >> 3) % 16,
            queued: 0,
            pending_in: None,
            delivered: 0,
        })
    }

    /// The start of a connection: our signature goes out at once.
    fn start(&mut self) {
        let identity = if matches!(self.socket_type, kind::REQ | kind::DEALER | kind::ROUTER) {
            7
        } else {
            0
        };
        if !self.raw {
            self.out.extend_from_slice(&greeting::signature(identity));
        }
    }

    /// One read of `bytes` from the peer, as `read_input` does it.
    fn read(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        // The socket drains its pipe between reads.
        self.queued = 0;
        self.process_buffered()?;
        if self.zap_stuck {
            // Only buffered (read_while_zap_decides); never decoded.
            return Ok(());
        }
        let consumed = self.inbuf.as_ref().map_or(0, |b| b.filled().len()) == self.in_pos;
        match self.decoder.body_remaining() {
            Some(rest) if consumed && rest.len() >= DIRECT_READ_MIN && !self.raw => {
                let n = bytes.len().min(rest.len());
                rest[..n].copy_from_slice(&bytes[..n]);
                self.decoder.body_filled(n);
                if n < bytes.len() {
                    // The rest arrives with the next read.
                    self.process_buffered()?;
                    return self.read(&bytes[n..]);
                }
            }
            _ => {
                let buf = prepare_inbuf(&mut self.inbuf, &mut self.in_pos, READ_BUF, None)
                    .map_err(|_| Closed)?;
                let spare = buf.spare_mut();
                let n = bytes.len().min(spare.len());
                spare[..n].copy_from_slice(&bytes[..n]);
                buf.advance(n);
                if n < bytes.len() {
                    self.process_buffered()?;
                    self.queued = 0;
                    return self.read(&bytes[n..]);
                }
            }
        }
        self.process_buffered()
    }

    /// Delivers to the pipe; false when it is full (the message waits).
    fn deliver(&mut self, msg: Msg) -> bool {
        if self.queued >= self.hwm {
            self.pending_in = Some(msg);
            return false;
        }
        assert!(msg.size() as u64 <= self.max || self.raw || msg.flags() & flags::COMMAND != 0);
        self.queued += 1;
        self.delivered += 1;
        true
    }

    fn process_buffered(&mut self) -> Result<(), Closed> {
        if let Some(msg) = self.pending_in.take() {
            if !self.deliver(msg) {
                return Ok(());
            }
        }
        loop {
            let filled_len = self.inbuf.as_ref().map_or(0, |b| b.filled().len());
            if (self.in_pos >= filled_len && !self.decoder.has_ready()) || self.zap_stuck {
                return Ok(());
            }
            match self.phase {
                Phase::Active if self.raw => {
                    let filled = self.inbuf.as_ref().map_or(&[][..], |b| b.filled());
                    let msg = Msg::from_slice(&filled[self.in_pos..]).map_err(|_| Closed)?;
                    self.in_pos = filled.len();
                    if !self.deliver(msg) {
                        return Ok(());
                    }
                }
                Phase::Greeting if self.raw => self.phase = Phase::Active,
                Phase::Greeting => {
                    let filled = self.inbuf.as_ref().map_or(&[][..], |b| b.filled());
                    let want = greeting_want(&self.greeting, self.greeting_len);
                    let take = (want - self.greeting_len).min(filled.len() - self.in_pos);
                    self.greeting[self.greeting_len..self.greeting_len + take]
                        .copy_from_slice(&filled[self.in_pos..self.in_pos + take]);
                    self.greeting_len += take;
                    self.in_pos += take;
                    self.advance_greeting()?;
                }
                Phase::Handshake | Phase::Active => self.decode()?,
            }
        }
    }

    fn advance_greeting(&mut self) -> Result<(), Closed> {
        let g = &self.greeting[..self.greeting_len];
        if !self.major_sent && g.len() >= SIGNATURE_SIZE && g[0] == 0xFF && g[9] & 1 == 1 {
            self.major_sent = true;
            self.out.push(3);
        }
        if !self.greeting_sent
            && self.major_sent
            && self.greeting_len > SIGNATURE_SIZE
            && self.greeting[SIGNATURE_SIZE] >= 2
        {
            self.greeting_sent = true;
            let id = if matches!(self.socket_type, kind::REQ | kind::DEALER | kind::ROUTER) {
                7
            } else {
                0
            };
            let m = &self.mechanism;
            let ours = greeting::encode(id, m.name(), m.as_server());
            self.out.extend_from_slice(&ours[SIGNATURE_SIZE + 1..]);
        }
        match greeting::detect(&self.greeting[..self.greeting_len]) {
            Detection::NeedBytes(n) => {
                assert!(n > self.greeting_len && n <= 12);
                Ok(())
            }
            Detection::Version(PeerVersion::V1) => Err(Closed),
            Detection::Version(PeerVersion::V2) => {
                if self.secure {
                    return Err(Closed);
                }
                if !self.peer_v2 {
                    self.peer_v2 = true;
                    self.out.push(self.socket_type as u8);
                    push_frame(b"fuzz-id", false, &mut self.out);
                }
                if self.greeting_len >= SIGNATURE_SIZE + 2 {
                    self.phase = Phase::Handshake;
                }
                Ok(())
            }
            Detection::Version(_) => {
                if self.greeting_len < GREETING_SIZE {
                    return Ok(());
                }
                let g = Greeting::parse(&self.greeting).map_err(|_| Closed)?;
                if !g.mechanism_is(self.mechanism.name()) {
                    return Err(Closed);
                }
                self.send_handshake_commands()?;
                self.phase = Phase::Handshake;
                Ok(())
            }
        }
    }

    fn send_handshake_commands(&mut self) -> Result<(), Closed> {
        let mut bodies = Vec::new();
        let r = send_commands(self.mechanism.as_mut(), self.zap, &mut bodies);
        for b in &bodies {
            push_frame(b, true, &mut self.out);
        }
        match r {
            Ok(()) => Ok(()),
            // A 300 leaves the connection waiting; the rest fails it.
            Err(())
                if matches!(self.zap, Zap::Verdict(300))
                    && self.mechanism.status() != Status::Error =>
            {
                self.zap_stuck = true;
                Ok(())
            }
            Err(()) => Err(Closed),
        }
    }

    /// The decoder over the buffered bytes: handshake commands, then
    /// messages (opened, sorted, delivered).
    fn decode(&mut self) -> Result<(), Closed> {
        let mut handshake_msg = None;
        let mut failed = false;
        let mut stalled = None;
        let mut pongs = Vec::new();
        let phase = self.phase;
        let mut batch = Vec::new();
        let used = {
            let codec = &mut self.codec;
            let groups = self.groups;
            let dish_group = &mut self.dish_group;
            let room = self.hwm - self.queued.min(self.hwm);
            let mut sink = |msg: &mut Msg| {
                if phase == Phase::Handshake {
                    handshake_msg = Some(msg.take());
                    return false;
                }
                match open_frame(msg, codec.as_deref_mut(), groups, dish_group) {
                    Frame::Deliver => {}
                    Frame::Consumed => return true,
                    Frame::Ping { context, .. } => {
                        assert!(context.len() <= 16, "a PONG context over 16 bytes");
                        pongs.push(context);
                        return true;
                    }
                    Frame::Fail(_) => {
                        failed = true;
                        return false;
                    }
                }
                if batch.len() >= room {
                    stalled = Some(msg.take());
                    return false;
                }
                batch.push(msg.take());
                true
            };
            let r = match self.inbuf.as_ref() {
                Some(buf) => self.decoder.decode_shared(buf, self.in_pos, &mut sink),
                None => self.decoder.decode(&[], &mut sink),
            };
            r.map_err(|_| Closed)?
        };
        self.in_pos += used;
        for m in batch {
            let ok = self.deliver(m);
            assert!(ok, "the batch outgrew the pipe's room");
        }
        if failed {
            return Err(Closed);
        }
        for ctx in pongs {
            let mut body = Vec::new();
            command::encode(b"PONG", &ctx, &mut body);
            push_frame(&body, true, &mut self.out);
        }
        if let Some(m) = handshake_msg {
            self.complete_handshake(&m)?;
        }
        if let Some(m) = stalled {
            self.pending_in = Some(m);
            // The socket reads the pipe later: stop until the next read.
            self.inbuf_stall()?;
        }
        Ok(())
    }

    /// A full pipe: the session stops reading until the socket reads.
    /// Here the next `read` drains it; what is buffered waits.
    fn inbuf_stall(&mut self) -> Result<(), Closed> {
        self.queued = 0;
        if let Some(m) = self.pending_in.take() {
            let ok = self.deliver(m);
            assert!(ok);
        }
        Ok(())
    }

    fn complete_handshake(&mut self, msg: &Msg) -> Result<(), Closed> {
        if self.peer_v2 {
            self.phase = Phase::Active;
            return Ok(());
        }
        if msg.flags() & flags::COMMAND == 0 {
            return Err(Closed);
        }
        self.mechanism
            .process_command(msg.data())
            .map_err(|_| Closed)?;
        self.send_handshake_commands()?;
        if self.mechanism.status() == Status::Ready && !self.zap_stuck {
            if let Some(codec) = self.mechanism.take_codec() {
                self.codec = Some(Box::new(codec));
            }
            self.phase = Phase::Active;
        }
        Ok(())
    }
}

fn push_frame(body: &[u8], command: bool, out: &mut Vec<u8>) {
    let mut header = [0u8; frame::MAX_HEADER];
    let n = frame::encode_header(body.len(), false, command, &mut header);
    out.extend_from_slice(&header[..n]);
    out.extend_from_slice(body);
}

/// A connection's inbound side: socket type, mechanism and role, ZAP
/// verdict, ZMQ_MAXMSGSIZE and pipe room, the reads' sizes, all from the
/// first four bytes; the peer's bytes after them. What it checks: no
/// panic, the pipe never over its room, no frame over ZMQ_MAXMSGSIZE,
/// what we send bounded by what the peer sent, and a handshake that never
/// completes against a peer of the wrong mechanism.
pub fn session(data: &[u8]) {
    let mut input = Input::new(data);
    let t = socket_type(input.byte());
    let sec = input.byte();
    let opts = input.byte();
    let mut chunks = Chunks::new(input.byte());
    let peer = input.rest();
    let Some(mut s) = Driver::new(t, sec, opts) else {
        return;
    };
    s.start();
    let mut fed = 0;
    while fed < peer.len() {
        let n = chunks.next(peer.len() - fed);
        let r = s.read(&peer[fed..fed + n]);
        fed += n;
        // Our output: greeting, handshake commands, a PONG per PING.
        assert!(
            s.out.len() <= 2048 + 2 * fed,
            "sent {} bytes for {fed} received",
            s.out.len()
        );
        assert!(s.queued <= s.hwm);
        assert!(s.inbuf.as_ref().map_or(0, |b| b.capacity()) <= READ_BUF);
        if r.is_err() {
            return;
        }
    }
    if s.phase == Phase::Active && !s.raw && !s.peer_v2 {
        assert_eq!(s.mechanism.status(), Status::Ready);
        let peer_mech = &s.greeting[12..32];
        let ours = s.mechanism.name();
        assert_eq!(
            &peer_mech[..ours.len()],
            ours,
            "active with another mechanism"
        );
    }
    let _ = s.delivered;
}
