//! A session: one tcp/ipc connection (or connect attempt) of a socket, on an
//! I/O thread. It runs the ZMTP handshake (greeting, NULL mechanism READY
//! with metadata, socket-type check) using the sans-I/O `zmtp` codec, then
//! moves frames between the connection and the socket's pipe.
//!
//! - Inbound: bytes are decoded into messages and written into the pipe; at
//!   the pipe's HWM the session stops reading (the kernel buffers, TCP pushes
//!   back) until the socket's reads send ActivateWrite.
//! - Outbound: messages are read from the pipe in batches and encoded into
//!   one buffer, written as far as the socket takes it.
//! - A connecting session reconnects after RECONNECT_IVL when the connection
//!   fails or drops, keeping its pipe; an accepted one ends with its
//!   connection and closes its pipe.
//!
//! Every error from the peer closes only this connection.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::reactor::{Reactor, Token};
use super::transport::{Stream, Target};
use crate::metadata::Metadata;
use crate::msg::{flags, Msg, SharedBuf};
use crate::pipe::{conflating_pipe_pair, Command, DirectHandle, OwnerMailbox, PipeEnd};
use crate::socket::monitor::{event, Endpoints, Monitor, Side};
use crate::socket::pattern::kind;
use crate::zmtp::command::{self, Command as ZmtpCommand};
use crate::zmtp::curve::{self, Codec, CurveClient, CurveServer};
use crate::zmtp::frame::{self, Decoder};
use crate::zmtp::greeting::{
    self, Detection, Greeting, PeerVersion, GREETING_SIZE, SIGNATURE_SIZE,
};
use crate::zmtp::mechanism::{LocalProperties, Mechanism, Null, Status};
use crate::zmtp::plain::{PlainClient, PlainServer};
use crate::zmtp::zap::{self, ZapRequest};
use crate::zmtp::ProtocolError;

/// What a session needs to know about its socket, copied at bind/connect.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub socket_type: i32,
    pub socket_mailbox: OwnerMailbox,
    pub routing_id: Vec<u8>,
    pub maxmsgsize: i64,
    pub handshake_ivl: i32,
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub immediate: bool,
    pub tuning: super::transport::TcpTuning,
    /// ZMQ_CONFLATE, where effective for the socket type.
    pub conflate: bool,
    /// A mechanism other than NULL, or a ZAP domain, is configured: legacy
    /// (ZMTP 1.0/2.0) peers are refused.
    pub secure: bool,
    /// ZMQ_METADATA application properties, sent in the handshake.
    pub app_metadata: Vec<(Vec<u8>, Vec<u8>)>,
    /// ZMQ_HEARTBEAT_IVL (ms, 0 = no PINGs), ZMQ_HEARTBEAT_TIMEOUT (ms, -1 =
    /// the interval) and ZMQ_HEARTBEAT_TTL (deciseconds, sent in PING).
    pub heartbeat_ivl: i32,
    pub heartbeat_timeout: i32,
    pub heartbeat_ttl_ds: u16,
    /// STREAM, and ROUTER/REP after ZMQ_ROUTER_RAW: raw bytes, no ZMTP (no
    /// greeting, no framing); with `raw_notify` (ZMQ_STREAM_NOTIFY, always
    /// on for ROUTER) an empty message tells the socket a connection opened
    /// or closed.
    pub raw: bool,
    pub raw_notify: bool,
    /// ZMQ_CONNECT_ROUTING_ID of the connect this session is for: the
    /// routing id its pipe gets instead of the peer's (ROUTER, STREAM).
    pub connect_routing_id: Vec<u8>,
    /// ZMQ_PROBE_ROUTER on a ROUTER: its connecting sessions send the empty
    /// probe themselves, the socket's pipe existing only from the handshake.
    pub probe_router: bool,
    /// ZMQ_CONNECT_TIMEOUT (ms, 0 = the OS's): how long a tcp connect may
    /// take before it counts as failed.
    pub connect_timeout: i32,
    /// ZMQ_RECONNECT_STOP bits: which failures end reconnecting.
    pub reconnect_stop: i32,
    /// ZMQ_TCP_ACCEPT_FILTER: accepted tcp peers must match one (if any).
    pub accept_filters: Vec<crate::socket::options::TcpAcceptFilter>,
    /// ZMQ_IPC_FILTER_UID/GID/PID: accepted ipc peers must match one.
    pub ipc_filters: IpcFilters,
    /// ZMQ_HELLO_MSG (sent to each new peer), ZMQ_DISCONNECT_MSG (delivered
    /// when a peer goes), where the socket type has them.
    pub hello_msg: Option<Vec<u8>>,
    pub disconnect_msg: Option<Vec<u8>>,
    /// ZMQ_HICCUP_MSG: delivered to the socket when an established
    /// connection of a connecter drops (it will reconnect).
    pub hiccup_msg: Option<Vec<u8>>,
    /// ZMQ_ROUTER_NOTIFY bits (ROUTER only): an empty message from the
    /// peer when it connects (1) and when it disconnects (2).
    pub router_notify: i32,
    /// ZMQ_SOCKS_PROXY: the connection goes to the proxy, which is asked
    /// to connect here.
    pub socks: Option<super::socks::SocksRequest>,
    /// ws:// (draft): the connection speaks WebSocket; a connecter's Host
    /// header and resource.
    pub ws: Option<super::ws::WsTarget>,
    /// The socket's monitor (connection events).
    pub monitor: Arc<Monitor>,
    /// The security mechanism and its keys or credentials.
    pub security: Security,
    /// ZMQ_ZAP_DOMAIN (a non-empty one makes NULL consult ZAP) and
    /// ZMQ_ZAP_ENFORCE_DOMAIN (no handler fails the handshake).
    pub zap_domain: Vec<u8>,
    pub zap_enforce: bool,
    /// Opens a pipe to the context's ZAP handler (`inproc://zeromq.zap.01`),
    /// None when nobody is bound there.
    pub zap: ZapConnector,
}

/// What a session's handshake uses, from the socket's security options.
#[derive(Debug, Clone, Default)]
pub enum Security {
    #[default]
    Null,
    PlainClient {
        username: Vec<u8>,
        password: Vec<u8>,
    },
    PlainServer,
    CurveClient {
        public: [u8; 32],
        secret: [u8; 32],
        server: [u8; 32],
    },
    CurveServer {
        secret: [u8; 32],
    },
}

/// Opens a pipe to the ZAP handler: the session's end, the handler's end
/// already attached to its socket. Built by the socket (which knows the
/// context), so sessions need not.
#[derive(Clone)]
pub struct ZapConnector(pub Arc<dyn Fn() -> Option<PipeEnd> + Send + Sync>);

impl std::fmt::Debug for ZapConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZapConnector")
    }
}

/// ZMQ_IPC_FILTER_*: the credentials an accepted ipc peer may have.
#[derive(Debug, Clone, Default)]
pub struct IpcFilters {
    pub uids: std::collections::BTreeSet<u32>,
    pub gids: std::collections::BTreeSet<u32>,
    pub pids: std::collections::BTreeSet<i32>,
}

impl IpcFilters {
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty() && self.gids.is_empty() && self.pids.is_empty()
    }

    /// Whether a peer with these credentials may connect: a matching uid,
    /// pid or primary gid (libzmq also admits supplementary group members).
    pub fn admits(&self, uid: u32, gid: u32, pid: i32) -> bool {
        self.uids.contains(&uid) || self.pids.contains(&pid) || self.gids.contains(&gid)
    }
}

/// The name a socket type announces in READY (RFC 37).
pub fn socket_type_name(t: i32) -> &'static [u8] {
    match t {
        kind::PAIR => b"PAIR",
        kind::PUB => b"PUB",
        kind::SUB => b"SUB",
        kind::REQ => b"REQ",
        kind::REP => b"REP",
        kind::DEALER => b"DEALER",
        kind::ROUTER => b"ROUTER",
        kind::PULL => b"PULL",
        kind::PUSH => b"PUSH",
        kind::XPUB => b"XPUB",
        kind::XSUB => b"XSUB",
        kind::STREAM => b"STREAM",
        kind::SERVER => b"SERVER",
        kind::CLIENT => b"CLIENT",
        kind::RADIO => b"RADIO",
        kind::DISH => b"DISH",
        kind::GATHER => b"GATHER",
        kind::SCATTER => b"SCATTER",
        kind::DGRAM => b"DGRAM",
        kind::PEER => b"PEER",
        kind::CHANNEL => b"CHANNEL",
        _ => b"",
    }
}

/// RFC 37's compatibility table (case-sensitive names, as libzmq compares).
pub fn compatible(ours: i32, peer: &[u8]) -> bool {
    let ok: &[&[u8]] = match ours {
        kind::PAIR => &[b"PAIR"],
        kind::PUB | kind::XPUB => &[b"SUB", b"XSUB"],
        kind::SUB | kind::XSUB => &[b"PUB", b"XPUB"],
        kind::REQ => &[b"REP", b"ROUTER"],
        kind::REP => &[b"REQ", b"DEALER"],
        kind::DEALER => &[b"REP", b"DEALER", b"ROUTER"],
        kind::ROUTER => &[b"REQ", b"DEALER", b"ROUTER"],
        kind::PULL => &[b"PUSH"],
        kind::PUSH => &[b"PULL"],
        kind::CLIENT => &[b"SERVER"],
        kind::SERVER => &[b"CLIENT"],
        kind::RADIO => &[b"DISH"],
        kind::DISH => &[b"RADIO"],
        kind::GATHER => &[b"SCATTER"],
        kind::SCATTER => &[b"GATHER"],
        kind::PEER => &[b"PEER"],
        kind::CHANNEL => &[b"CHANNEL"],
        _ => &[],
    };
    ok.contains(&peer)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a non-blocking connect to complete.
    Connecting,
    /// Reading the peer's 64-byte greeting.
    Greeting,
    /// Greeting done; waiting for the peer's READY.
    Handshake,
    /// Exchanging messages.
    Active,
    /// Disconnected; a connecter waits for its reconnect timer.
    Idle,
    /// Connected to a SOCKS proxy; its handshake runs.
    Socks,
    /// Waiting for a background name resolution.
    Resolving,
    /// ws://: the HTTP upgrade (the peer's request or answer) runs.
    WsOpening,
}

/// What the I/O thread should do after a session handled an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Remove the session for good.
    Close,
    /// Run `on_timer` at this instant.
    Timer(Instant),
}

/// ZMQ_RECONNECT_STOP bits (zmq.h, draft).
/// The largest frame accepted before the handshake completes (see
/// `Session::handshake_max_size`).
const HANDSHAKE_FRAME_MAX: u64 = 1 << 20;

const RECONNECT_STOP_CONN_REFUSED: i32 = 0x1;
const RECONNECT_STOP_HANDSHAKE_FAILED: i32 = 0x2;
/// ZMQ_NOTIFY_CONNECT / ZMQ_NOTIFY_DISCONNECT (zmq.h, draft).
const ROUTER_NOTIFY_CONNECT: i32 = 1;
const ROUTER_NOTIFY_DISCONNECT: i32 = 2;

/// Receive buffer size. Frame bodies above 33 bytes that arrive whole in
/// one buffer are delivered as references into it (no copy, no allocation
/// per message); the buffer is reused once no message references it.
/// 128 KiB: a stream of 1 KiB messages pinned to one CPU made 18 % more
/// messages a second than with 32 KiB (fewer reads, and fewer window
/// updates waking the sender); 256 KiB added nothing measurable.
pub(crate) const READ_BUF: usize = 128 * 1024;
/// A connection's first receive buffers are this small (the buffer is
/// zeroed when made, so its pages are resident): a thousand idle
/// connections should not each hold READ_BUF. The first read that fills one
/// moves the connection to READ_BUF.
const READ_BUF_FIRST: usize = 8 * 1024;
/// Refill a shared buffer's tail only while at least this much is free.
const READ_MIN_SPARE: usize = 4 * 1024;
/// A frame body with at least this much still missing is read straight into
/// its message.
pub(crate) const DIRECT_READ_MIN: usize = crate::pipe::direct::LARGE_FRAME as usize;
/// While large bodies stream in (the last one was read directly), buffered
/// reads take at most this much: the next frame's header plus the start of
/// its body, so little of a large body is copied out of the buffer.
const LARGE_STREAM_READ: usize = 4 * 1024;
/// At most this many large messages (read directly) wait in the pipe
/// before it is flushed within one drain of the socket.
const HOLD_MAX: u8 = 4;
/// Encode at most this much before writing (a batch of small messages).
/// 256 KiB: pinned, tcp 64 B and 1 KiB streams made 3.5-4 % more messages
/// a second than with 64 KiB (fewer, larger sends).
const OUT_BATCH: usize = 256 * 1024;
/// A connection's output buffer starts this small and grows (doubling) to
/// what its batches need: an idle connection holds no OUT_BATCH.
const OUT_FIRST: usize = 8 * 1024;
/// Message bodies at least this large are not copied into the output
/// buffer: the frame header goes there and the body is written from the
/// message itself (writev).
const OUT_ZERO_COPY_MIN: usize = 8 * 1024;
/// Slices per writev.
const OUT_IOV_MAX: usize = 64;
/// Holding output back while the pipe's writer streams close behind the
/// session (`Session::pump_out`). Two threads on two CPUs, one writing a
/// queue and one reading it a few messages behind, pass every slot's and
/// every payload's cache line between them while the other waits for it;
/// once the reader has caught up, each batch it takes is a few messages, so
/// it catches up again: unpinned `thr tcp 64B` ran at a third of its
/// usual rate for whole runs this way (a send of ~2.7 KB every 15 us, the
/// writer's `flush` half of its time). A pump counts as *close behind* when
/// it wrote less than FOLLOW_BYTES, ran the pipe dry, did not release a
/// writer blocked at its HWM, and began within FOLLOW_GAP of the last such
/// pump's end; FOLLOW_STREAK of them in a row hold the output for HOLD,
/// while the writer fills a batch at its own pace.
const FOLLOW_BYTES: usize = 8 * 1024;
const FOLLOW_GAP: Duration = Duration::from_micros(5);
const FOLLOW_STREAK: u8 = 4;
const HOLD: Duration = Duration::from_micros(30);

/// Counts a session's pumps that found the pipe's writer close behind it
/// (see HOLD).
#[derive(Debug, Default)]
struct Follow {
    /// Such pumps in a row.
    streak: u8,
    /// When the last of them ended.
    end: Option<Instant>,
}

impl Follow {
    /// The next pump's start matters (it may continue a streak): worth a
    /// clock read.
    fn tracking(&self) -> bool {
        self.end.is_some()
    }

    /// After a pump that wrote something: `small` (see `pump_out`), begun at
    /// `start` (when `tracking`), ending now (`now`, read only when small).
    /// The pump's end when the output should be held: FOLLOW_STREAK small
    /// pumps in a row, each begun within FOLLOW_GAP of the last one's end.
    fn after(
        &mut self,
        small: bool,
        start: Option<Instant>,
        now: impl FnOnce() -> Instant,
    ) -> Option<Instant> {
        if !small {
            *self = Follow::default();
            return None;
        }
        let close = matches!((self.end, start),
            (Some(e), Some(s)) if s.saturating_duration_since(e) < FOLLOW_GAP);
        self.streak = if close { self.streak + 1 } else { 0 };
        let end = now();
        if self.streak + 1 >= FOLLOW_STREAK {
            *self = Follow::default();
            return Some(end);
        }
        self.end = Some(end);
        None
    }
}

/// What one `pump_out_batches` did: the bytes it queued for writing, and
/// whether it ran the pipe dry.
#[derive(Clone, Copy)]
struct Pumped {
    bytes: usize,
    dry: bool,
}

pub struct Session {
    cfg: Arc<SessionConfig>,
    /// The I/O thread's mailbox: where the session's pipe end reports.
    io_mailbox: OwnerMailbox,
    token: Token,
    /// Some for connecting sessions: where to (re)connect.
    target: Option<Target>,
    stream: Option<Stream>,
    phase: Phase,
    pipe: Option<PipeEnd>,
    greeting: [u8; GREETING_SIZE],
    greeting_len: usize,
    peer_minor: u8,
    decoder: Decoder,
    /// Received bytes; `in_pos` is where decoding stopped (the rest is kept
    /// while the pipe is full).
    inbuf: Option<SharedBuf>,
    in_pos: usize,
    /// The size of the next receive buffer (READ_BUF_FIRST, then READ_BUF).
    inbuf_size: usize,
    /// A decoded message the pipe could not take yet.
    pending_in: Option<Msg>,
    out: Vec<u8>,
    out_pos: usize,
    /// The last frame body was read directly (see LARGE_STREAM_READ).
    large_in: bool,
    /// Reads of large bodies whose messages are in the pipe unflushed
    /// (see `read_input`).
    held_flushes: u8,
    /// Within `read_input`: large messages may be held (see above).
    hold_flush: bool,
    /// Large bodies written from their messages, between stretches of `out`.
    out_bodies: OutBodies,
    /// The socket closed the pipe: send what is queued, then end.
    closing: bool,
    /// Currently registered for writability.
    want_write: bool,
    /// Reading is paused because the pipe to the socket is full.
    read_paused: bool,
    reconnect_delay: Duration,
    peer_address: String,
    /// The peer's properties, attached to every message it sends
    /// (`zmq_msg_gets`).
    metadata: Option<Arc<Metadata>>,
    /// When a closed socket's LINGER runs out.
    linger_deadline: Option<Instant>,
    /// The peer speaks ZMTP 2.0 (no commands; identity frame handshake).
    peer_v2: bool,
    /// The 3.x part of our greeting after the version byte has been sent.
    greeting_sent: bool,
    /// Our major version byte has been sent.
    major_sent: bool,
    /// The security handshake of the current connection (ZMTP 3.x).
    mechanism: Option<Box<dyn Mechanism>>,
    /// Messages a closed socket left for a connection not yet made.
    backlog: Vec<Msg>,
    /// The endpoint of the bind or connect this session belongs to, for
    /// monitor events.
    endpoint: String,
    /// The errno behind the current connection's failure (monitor events).
    fail_errno: i32,
    /// HANDSHAKE_FAILED_PROTOCOL was reported for the current connection.
    protocol_failed: bool,
    /// When the handshake must be done (HANDSHAKE_IVL), when a connecter
    /// reconnects: timers that fire at other times are stale.
    handshake_deadline: Option<Instant>,
    reconnect_at: Option<Instant>,
    /// When a tcp connect in progress counts as failed (CONNECT_TIMEOUT).
    connect_deadline: Option<Instant>,
    /// Heartbeats (RFC 37 PING/PONG): our next PING; the deadline for
    /// hearing from the peer after a PING (HEARTBEAT_TIMEOUT) and after
    /// the peer's PING asked for a TTL. All None without heartbeats.
    next_ping: Option<Instant>,
    ping_timeout_at: Option<Instant>,
    ttl_at: Option<Instant>,
    /// A timer to ask the I/O thread for when the current event is done.
    timer_request: Option<Instant>,
    /// Pumps in a row that found the pipe's writer close behind (HOLD).
    follow: Follow,
    /// Output held back until then (`Reactor::hold` resumes it).
    out_held: Option<Instant>,
    /// `cfg.raw`, kept here: it is read per outbound message.
    raw: bool,
    /// RADIO/DISH framing (groups as frames, JOIN/LEAVE as commands).
    groups: Groups,
    /// DISH: the group frame of the message being received.
    dish_group: Option<Msg>,
    /// Outbound messages need more than framing: raw (STREAM, ROUTER_RAW), grouped
    /// (RADIO/DISH) or boxed (CURVE). One flag for the per-message check.
    transform: bool,
    /// CURVE's MESSAGE box once the handshake is done.
    codec: Option<Box<Codec>>,
    /// The pipe to the ZAP handler while a request is out, the reply's
    /// frames so far, and whether decoding waits for the verdict.
    zap_pipe: Option<PipeEnd>,
    zap_frames: Vec<(Vec<u8>, bool)>,
    zap_waiting: bool,
    /// The handler's User-Id and metadata, for the connection's properties.
    zap_props: Option<(Vec<u8>, crate::zmtp::mechanism::Properties)>,
    /// The SOCKS5 handshake in progress, and the bytes of its next reply
    /// read so far.
    socks: Option<super::socks::Socks5>,
    socks_in: Vec<u8>,
    /// The connection's write side, lent to the socket end of the pipe
    /// while the session has nothing to write (`pipe::direct`).
    lent: Option<DirectHandle>,
    /// Inbound batches delivered: the epoch the socket end reads.
    inbound_epoch: u64,
    /// A direct send failed and `push_command` took the news: the next
    /// write ends the connection.
    direct_broken: bool,
    /// The connection's read side, once lent to the socket end of the pipe
    /// (`pipe::direct`, direct reads); kept until the stream closes, since
    /// every change of interest in the fd goes through it from then on.
    src: Option<DirectHandle>,
}

impl Session {
    /// A session for an accepted connection.
    pub fn accepted(
        cfg: Arc<SessionConfig>,
        io_mailbox: OwnerMailbox,
        token: Token,
        stream: Stream,
        peer: String,
        endpoint: String,
    ) -> Session {
        let mut s = Session::new(cfg, io_mailbox, token, None, endpoint);
        s.stream = Some(stream);
        s.peer_address = peer;
        s
    }

    /// A session that connects to `target`, with the pipe it already
    /// attached to the socket (unless IMMEDIATE).
    pub fn connecting(
        cfg: Arc<SessionConfig>,
        io_mailbox: OwnerMailbox,
        token: Token,
        target: Target,
        pipe: Option<PipeEnd>,
        endpoint: String,
    ) -> Session {
        let mut s = Session::new(cfg, io_mailbox, token, Some(target), endpoint);
        s.pipe = pipe;
        s
    }

    fn new(
        cfg: Arc<SessionConfig>,
        io_mailbox: OwnerMailbox,
        token: Token,
        target: Option<Target>,
        endpoint: String,
    ) -> Session {
        let max = (cfg.maxmsgsize >= 0).then_some(cfg.maxmsgsize as u64);
        let reconnect = Duration::from_millis(cfg.reconnect_ivl.max(0) as u64);
        let raw = cfg.raw;
        let groups = match cfg.socket_type {
            kind::RADIO => Groups::Radio,
            kind::DISH => Groups::Dish,
            _ => Groups::None,
        };
        Session {
            raw,
            cfg,
            io_mailbox,
            token,
            target,
            stream: None,
            phase: Phase::Idle,
            pipe: None,
            greeting: [0; GREETING_SIZE],
            greeting_len: 0,
            peer_minor: 1,
            decoder: Decoder::new(max),
            inbuf: None,
            inbuf_size: READ_BUF_FIRST,
            in_pos: 0,
            pending_in: None,
            out: Vec::with_capacity(OUT_FIRST),
            out_pos: 0,
            large_in: false,
            held_flushes: 0,
            hold_flush: false,
            out_bodies: OutBodies::default(),
            closing: false,
            want_write: false,
            read_paused: false,
            reconnect_delay: reconnect,
            peer_address: String::new(),
            metadata: None,
            linger_deadline: None,
            peer_v2: false,
            greeting_sent: false,
            major_sent: false,
            mechanism: None,
            backlog: Vec::new(),
            endpoint,
            fail_errno: 0,
            protocol_failed: false,
            handshake_deadline: None,
            reconnect_at: None,
            connect_deadline: None,
            next_ping: None,
            ping_timeout_at: None,
            ttl_at: None,
            timer_request: None,
            follow: Follow::default(),
            out_held: None,
            socks: None,
            socks_in: Vec::new(),
            lent: None,
            inbound_epoch: 0,
            direct_broken: false,
            src: None,
            transform: raw || groups != Groups::None,
            groups,
            dish_group: None,
            codec: None,
            zap_pipe: None,
            zap_frames: Vec::new(),
            zap_waiting: false,
            zap_props: None,
        }
    }

    /// ZMQ_ROUTER_NOTIFY: an empty message from the peer tells the ROUTER
    /// it connected or left (`bit`), for an established connection.
    fn notify_router(&mut self, bit: i32) {
        if self.cfg.router_notify & bit == 0 || self.phase != Phase::Active {
            return;
        }
        if let Some(p) = self.pipe.as_mut() {
            p.rollback();
            let mut m = Msg::new();
            m.set_metadata(self.metadata.clone());
            p.write(m);
            p.flush();
        }
    }

    /// Asks for a timer at `when` once the current event is handled.
    fn request_timer(&mut self, when: Instant) {
        self.timer_request = Some(self.timer_request.map_or(when, |t| t.min(when)));
    }

    /// The connection is up: start sending PINGs if HEARTBEAT_IVL asks (to
    /// any 3.x peer, as libzmq: a 3.0 peer ignores the command, and its
    /// traffic, if any, keeps it alive).
    fn start_heartbeats(&mut self) {
        if self.cfg.heartbeat_ivl > 0 && !self.peer_v2 {
            let at = Instant::now() + Duration::from_millis(self.cfg.heartbeat_ivl as u64);
            self.next_ping = Some(at);
            self.request_timer(at);
        }
    }

    /// Something arrived from the peer: it is alive. `peer_ttl_ds` is the
    /// TTL of a PING among what arrived (0: none asked).
    fn heard_from_peer(&mut self, peer_ttl_ds: u16) {
        self.ping_timeout_at = None;
        self.ttl_at = None;
        if peer_ttl_ds > 0 {
            let at = Instant::now() + Duration::from_millis(peer_ttl_ds as u64 * 100);
            self.ttl_at = Some(at);
            self.request_timer(at);
        }
    }

    /// A heartbeat timer may be due: a silent peer is disconnected, a PING
    /// goes out on schedule.
    fn heartbeat_timer(&mut self, reactor: &Reactor) -> Next {
        // Over ws a PONG (or any frame) carries no ZMTP bytes: ask the
        // stream whether the peer spoke since the last timer.
        if let Some(Stream::Ws(ws)) = self.stream.as_mut() {
            if ws.take_heard() {
                self.heard_from_peer(0);
            }
        }
        let now = Instant::now();
        let due = |t: Option<Instant>| t.is_some_and(|t| now >= t);
        if due(self.ping_timeout_at) || due(self.ttl_at) {
            self.fail_errno = libc::ETIMEDOUT;
            return self.disconnected(reactor);
        }
        if due(self.next_ping) {
            let ivl = Duration::from_millis(self.cfg.heartbeat_ivl.max(1) as u64);
            self.next_ping = Some(now + ivl);
            if let Some(Stream::Ws(ws)) = self.stream.as_mut() {
                // ZWS heartbeats are WebSocket PINGs, never boxed.
                ws.ping();
            } else {
                let mut body = Vec::new();
                command::encode(b"PING", &self.cfg.heartbeat_ttl_ds.to_be_bytes(), &mut body);
                self.push_command(&body);
            }
            if self.flush_out(reactor).is_err() {
                return self.disconnected(reactor);
            }
            let timeout = match self.cfg.heartbeat_timeout {
                -1 => self.cfg.heartbeat_ivl,
                t => t,
            };
            if self.ping_timeout_at.is_none() && timeout > 0 {
                self.ping_timeout_at = Some(now + Duration::from_millis(timeout as u64));
            }
        }
        [self.next_ping, self.ping_timeout_at, self.ttl_at]
            .into_iter()
            .flatten()
            .min()
            .map_or(Next::Continue, Next::Timer)
    }

    /// Reports a connection event to the socket's monitor, if it wants it.
    fn emit(&self, ev: u64, value: u64) {
        if !self.cfg.monitor.wants(ev) {
            return;
        }
        let remote = self.stream.as_ref().map(Stream::peer_endpoint);
        let local = self.stream.as_ref().map(Stream::local_endpoint);
        let endpoints = if self.target.is_some() {
            Endpoints {
                local: local.as_deref().unwrap_or(""),
                remote: &self.endpoint,
                side: Side::Connect,
            }
        } else {
            Endpoints {
                local: &self.endpoint,
                remote: remote.as_deref().unwrap_or(""),
                side: Side::Bind,
            }
        };
        self.cfg.monitor.emit(ev, &[value], endpoints);
    }

    fn stream_fd(&self) -> u64 {
        self.stream.as_ref().map_or(u64::MAX, |s| s.fd() as u64)
    }

    /// A handshake broke the protocol: HANDSHAKE_FAILED_PROTOCOL with
    /// libzmq's code where libzmq reports one (after the handshake a
    /// protocol error only disconnects, as in libzmq). Either way it is
    /// not also a HANDSHAKE_FAILED_NO_DETAIL.
    fn protocol_error(&mut self, e: ProtocolError) {
        if self.phase != Phase::Active && !self.protocol_failed {
            self.protocol_failed = true;
            if let ProtocolError::PeerError(code @ 300..=599) = e {
                // An ERROR from the server with a ZAP status code.
                self.emit(event::HANDSHAKE_FAILED_AUTH, code as u64);
            } else if let Some(code) = e.event_value() {
                self.emit(event::HANDSHAKE_FAILED_PROTOCOL, code as u64);
            }
        } else if self.phase == Phase::Active && self.codec.is_some() {
            // A bad box after the handshake: libzmq reports it too.
            if let Some(code) = e.event_value() {
                self.emit(event::HANDSHAKE_FAILED_PROTOCOL, code as u64);
            }
        }
    }

    pub fn zap_pipe_id(&self) -> Option<crate::pipe::PipeId> {
        self.zap_pipe.as_ref().map(PipeEnd::id)
    }

    pub fn pipe_id(&self) -> Option<crate::pipe::PipeId> {
        self.pipe.as_ref().map(PipeEnd::id)
    }

    /// Starts the session: connects, or greets an accepted peer.
    pub fn start(&mut self, reactor: &Reactor) -> Next {
        if let Some(p) = &self.pipe {
            p.set_owner(self.io_mailbox.clone());
            // The socket may have closed the pipe before it had an owner to
            // tell (connect, then close at once): its PipeTerm is lost, so
            // act on the close now. (A PipeTerm that does arrive later finds
            // the session done.)
            if p.peer_closed() {
                let id = p.id();
                if self.on_pipe_command(reactor, Command::PipeTerm(id)) == Next::Close {
                    return Next::Close;
                }
                // What the socket left is in the backlog: connect to send it.
            }
        }
        match self.stream {
            Some(_) => self.begin_handshake(reactor),
            None => self.connect(reactor),
        }
    }

    fn connect(&mut self, reactor: &Reactor) -> Next {
        let Some(target) = &self.target else {
            return Next::Close;
        };
        if let Target::TcpHost {
            host, port, ipv6, ..
        } = target
        {
            // Resolve off the I/O thread so no other connection waits on
            // DNS; the answer comes back as IoRequest::Resolved.
            let (host, port, ipv6) = (host.clone(), *port, *ipv6);
            let (mailbox, token) = (self.io_mailbox.clone(), self.token);
            let spawned = std::thread::Builder::new()
                .name("ZMQbg/resolve".into())
                .spawn(move || {
                    crate::util::signals::block_all();
                    let addr = super::transport::resolve_host(&host, port, ipv6);
                    let req = super::thread::IoRequest::Resolved { token, addr };
                    mailbox.send(Command::Io(Box::new(req)));
                });
            if spawned.is_err() {
                return self.disconnected(reactor);
            }
            self.phase = Phase::Resolving;
            return Next::Continue;
        }
        self.connect_to(reactor, target.clone())
    }

    /// The background resolution finished: connect, or retry later.
    pub fn on_resolved(&mut self, reactor: &Reactor, addr: Option<std::net::SocketAddr>) -> Next {
        if self.phase != Phase::Resolving {
            return Next::Continue;
        }
        let source = match &self.target {
            Some(Target::TcpHost { source, .. }) => *source,
            _ => None,
        };
        match addr {
            Some(addr) => self.connect_to(reactor, Target::Tcp { addr, source }),
            None => {
                self.phase = Phase::Idle;
                self.disconnected(reactor)
            }
        }
    }

    fn connect_to(&mut self, reactor: &Reactor, target: Target) -> Next {
        match Stream::connect(&target, &self.cfg.tuning) {
            Ok(stream) => {
                if reactor.add(stream.fd(), self.token, false, true).is_err() {
                    return self.disconnected(reactor);
                }
                self.stream = Some(stream);
                self.phase = Phase::Connecting;
                // A tcp connect is asynchronous (EINPROGRESS), as libzmq
                // reports; a Unix-domain one completes at once.
                if matches!(target, Target::Tcp { .. }) {
                    self.emit(event::CONNECT_DELAYED, libc::EINPROGRESS as u64);
                    if self.cfg.connect_timeout > 0 {
                        let ms = self.cfg.connect_timeout as u64;
                        let at = Instant::now() + Duration::from_millis(ms);
                        self.connect_deadline = Some(at);
                        return Next::Timer(at);
                    }
                }
                Next::Continue
            }
            Err(e) => {
                self.fail_errno = e.errno();
                self.disconnected(reactor)
            }
        }
    }

    fn begin_handshake(&mut self, reactor: &Reactor) -> Next {
        let Some(stream) = &self.stream else {
            return Next::Close;
        };
        let fd = stream.fd();
        // A connected stream's peer address, for ZAP and Peer-Address (as
        // libzmq, which asks the socket on either side).
        if self.target.is_some() {
            if let Stream::Tcp(t) = stream {
                if let Ok(a) = t.peer_addr() {
                    self.peer_address = a.ip().to_string();
                }
            }
        }
        // Accepted streams are registered here; connected ones already are.
        if self.phase != Phase::Connecting && reactor.add(fd, self.token, true, false).is_err() {
            return self.disconnected(reactor);
        }
        if self.cfg.raw {
            return self.start_raw(reactor);
        }
        if self.cfg.ws.is_some() {
            return self.start_ws(reactor);
        }
        self.phase = Phase::Greeting;
        self.reset_security();
        match self.new_mechanism() {
            Some(m) => self.mechanism = Some(m),
            None => return self.disconnected(reactor),
        }
        self.greeting_len = 0;
        self.greeting_sent = false;
        self.decoder = Decoder::new(self.handshake_max_size());
        self.clear_out();
        self.peer_v2 = false;
        // Staged greeting (RFC 23 "Detecting ZMTP 1.0 and 2.0 peers", as
        // libzmq stages it): the signature now; our major version once the
        // peer's signature is in; then the rest of a 3.x greeting, or a 2.0
        // socket-type byte and identity frame, once its revision is known.
        self.major_sent = false;
        self.out
            .extend_from_slice(&self.our_greeting()[..SIGNATURE_SIZE]);
        self.send_handshake_start(reactor)
    }

    /// A raw (STREAM, ROUTER_RAW) connection is up: no handshake; the pipe
    /// attaches at once, announced by an empty message (ZMQ_STREAM_NOTIFY).
    fn start_raw(&mut self, reactor: &Reactor) -> Next {
        self.phase = Phase::Active;
        self.decoder = Decoder::new(None);
        self.clear_out();
        if self.finish_handshake(Vec::new(), Metadata::new()).is_err() {
            return self.disconnected(reactor);
        }
        if self.cfg.raw_notify {
            if let Some(p) = self.pipe.as_mut() {
                // With the connection's properties (Peer-Address...).
                let mut hello = Msg::new();
                hello.set_metadata(self.metadata.clone());
                p.write(hello);
                p.flush();
            }
        }
        // Reading the (new, empty) pipe tells its writer we wait for
        // activation; then whatever the peer already sent.
        if self.pump_out(reactor).is_err() || self.read_input(reactor).is_err() {
            return self.disconnected(reactor);
        }
        self.after_io(reactor)
    }

    /// A ws:// connection is up: the HTTP upgrade first (a client's request
    /// goes out now), then the mechanism's handshake without a greeting.
    fn start_ws(&mut self, reactor: &Reactor) -> Next {
        self.reset_security();
        let Some(mech) = self.new_mechanism() else {
            return self.disconnected(reactor);
        };
        let name = match mech.name() {
            b"PLAIN" => "PLAIN",
            b"CURVE" => "CURVE",
            _ => "NULL",
        };
        self.mechanism = Some(mech);
        let Some(inner) = self.stream.take() else {
            return Next::Close;
        };
        let target = self.target.as_ref().and(self.cfg.ws.as_ref());
        let tls = self.cfg.ws.as_ref().and_then(|w| w.tls.as_ref());
        let ws = match super::ws::WsStream::new(inner, target, tls, name) {
            Ok(ws) => ws,
            Err(e) => {
                self.fail_errno = e.raw_os_error().unwrap_or(libc::EPIPE);
                return self.disconnected(reactor);
            }
        };
        self.stream = Some(Stream::Ws(Box::new(ws)));
        self.decoder = Decoder::new(self.handshake_max_size());
        self.clear_out();
        self.peer_v2 = false;
        // libzmq's ws peers send subscriptions as 0x01/0x00 messages, as
        // to a ZMTP 3.0 peer.
        self.peer_minor = 0;
        self.phase = Phase::WsOpening;
        self.send_handshake_start(reactor)
    }

    /// The peer's half of the upgrade may be in: once it is, the handshake
    /// goes on as after a greeting (bare ZWS2.0: routing ids, as ZMTP 2.0).
    fn ws_opening(&mut self, reactor: &Reactor) -> Next {
        let Some(Stream::Ws(ws)) = self.stream.as_mut() else {
            return self.disconnected(reactor);
        };
        match ws.open_step() {
            Ok(false) => {
                // A TLS handshake's records may wait for the kernel.
                let pending = ws.has_pending();
                if pending && self.set_write_interest(reactor, true).is_err() {
                    return self.disconnected(reactor);
                }
                return self.after_io(reactor);
            }
            Ok(true) => {}
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    self.protocol_error(ProtocolError::WsUnspecified);
                }
                self.fail_errno = e.raw_os_error().unwrap_or(libc::EPIPE);
                return self.disconnected(reactor);
            }
        }
        let bare = ws.protocol() == Some(crate::zmtp::ws::Protocol::Bare);
        self.phase = Phase::Handshake;
        if bare {
            if self.cfg.secure {
                self.protocol_error(ProtocolError::MechanismMismatch);
                return self.disconnected(reactor);
            }
            self.peer_v2 = true;
            self.greeting[SIGNATURE_SIZE + 1] = u8::MAX; // no Socket-Type
            let id = self.cfg.routing_id.clone();
            push_frame(&id, false, false, &mut self.out);
        } else if self.send_handshake_commands().is_err() {
            return self.disconnected(reactor);
        }
        if self.flush_out(reactor).is_err() || self.read_input(reactor).is_err() {
            return self.disconnected(reactor);
        }
        self.after_io(reactor)
    }

    /// A raw connection ended: an empty message tells the socket (with
    /// ZMQ_STREAM_NOTIFY), and the pipe closes: a reconnect is a new peer.
    fn end_raw(&mut self) {
        if let Some(mut p) = self.pipe.take() {
            if self.cfg.raw_notify && self.phase == Phase::Active {
                let mut bye = Msg::new();
                bye.set_metadata(self.metadata.clone());
                p.write(bye);
            }
            p.flush();
            p.close();
        }
    }

    /// Connected to the SOCKS proxy: greet it (bounded by HANDSHAKE_IVL).
    fn start_socks(&mut self, reactor: &Reactor, req: super::socks::SocksRequest) -> Next {
        let socks = super::socks::Socks5::new(req);
        self.clear_out();
        self.out.extend_from_slice(&socks.greeting());
        self.socks = Some(socks);
        self.socks_in.clear();
        self.phase = Phase::Socks;
        self.send_handshake_start(reactor)
    }

    /// Reads the proxy's replies, exactly as many bytes as each needs (what
    /// follows the last one is the peer's ZMTP greeting).
    fn socks_read(&mut self, reactor: &Reactor) -> Next {
        use super::socks::Step;
        loop {
            let Some(socks) = self.socks.as_mut() else {
                return self.disconnected(reactor);
            };
            let need = socks.wants();
            let have = self.socks_in.len();
            self.socks_in.resize(need, 0);
            let read = match self.stream.as_mut() {
                Some(s) => s.read(&mut self.socks_in[have..]),
                None => return self.disconnected(reactor),
            };
            match read {
                Ok(0) => {
                    self.fail_errno = libc::EPIPE;
                    return self.disconnected(reactor);
                }
                Ok(n) => self.socks_in.truncate(have + n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.socks_in.truncate(have);
                    return Next::Continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    self.socks_in.truncate(have);
                    continue;
                }
                Err(e) => {
                    self.fail_errno = e.raw_os_error().unwrap_or(0);
                    return self.disconnected(reactor);
                }
            }
            if self.socks_in.len() < need {
                continue;
            }
            let step = socks.feed(&self.socks_in);
            self.socks_in.clear();
            match step {
                Ok(Step::Send(bytes)) => {
                    self.out.extend_from_slice(&bytes);
                    if self.flush_out(reactor).is_err() {
                        return self.disconnected(reactor);
                    }
                }
                Ok(Step::Read) => {}
                Ok(Step::Done) => {
                    self.socks = None;
                    // The ZMTP handshake on the proxied connection, which
                    // is already registered with the reactor.
                    self.phase = Phase::Connecting;
                    return self.begin_handshake(reactor);
                }
                Err(super::socks::Refused) => {
                    self.fail_errno = libc::ECONNREFUSED;
                    return self.disconnected(reactor);
                }
            }
        }
    }

    /// Sends the first handshake bytes queued in `out` (ZMTP signature, or
    /// SOCKS greeting) and arms the HANDSHAKE_IVL deadline.
    fn send_handshake_start(&mut self, reactor: &Reactor) -> Next {
        if self.flush_out(reactor).is_err() {
            return self.disconnected(reactor);
        }
        if self.cfg.handshake_ivl > 0 {
            let at = Instant::now() + Duration::from_millis(self.cfg.handshake_ivl as u64);
            self.handshake_deadline = Some(at);
            return Next::Timer(at);
        }
        Next::Continue
    }

    /// The connection is gone (or never came): clean up and decide what next.
    fn disconnected(&mut self, reactor: &Reactor) -> Next {
        self.reclaim_quiet();
        self.direct_broken = false;
        if self.cfg.raw {
            self.end_raw();
        }
        let fd = self.stream_fd();
        // An accepted connection ends for good: its pipe closes before the
        // events go out, so whoever acts on DISCONNECTED finds the socket
        // no longer routing to this peer.
        if self.target.is_none() {
            self.notify_router(ROUTER_NOTIFY_DISCONNECT);
            if let Some(p) = self.pipe.as_mut() {
                if let (Phase::Active, Some(text)) = (self.phase, &self.cfg.disconnect_msg) {
                    if let Ok(m) = Msg::from_slice(text) {
                        p.rollback();
                        p.write(m);
                        p.flush();
                    }
                }
            }
            if let Some(p) = self.pipe.take() {
                p.close();
            }
        }
        // ZMQ_DISCONNECT_MSG: the socket hears of a lost peer it had.
        if let (Phase::Active, Some(text), Some(p)) =
            (self.phase, &self.cfg.disconnect_msg, self.pipe.as_mut())
        {
            if let Ok(m) = Msg::from_slice(text) {
                p.rollback();
                p.write(m);
                p.flush();
            }
        }
        self.notify_router(ROUTER_NOTIFY_DISCONNECT);
        if let (Phase::Active, Some(text), Some(p), true) = (
            self.phase,
            &self.cfg.hiccup_msg,
            self.pipe.as_mut(),
            self.target.is_some(),
        ) {
            if let Ok(m) = Msg::from_slice(text) {
                p.rollback();
                p.write(m);
                p.flush();
            }
        }
        // Which failures end a connecter for good: a protocol error in the
        // handshake (libzmq's session terminates on those), and what
        // ZMQ_RECONNECT_STOP adds: a refused connect, any failed handshake.
        let stop = self.cfg.reconnect_stop;
        let stop_now = match self.phase {
            Phase::Connecting | Phase::Idle | Phase::Socks => {
                stop & RECONNECT_STOP_CONN_REFUSED != 0 && self.fail_errno == libc::ECONNREFUSED
            }
            Phase::Greeting | Phase::Handshake | Phase::WsOpening => {
                self.protocol_failed || stop & RECONNECT_STOP_HANDSHAKE_FAILED != 0
            }
            Phase::Active | Phase::Resolving => false,
        };
        match self.phase {
            // The connecter's socket never connected (libzmq: CLOSED).
            Phase::Connecting | Phase::Socks => self.emit(event::CLOSED, fd),
            Phase::Active if self.cfg.raw => self.emit(event::DISCONNECTED, fd),
            Phase::Greeting | Phase::Handshake | Phase::WsOpening | Phase::Active => {
                if self.phase != Phase::Active && !self.protocol_failed {
                    self.emit(event::HANDSHAKE_FAILED_NO_DETAIL, self.fail_errno as u64);
                }
                self.emit(event::DISCONNECTED, fd);
            }
            Phase::Idle | Phase::Resolving => {}
        }
        self.protocol_failed = false;
        self.fail_errno = 0;
        self.reset_security();
        self.handshake_deadline = None;
        self.connect_deadline = None;
        self.next_ping = None;
        self.ping_timeout_at = None;
        self.ttl_at = None;
        if let Some(s) = self.stream.take() {
            reactor.remove(s.fd());
        }
        self.want_write = false;
        self.read_paused = false;
        self.inbuf = None;
        self.in_pos = 0;
        self.clear_out();
        self.pending_in = None;
        // A multipart message cut off mid-way is never delivered.
        if let Some(p) = self.pipe.as_mut() {
            p.rollback();
            p.flush();
        }
        let was_active = self.phase == Phase::Active;
        self.phase = Phase::Idle;
        // An accepted connection ends here, and so does a closing socket's
        // connecter once nothing is left to send.
        let nothing_queued = self.pipe.is_none() && self.backlog.is_empty();
        if self.target.is_none()
            || (self.closing && nothing_queued)
            || self.cfg.reconnect_ivl < 0
            || stop_now
        {
            if let Some(p) = self.pipe.take() {
                if stop_now {
                    p.close();
                } else {
                    self.pipe = Some(p);
                }
            }
            return Next::Close;
        }
        // A connecter keeps its pipe across reconnects. With IMMEDIATE the
        // pipe only exists while connected.
        if self.cfg.immediate && was_active {
            if let Some(p) = self.pipe.take() {
                p.close();
            }
        }
        // The peer of the next connection knows none of our subscriptions:
        // the socket queues them again (libzmq hiccups the pipe of a SUB,
        // XSUB or DISH connecter). Once per lost connection, not per failed
        // attempt, so they do not pile up while the peer stays away.
        if was_active && matches!(self.cfg.socket_type, kind::SUB | kind::XSUB | kind::DISH) {
            if let Some(p) = self.pipe.as_ref() {
                p.hiccup();
            }
        }
        // libzmq adds a random 0..RECONNECT_IVL ms so that clients which
        // lost one server do not all come back at the same moment; the
        // interval itself doubles only when RECONNECT_IVL_MAX exceeds it.
        let ivl = self.cfg.reconnect_ivl.max(0) as u64;
        let delay = self.reconnect_delay + Duration::from_millis(reconnect_jitter(ivl));
        if self.cfg.reconnect_ivl_max > 0 && self.cfg.reconnect_ivl_max > self.cfg.reconnect_ivl {
            let max = Duration::from_millis(self.cfg.reconnect_ivl_max as u64);
            self.reconnect_delay = (self.reconnect_delay * 2).min(max);
        }
        self.emit(event::CONNECT_RETRIED, delay.as_millis() as u64);
        let at = Instant::now() + delay;
        self.reconnect_at = Some(at);
        Next::Timer(at)
    }

    /// A timer fired: the handshake took too long, or it is time to reconnect.
    pub fn on_timer(&mut self, reactor: &Reactor) -> Next {
        if self.linger_deadline.is_some_and(|d| Instant::now() >= d) {
            return self.close_now(reactor);
        }
        let due = |t: Option<Instant>| t.is_some_and(|t| Instant::now() >= t);
        match self.phase {
            Phase::Idle if due(self.reconnect_at) => {
                self.reconnect_at = None;
                self.connect(reactor)
            }
            Phase::Connecting if due(self.connect_deadline) => {
                self.fail_errno = libc::ETIMEDOUT;
                self.disconnected(reactor)
            }
            Phase::Greeting | Phase::Handshake | Phase::Socks | Phase::WsOpening
                if due(self.handshake_deadline) =>
            {
                self.fail_errno = libc::ETIMEDOUT;
                self.disconnected(reactor)
            }
            Phase::Active => self.heartbeat_timer(reactor),
            // A timer of an earlier connection or phase.
            _ => Next::Continue,
        }
    }

    /// Readiness on the connection.
    pub fn on_ready(
        &mut self,
        reactor: &Reactor,
        readable: bool,
        writable: bool,
        error: bool,
    ) -> Next {
        if self.phase == Phase::Connecting {
            if !(writable || error) {
                return Next::Continue;
            }
            let result = self.stream.as_ref().map(Stream::connect_result);
            if let Some(Err(e)) = &result {
                self.fail_errno = e.raw_os_error().unwrap_or(0);
            }
            if !matches!(result, Some(Ok(()))) {
                return self.disconnected(reactor);
            }
            self.connect_deadline = None;
            self.emit(event::CONNECTED, self.stream_fd());
            self.reconnect_delay = Duration::from_millis(self.cfg.reconnect_ivl.max(0) as u64);
            let fd = self.stream.as_ref().map(Stream::fd).unwrap_or(-1);
            if reactor.modify(fd, self.token, true, false).is_err() {
                return self.disconnected(reactor);
            }
            if let Some(req) = &self.cfg.socks {
                return self.start_socks(reactor, req.clone());
            }
            return self.begin_handshake(reactor);
        }
        if self.phase == Phase::Socks || self.phase == Phase::WsOpening {
            if writable && self.flush_out(reactor).is_err() {
                return self.disconnected(reactor);
            }
            if !(readable || error) {
                return Next::Continue;
            }
            if self.phase == Phase::Socks {
                return self.socks_read(reactor);
            }
            return self.ws_opening(reactor);
        }
        if writable && self.flush_out(reactor).is_err() {
            return self.disconnected(reactor);
        }
        if readable || error {
            if let Err(()) = self.read_input(reactor) {
                return self.disconnected(reactor);
            }
        }
        self.after_io(reactor)
    }

    /// Ends the session once a closing socket's data is all written.
    fn after_io(&mut self, reactor: &Reactor) -> Next {
        if self.closing && self.pipe.is_none() && self.backlog.is_empty() && self.all_written() {
            self.reclaim_quiet();
            if let Some(s) = self.stream.take() {
                reactor.remove(s.fd());
            }
            return Next::Close;
        }
        match self.timer_request.take() {
            Some(at) => Next::Timer(at),
            None => Next::Continue,
        }
    }

    /// A command about the session's pipe, routed here by the I/O thread.
    pub fn on_pipe_command(&mut self, reactor: &Reactor, cmd: Command) -> Next {
        let zap_id = self.zap_pipe_id();
        match cmd {
            Command::ActivateRead(id) | Command::PipeTerm(id) if Some(id) == zap_id => {
                return self.zap_readable(reactor);
            }
            Command::ActivateWrite(id) if Some(id) == zap_id => return self.after_io(reactor),
            // A finished ZAP exchange's pipe saying goodbye (its id is not
            // the session's pipe): nothing to do.
            Command::ActivateRead(id) | Command::ActivateWrite(id) | Command::PipeTerm(id)
                if Some(id) != self.pipe_id() =>
            {
                return self.after_io(reactor)
            }
            // Held: the reactor resumes the output when the hold ends.
            Command::ActivateRead(_) if self.out_held.is_some_and(|t| Instant::now() < t) => {}
            Command::ActivateRead(_)
                if self.phase == Phase::Active && self.pump_out(reactor).is_err() =>
            {
                return self.disconnected(reactor);
            }
            // The socket read enough: resume decoding what is buffered, then
            // the kernel's backlog.
            Command::ActivateWrite(_)
                if self.phase == Phase::Active && self.read_input(reactor).is_err() =>
            {
                return self.disconnected(reactor);
            }
            Command::PipeTerm(_) => {
                self.closing = true;
                if self.phase == Phase::Active {
                    if self.pump_out(reactor).is_err() {
                        return self.disconnected(reactor);
                    }
                } else if self.target.is_none() {
                    // An accepted connection still in its handshake has
                    // nothing to send for the closed socket.
                    return self.close_now(reactor);
                } else {
                    // A connecter not connected yet keeps what the socket
                    // queued and delivers it once connected; the socket's
                    // LINGER (SocketClosed) bounds how long that may take.
                    // Nothing more will be written: take it all now.
                    if let Some(pipe) = self.pipe.as_mut() {
                        while let Some(m) = pipe.read() {
                            self.backlog.push(m);
                        }
                        if pipe.is_terminated() {
                            self.pipe = None;
                        }
                    }
                    if self.pipe.is_none() && self.backlog.is_empty() {
                        return self.close_now(reactor);
                    }
                }
            }
            _ => {}
        }
        self.after_io(reactor)
    }

    /// The socket closed with this LINGER: 0 drops what is queued now; a
    /// positive value bounds how long the session keeps sending; -1 waits
    /// until everything is sent (a connecter keeps retrying, as libzmq's).
    pub fn linger(&mut self, reactor: &Reactor, linger: i32) -> Next {
        self.closing = true;
        let idle = self.pipe.is_none() && self.backlog.is_empty() && self.all_written();
        if linger == 0 || idle || (self.target.is_none() && self.phase != Phase::Active) {
            return self.close_now(reactor);
        }
        if linger > 0 {
            let deadline = Instant::now() + Duration::from_millis(linger as u64);
            self.linger_deadline = Some(deadline);
            return Next::Timer(deadline);
        }
        Next::Continue
    }

    fn close_now(&mut self, reactor: &Reactor) -> Next {
        self.reclaim_quiet();
        if let Some(p) = self.pipe.take() {
            p.close();
        }
        if let Some(s) = self.stream.take() {
            reactor.remove(s.fd());
        }
        Next::Close
    }

    /// The I/O thread is stopping: close unless output is still queued.
    pub fn stop(&mut self, reactor: &Reactor) -> Next {
        self.reclaim_quiet();
        self.closing = true;
        if self.phase != Phase::Active || self.all_written() {
            if let Some(s) = self.stream.take() {
                reactor.remove(s.fd());
            }
            return Next::Close;
        }
        Next::Continue
    }

    fn set_write_interest(&mut self, reactor: &Reactor, on: bool) -> Result<(), ()> {
        if self.want_write == on {
            return Ok(());
        }
        self.want_write = on;
        self.update_interest(reactor)
    }

    /// Read interest is dropped while the pipe is full (the kernel buffers,
    /// TCP pushes back) so a level-triggered fd does not spin the thread.
    fn set_read_paused(&mut self, reactor: &Reactor, paused: bool) -> Result<(), ()> {
        if self.read_paused == paused {
            return Ok(());
        }
        self.read_paused = paused;
        self.update_interest(reactor)
    }

    fn update_interest(&mut self, reactor: &Reactor) -> Result<(), ()> {
        let fd = self.stream.as_ref().map(Stream::fd).ok_or(())?;
        let (read, write) = (!self.read_paused, self.want_write);
        if let Some(h) = &self.src {
            // The read side was lent: the change goes through it (a holder
            // applies it when it gives the read side back, woken for that).
            let token = self.token;
            return match h.source().set_interest(read, write, || {
                reactor.modify(fd, token, read, write).is_ok()
            }) {
                None => {
                    h.wake_owner();
                    Ok(())
                }
                Some(true) => Ok(()),
                Some(false) => Err(()),
            };
        }
        reactor.modify(fd, self.token, read, write).map_err(|_| ())
    }

    /// Writes buffered output (registering for writability if the kernel
    /// is full); once it is all out, takes more from the pipe.
    fn flush_out(&mut self, reactor: &Reactor) -> Result<(), ()> {
        self.flush_out_once(reactor)?;
        if self.out_drained() && self.phase == Phase::Active {
            // Room again: take more from the pipe.
            return self.pump_out(reactor);
        }
        self.settle_out(reactor)
    }

    /// Drops write interest once everything is written. Only the end of a
    /// `flush_out` or `pump_out` does, not each drained batch within: a
    /// stream that fills the kernel again in the same turn keeps its
    /// interest, rather than an epoll_ctl to drop it and another to take
    /// it again (two for each time the kernel had room).
    fn settle_out(&mut self, reactor: &Reactor) -> Result<(), ()> {
        if !self.all_written() {
            return Ok(());
        }
        self.set_write_interest(reactor, false)
    }

    /// Moves messages from the pipe into the output buffer and writes them;
    /// once all is written and the pipe is empty, lends the connection's
    /// write side to the socket (`pipe::direct`).
    fn pump_out(&mut self, reactor: &Reactor) -> Result<(), ()> {
        self.out_held = None;
        if self.lent.is_some() {
            self.reclaim()?;
            if !self.out_drained() {
                self.flush_out_once(reactor)?;
            }
        }
        let start = self.follow.tracking().then(Instant::now);
        let released = self.pipe.as_ref().map(PipeEnd::writers_released);
        let pumped = self.pump_out_batches(reactor)?;
        if pumped.bytes > 0 {
            // Small: less than FOLLOW_BYTES, the pipe run dry, no writer
            // released from its HWM, everything in the kernel.
            let small = pumped.dry
                && pumped.bytes < FOLLOW_BYTES
                && self.pipe.as_ref().map(PipeEnd::writers_released) == released
                && self.out_drained();
            if let Some(end) = self.follow.after(small, start, Instant::now) {
                let until = end + HOLD;
                self.out_held = Some(until);
                reactor.hold(self.token, until);
                // No ActivateRead meanwhile: it would only wake this thread
                // (an eventfd write by the writer) to be ignored.
                if let Some(pipe) = self.pipe.as_ref() {
                    pipe.cancel_sleep();
                }
            }
        }
        self.settle_out(reactor)?;
        self.lend();
        Ok(())
    }

    /// The fd of a tcp or ipc connection (the ones whose sides are lent,
    /// `pipe::direct`).
    fn plain_stream_fd(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match &self.stream {
            Some(Stream::Tcp(s)) => Some(s.as_raw_fd()),
            Some(Stream::Ipc(s)) => Some(s.as_raw_fd()),
            _ => None,
        }
    }

    /// Lends the write side (`pipe::direct`) when the session has nothing
    /// to write and the connection is plain ZMTP over tcp or ipc.
    fn lend(&mut self) {
        if self.lent.is_some()
            || self.phase != Phase::Active
            || self.transform
            || self.closing
            || self.want_write
            || !self.backlog.is_empty()
            || !self.out_drained()
        {
            return;
        }
        let Some(fd) = self.plain_stream_fd() else {
            return;
        };
        let Some(pipe) = self.pipe.as_ref() else {
            return;
        };
        if pipe.conflates() || !pipe.inbound_asleep() {
            return;
        }
        let handle = pipe.peer_sink();
        handle.sink().lend(fd);
        self.lent = Some(handle);
    }

    /// Takes the write side back before the session queues or writes
    /// anything. A direct send cut short left the rest of its message,
    /// which goes out first; a failed one means the connection is broken.
    fn reclaim(&mut self) -> Result<(), ()> {
        let Some(handle) = self.lent.take() else {
            return Ok(());
        };
        let back = handle.sink().reclaim();
        if back.broken {
            self.fail_errno = libc::EPIPE;
            return Err(());
        }
        if !back.leftover.is_empty() {
            // Before anything queued since (by construction nothing: every
            // queueing path reclaims first); bodies' offsets move with it.
            let from = self.out_pos.min(self.out.len());
            let mut out = back.leftover;
            let shift = out.len();
            out.extend_from_slice(&self.out[from..]);
            for (off, _) in self.out_bodies.list.iter_mut() {
                *off = off.saturating_sub(from) + shift;
            }
            self.out = out;
            self.out_pos = 0;
        }
        Ok(())
    }

    /// `reclaim` before the stream closes: what is left does not matter.
    fn reclaim_quiet(&mut self) {
        let _ = self.reclaim();
        if let Some(h) = self.src.take() {
            h.source().reclaim(|| h.wake_owner());
        }
    }

    /// Lends the read side (`pipe::direct`, direct reads) when the session
    /// has nothing of its own to read: plain ZMTP 3 over tcp or ipc
    /// between a request/reply-style socket and its peer, no heartbeats,
    /// the decoder between frames with nothing buffered or held back.
    fn lend_source(&mut self, reactor: &Reactor) {
        // A stream of large messages (the last body was read directly) is
        // lent to PULL too, in the middle of a frame if it is its
        // message's first (the holder finishes it).
        let stream = self.large_in;
        if !(matches!(
            self.cfg.socket_type,
            kind::REQ | kind::REP | kind::DEALER | kind::ROUTER | kind::PAIR
        ) || (stream && self.cfg.socket_type == kind::PULL))
            || self.phase != Phase::Active
            || self.transform
            || self.codec.is_some()
            || self.peer_v2
            || self.closing
            || self.read_paused
            || self.want_write
            || self.zap_waiting
            || self.pending_in.is_some()
            || self.cfg.heartbeat_ivl > 0
            || self.ttl_at.is_some()
            || self.ping_timeout_at.is_some()
            || (!stream && !self.decoder.at_frame_boundary())
            || self.decoder.has_ready()
            || self
                .inbuf
                .as_ref()
                .is_some_and(|b| self.in_pos < b.filled().len())
        {
            return;
        }
        let Some(fd) = self.plain_stream_fd() else {
            return;
        };
        let Some(pipe) = self.pipe.as_ref() else {
            return;
        };
        if pipe.conflates() {
            return;
        }
        // Never inside a multi-part message: its first frames are in the
        // pipe, unpublished until its last one is, and a holder would queue
        // the rest (read first) ahead of them.
        if pipe.mid_message() {
            return;
        }
        let mid_frame = !self.decoder.at_frame_boundary();
        let h = self.src.get_or_insert_with(|| pipe.peer_sink());
        let partial = if mid_frame {
            // A header part read, or a command, stays here.
            let Some((msg, filled)) = self.decoder.suspend_body() else {
                return;
            };
            Some(crate::pipe::direct::Partial { msg, filled })
        } else {
            None
        };
        let lent = h.source().lend(
            crate::pipe::direct::Registration {
                fd,
                epoll: reactor.raw_fd(),
                token: self.token,
            },
            self.metadata.clone(),
            (self.cfg.maxmsgsize >= 0).then_some(self.cfg.maxmsgsize as u64),
            partial,
            stream,
        );
        if let Err(Some(p)) = lent {
            // Not lent after all: the frame stays here (the decoder is
            // between frames, as it was just left).
            self.decoder.resume_body(p.msg, p.filled);
        }
    }

    /// `pump_out`'s loop: batches from the pipe until it is empty or the
    /// kernel is full.
    fn pump_out_batches(&mut self, reactor: &Reactor) -> Result<Pumped, ()> {
        let v31 = self.peer_minor >= 1;
        let mut pumped = Pumped {
            bytes: 0,
            dry: false,
        };
        // A loop, not recursion: a fast peer can take batch after batch.
        loop {
            if !self.out_drained() {
                return Ok(pumped); // still draining; flush_out comes back here
            }
            for mut msg in std::mem::take(&mut self.backlog) {
                self.queue_out(&mut msg, v31);
            }
            let mut terminated = false;
            let mut pipe_empty = true;
            if self.pipe.is_some() {
                pipe_empty = false;
                // Each message moves from its queue slot into `msg`, is
                // encoded from there (or moved on, if large) and dropped by
                // the next read.
                let mut msg = Msg::new();
                while self.out.len() + self.out_bodies.bytes < OUT_BATCH {
                    let Some(pipe) = self.pipe.as_mut() else {
                        break;
                    };
                    if !pipe.read_into(&mut msg) {
                        terminated = pipe.is_terminated();
                        pipe_empty = true;
                        break;
                    }
                    self.queue_out(&mut msg, v31);
                }
            }
            if terminated {
                // The socket closed the pipe: what it sent is now all queued
                // here; the connection ends once that is written.
                self.pipe = None;
                self.closing = true;
            }
            pumped.dry = pipe_empty;
            if self.out_drained() {
                return Ok(pumped);
            }
            pumped.bytes +=
                self.out.len() - self.out_pos.min(self.out.len()) + self.out_bodies.bytes;
            self.flush_out_once(reactor)?;
            // Stop when the kernel is full (write interest is set) or the
            // pipe ran dry (it will send ActivateRead); else take more,
            // but after the I/O thread's other connections had a turn (as
            // libzmq's engines write a batch per poll): a PUB's connections
            // then send each message close together (its payload still in
            // cache), not one connection a long backlog after another.
            if !self.out_drained() || pipe_empty || reactor.want_turn(self.token) {
                return Ok(pumped);
            }
        }
    }

    /// Writes the next batch after `Reactor::want_turn`.
    pub fn resume_out(&mut self, reactor: &Reactor) -> Next {
        if self.phase == Phase::Active && self.pump_out(reactor).is_err() {
            return self.disconnected(reactor);
        }
        self.after_io(reactor)
    }

    /// Queues one outbound message: small ones are encoded into `out`,
    /// large bodies are written later straight from the message (taken out
    /// of `msg`).
    #[inline]
    fn queue_out(&mut self, msg: &mut Msg, v31: bool) {
        if self.transform {
            return self.queue_out_transformed(msg, v31);
        }
        if msg.size() >= OUT_ZERO_COPY_MIN && msg.flags() & flags::SUBSCRIPTION == 0 {
            let mut header = [0u8; frame::MAX_HEADER];
            let n = frame::encode_header(
                msg.size(),
                msg.more(),
                msg.flags() & flags::COMMAND != 0,
                &mut header,
            );
            self.out.extend_from_slice(&header[..n]);
            self.out_bodies.push(self.out.len(), msg.take());
            return;
        }
        encode_outbound(msg, v31, &mut self.out);
    }

    /// Raw (STREAM, ROUTER_RAW) or boxed (CURVE) output.
    #[cold]
    #[inline(never)]
    fn queue_out_transformed(&mut self, msg: &mut Msg, v31: bool) {
        if self.raw {
            return self.queue_out_raw(msg);
        }
        if self.groups != Groups::None {
            return self.queue_out_grouped(msg, v31);
        }
        let Some(codec) = self.codec.as_deref_mut() else {
            return;
        };
        let mut f = 0;
        if msg.more() {
            f |= curve::message_flags::MORE;
        }
        if msg.flags() & flags::COMMAND != 0 {
            f |= curve::message_flags::COMMAND;
        }
        // A subscription goes to a 3.1 peer as a boxed SUBSCRIBE/CANCEL
        // command, to a 3.0 peer as a boxed 0x01/0x00 message (libzmq).
        let sub = (v31 && msg.flags() & flags::SUBSCRIPTION != 0)
            .then(|| crate::socket::subscriptions::parse(msg.data()))
            .flatten();
        // Encoding fails only when 2^64 nonces are used up.
        let _ = match sub {
            Some((on, topic)) => {
                let name: &[u8] = if on { b"\x09SUBSCRIBE" } else { b"\x06CANCEL" };
                codec.encode(
                    f | curve::message_flags::COMMAND,
                    &[name, topic],
                    &mut self.out,
                )
            }
            None => codec.encode(f, &[msg.data()], &mut self.out),
        };
        *msg = Msg::new();
    }

    /// RADIO/DISH on the wire, as libzmq 4.3's radio and dish sessions: a
    /// RADIO message goes as two frames, its group (MORE) then its body; a
    /// DISH's join or leave goes as a `\x04JOIN`/`\x05LEAVE` + group command
    /// frame. Each frame is boxed when CURVE is on.
    fn queue_out_grouped(&mut self, msg: &mut Msg, v31: bool) {
        let mut frames: [(&[u8], bool, bool); 2] = [(&[], false, false); 2];
        let mut command = Vec::new();
        let n = if msg.is_join() || msg.is_leave() {
            command.extend_from_slice(if msg.is_join() {
                b"\x04JOIN"
            } else {
                b"\x05LEAVE"
            });
            command.extend_from_slice(msg.group().to_bytes());
            frames[0] = (&command, false, true);
            1
        } else if self.groups == Groups::Radio {
            frames[0] = (msg.group().to_bytes(), true, false);
            frames[1] = (msg.data(), false, false);
            2
        } else {
            if self.codec.is_none() {
                encode_outbound(msg, v31, &mut self.out);
                *msg = Msg::new();
                return;
            }
            frames[0] = (msg.data(), msg.more(), msg.flags() & flags::COMMAND != 0);
            1
        };
        for &(body, more, cmd) in &frames[..n] {
            match self.codec.as_deref_mut() {
                Some(c) => {
                    let mut f = 0;
                    if more {
                        f |= curve::message_flags::MORE;
                    }
                    if cmd {
                        f |= curve::message_flags::COMMAND;
                    }
                    // Encoding fails only when 2^64 nonces are used up.
                    let _ = c.encode(f, &[body], &mut self.out);
                }
                None => push_frame(body, more, cmd, &mut self.out),
            }
        }
        *msg = Msg::new();
    }

    /// A command frame after the handshake (PING, PONG), boxed for CURVE.
    fn push_command(&mut self, body: &[u8]) {
        // A direct send that failed left a broken connection: the next
        // write reports it (`direct_broken`), even if the kernel would
        // take it (a message is missing from the stream).
        if self.reclaim().is_err() {
            self.direct_broken = true;
        }
        match self.codec.as_deref_mut() {
            Some(c) => {
                let _ = c.encode(curve::message_flags::COMMAND, &[body], &mut self.out);
            }
            None => push_frame(body, false, true, &mut self.out),
        }
    }

    /// Raw: the bytes alone, large ones straight from the message.
    fn queue_out_raw(&mut self, msg: &mut Msg) {
        if msg.size() >= OUT_ZERO_COPY_MIN {
            self.out_bodies.push(self.out.len(), msg.take());
        } else {
            self.out.extend_from_slice(msg.data());
        }
    }

    /// Everything queued is in the kernel, including what a ws stream
    /// still holds after the session's own buffer emptied: a closing
    /// session waits for that.
    fn all_written(&self) -> bool {
        self.out_drained() && !matches!(&self.stream, Some(Stream::Ws(ws)) if ws.has_pending())
    }

    /// Everything queued for output has been written.
    fn out_drained(&self) -> bool {
        self.out_pos >= self.out.len() && self.out_bodies.list.is_empty()
    }

    fn clear_out(&mut self) {
        self.out.clear();
        self.out_pos = 0;
        self.out_bodies = OutBodies::default();
    }

    /// One pass of writing, without re-entering pump_out. Only `flush_out`
    /// and `pump_out` may call it: anyone else who empties the buffer this
    /// way would leave queued messages in the pipe with nothing to wake the
    /// session (a lost wake-up found by `make bench`).
    fn flush_out_once(&mut self, reactor: &Reactor) -> Result<(), ()> {
        self.reclaim()?;
        if self.direct_broken {
            self.direct_broken = false;
            self.fail_errno = libc::EPIPE;
            return Err(());
        }
        while !self.out_drained() {
            let written = if self.out_bodies.list.is_empty() {
                let stream = self.stream.as_mut().ok_or(())?;
                stream.write(&self.out[self.out_pos..])
            } else {
                let mut iov = [IoSlice::new(&[]); OUT_IOV_MAX];
                let k = self.out_bodies.slices(&self.out, self.out_pos, &mut iov);
                let stream = self.stream.as_mut().ok_or(())?;
                stream.write_vectored(&iov[..k])
            };
            match written {
                Ok(0) => return Err(()),
                Ok(n) => self.out_bodies.advance(&mut self.out_pos, n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return self.set_write_interest(reactor, true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(()),
            }
        }
        self.clear_out();
        // A ws stream may hold frames the kernel did not take yet.
        if let Some(Stream::Ws(ws)) = self.stream.as_mut() {
            if !ws.flush_pending().map_err(|_| ())? {
                return self.set_write_interest(reactor, true);
            }
        }
        // Write interest stays until the caller settles (`settle_out`).
        Ok(())
    }

    /// Reads and processes input until the kernel has no more, the pipe is
    /// full, or the peer misbehaves (Err: drop the connection).
    fn read_input(&mut self, reactor: &Reactor) -> Result<(), ()> {
        if let Some(h) = &self.src {
            // Lent: revoke it first. Held: the socket end reads now (an
            // event that raced with its take), and gives the fd back.
            if !h.source().unlend() {
                return Ok(());
            }
            if let Some(p) = h.source().take_partial() {
                // The frame the holder (or this session, lending) left
                // part read comes first.
                if !self.decoder.resume_body(p.msg, p.filled) {
                    return Err(());
                }
                self.large_in = true;
            }
            let rest = h.source().take_leftover();
            if !rest.is_empty() {
                self.take_back_input(&rest)?;
            }
        }
        // A stream of large messages completes one a read: the pipe is
        // flushed (its reader woken) once the socket is drained, or every
        // HOLD_MAX of them, not after each, so that on a busy CPU the
        // reader does not preempt this thread once a message.
        self.hold_flush = true;
        let read = self.read_input_inner(reactor);
        self.hold_flush = false;
        self.release_flush();
        read?;
        self.lend_source(reactor);
        Ok(())
    }

    /// Flushes the pipe if large messages wait in it unflushed.
    fn release_flush(&mut self) {
        if self.held_flushes > 0 {
            self.held_flushes = 0;
            if let Some(p) = self.pipe.as_mut() {
                p.flush();
            }
        }
    }

    /// Bytes the socket end read past its last whole message while it held
    /// the read side: they come before anything still in the kernel.
    fn take_back_input(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let size = self.inbuf_size.max(READ_BUF);
        let meta = self.metadata.as_ref();
        let buf = prepare_inbuf(&mut self.inbuf, &mut self.in_pos, size, meta)?;
        if buf.push_slice(bytes) {
            return Ok(());
        }
        // Too little room behind what is still unread: a new buffer with
        // that, then these.
        let rest = &buf.filled()[self.in_pos.min(buf.filled().len())..];
        let mut fresh =
            SharedBuf::with_metadata(rest.len() + bytes.len() + size, meta).map_err(|_| ())?;
        let fits = fresh.push_slice(rest) && fresh.push_slice(bytes);
        self.inbuf = Some(fresh);
        self.in_pos = 0;
        if fits {
            Ok(())
        } else {
            Err(())
        }
    }

    fn read_input_inner(&mut self, reactor: &Reactor) -> Result<(), ()> {
        // First whatever is buffered from before a pipe stall.
        if !self.process_buffered(reactor)? {
            return self.set_read_paused(reactor, true);
        }
        self.set_read_paused(reactor, false)?;
        loop {
            if self.zap_waiting {
                return self.read_while_zap_decides(reactor);
            }
            let read = {
                let stream = self.stream.as_mut().ok_or(())?;
                let consumed = self.inbuf.as_ref().map_or(0, |b| b.filled().len()) == self.in_pos;
                // Either read fills (part of) the buffer's spare tail.
                let buf = prepare_inbuf(
                    &mut self.inbuf,
                    &mut self.in_pos,
                    self.inbuf_size,
                    self.metadata.as_ref(),
                )?;
                match self.decoder.body_remaining() {
                    // A large body in progress: the kernel copies straight
                    // into the message, not through the buffer.
                    Some(rest) if consumed && rest.len() >= DIRECT_READ_MIN => {
                        self.large_in = true;
                        let want = rest.len();
                        // The next frame's header and the start of its body
                        // come in the same readv, into the buffer: a stream
                        // of large messages takes one read each, not two.
                        let spare = buf.spare_uninit();
                        let tail = spare.len().min(LARGE_STREAM_READ);
                        match stream.read_two(rest, &mut spare[..tail]) {
                            Ok(0) => {
                                self.fail_errno = libc::EPIPE;
                                return Err(());
                            }
                            Ok(n) => {
                                self.decoder.body_filled(n.min(want));
                                buf.advance(n.saturating_sub(want));
                                // ws reads the body only: a full one says
                                // nothing about what is left.
                                let ws = matches!(stream, Stream::Ws(_));
                                Ok(n < want || (n < want + tail && !ws))
                            }
                            Err(e) => Err(e),
                        }
                    }
                    _ => {
                        let spare = buf.spare_uninit();
                        let want = if self.large_in {
                            spare.len().min(LARGE_STREAM_READ)
                        } else {
                            spare.len()
                        };
                        self.large_in = false;
                        let spare = &mut spare[..want];
                        match stream.read_uninit(spare) {
                            Ok(0) => {
                                self.fail_errno = libc::EPIPE;
                                return Err(());
                            }
                            Ok(n) => {
                                buf.advance(n);
                                if n == want {
                                    // Traffic: full-size buffers from now.
                                    self.inbuf_size = READ_BUF;
                                }
                                Ok(n < want)
                            }
                            Err(e) => Err(e),
                        }
                    }
                }
            };
            // A short read drained the socket: process what came and wait
            // for the next readiness (the reactor is level-triggered, so
            // data that arrives meanwhile is reported) instead of paying a
            // read that fails with EAGAIN.
            let drained = match read {
                Ok(short) => short,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // Only a ws stream reads bad frames.
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    self.protocol_error(ProtocolError::WsUnspecified);
                    return Err(());
                }
                Err(e) => {
                    self.fail_errno = e.raw_os_error().unwrap_or(0);
                    return Err(());
                }
            };
            if !self.process_buffered(reactor)? {
                return self.set_read_paused(reactor, true);
            }
            if drained {
                return Ok(());
            }
        }
    }

    /// While the ZAP handler decides, bytes are only buffered (so that a
    /// peer who leaves is noticed, as libzmq notices it: EPIPE); reading
    /// pauses once the buffer is full.
    fn read_while_zap_decides(&mut self, reactor: &Reactor) -> Result<(), ()> {
        let buf = match self.inbuf.as_mut() {
            Some(b) => b,
            None => prepare_inbuf(
                &mut self.inbuf,
                &mut self.in_pos,
                self.inbuf_size,
                self.metadata.as_ref(),
            )?,
        };
        let spare = buf.spare_uninit();
        if spare.is_empty() {
            return self.set_read_paused(reactor, true);
        }
        let stream = self.stream.as_mut().ok_or(())?;
        match stream.read_uninit(spare) {
            Ok(0) => {
                self.fail_errno = libc::EPIPE;
                Err(())
            }
            Ok(n) => {
                buf.advance(n);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(()),
            Err(e) => {
                self.fail_errno = e.raw_os_error().unwrap_or(0);
                Err(())
            }
        }
    }

    /// Processes `inbuf[in_pos..]`. Returns Ok(false) when the pipe is full
    /// (stop reading), Ok(true) when everything was consumed.
    fn process_buffered(&mut self, reactor: &Reactor) -> Result<bool, ()> {
        if let Some(msg) = self.pending_in.take() {
            if !self.deliver(msg) {
                return Ok(false);
            }
        }
        loop {
            let filled = self.inbuf.as_ref().map_or(&[][..], |b| b.filled());
            if (self.in_pos >= filled.len() && !self.decoder.has_ready()) || self.zap_waiting {
                break;
            }
            match self.phase {
                Phase::Active if self.cfg.raw => {
                    // Raw bytes: what one read brought is one message.
                    let chunk = &filled[self.in_pos..];
                    let mut msg = Msg::new();
                    let n = chunk.len();
                    match self.inbuf.as_ref() {
                        Some(buf) if buf.slice_into(self.in_pos, n, 0, &mut msg) => {}
                        _ => msg = Msg::from_slice(chunk).map_err(|_| ())?,
                    }
                    self.in_pos += n;
                    msg.attach_metadata(self.metadata.as_ref());
                    let delivered = self.deliver(msg);
                    if let Some(p) = self.pipe.as_mut() {
                        p.flush();
                    }
                    if !delivered {
                        return Ok(false);
                    }
                }
                Phase::Greeting => {
                    let want = greeting_want(&self.greeting, self.greeting_len);
                    let take = (want - self.greeting_len).min(filled.len() - self.in_pos);
                    self.greeting[self.greeting_len..self.greeting_len + take]
                        .copy_from_slice(&filled[self.in_pos..self.in_pos + take]);
                    self.greeting_len += take;
                    self.in_pos += take;
                    self.advance_greeting(reactor)?;
                }
                Phase::Handshake | Phase::Active => {
                    let mut stalled = false;
                    let mut failed = false;
                    let mut handshake_done = false;
                    let mut pong: Vec<Vec<u8>> = Vec::new();
                    let mut peer_ttl_ds = 0u16;
                    let mut box_error: Option<ProtocolError> = None;
                    let used = {
                        let phase = &mut self.phase;
                        let pipe_slot = &mut self.pipe;
                        let pending = &mut self.pending_in;
                        let metadata = &self.metadata;
                        let codec = &mut self.codec;
                        let groups = self.groups;
                        let dish_group = &mut self.dish_group;
                        let box_error = &mut box_error;
                        let mut handshake_msg: Option<Msg> = None;
                        let mut sink = |msg: &mut Msg| {
                            if *phase == Phase::Handshake {
                                handshake_msg = Some(msg.take());
                                return false; // handled below, outside the decoder
                            }
                            match open_frame(msg, codec.as_deref_mut(), groups, dish_group) {
                                Frame::Deliver => {}
                                Frame::Consumed => return true,
                                Frame::Ping { ttl_ds, context } => {
                                    pong.push(context);
                                    peer_ttl_ds = ttl_ds;
                                    return true;
                                }
                                Frame::Fail(e) => {
                                    *box_error = e;
                                    failed = true;
                                    return false;
                                }
                            }
                            // Data goes from the decoder to the pipe by
                            // reference: moved once, into the queue slot.
                            // A body in the receive buffer borrows the
                            // metadata the buffer's owner counts.
                            msg.attach_metadata(metadata.as_ref());
                            let Some(pipe) = pipe_slot.as_mut() else {
                                return true;
                            };
                            if !pipe.check_write() {
                                *pending = Some(msg.take());
                                stalled = true;
                                return false;
                            }
                            pipe.write_from(msg);
                            true
                        };
                        let r = match self.inbuf.as_ref() {
                            Some(buf) => self.decoder.decode_shared(buf, self.in_pos, &mut sink),
                            None => self.decoder.decode(&[], &mut sink),
                        };
                        match r {
                            Err(e) => {
                                self.protocol_error(e);
                                return Err(());
                            }
                            Ok(n) => {
                                if let Some(m) = handshake_msg {
                                    handshake_done = self.complete_handshake(&m)?;
                                }
                                n
                            }
                        }
                    };
                    self.in_pos += used;
                    if failed {
                        if let Some(e) = box_error {
                            self.protocol_error(e);
                        }
                        return Err(());
                    }
                    // One check per decoded batch, not per message.
                    if used > 0
                        && (self.ping_timeout_at.is_some()
                            || self.ttl_at.is_some()
                            || peer_ttl_ds > 0)
                    {
                        self.heard_from_peer(peer_ttl_ds);
                    }
                    for ctx in pong {
                        let mut body = Vec::new();
                        command::encode(b"PONG", &ctx, &mut body);
                        self.push_command(&body);
                    }
                    if let Some(p) = self.pipe.as_mut() {
                        // A reply may follow directly (`pipe::direct`).
                        self.inbound_epoch = self.inbound_epoch.wrapping_add(1);
                        p.set_peer_epoch(self.inbound_epoch);
                        if self.hold_flush
                            && self.large_in
                            && !stalled
                            && self.held_flushes + 1 < HOLD_MAX
                        {
                            self.held_flushes += 1;
                        } else {
                            p.flush();
                            self.held_flushes = 0;
                        }
                    }
                    if handshake_done {
                        self.phase = Phase::Active;
                        self.handshake_deadline = None;
                        self.notify_router(ROUTER_NOTIFY_CONNECT);
                        self.start_heartbeats();
                        self.pump_out(reactor)?;
                        continue;
                    }
                    if self.zap_waiting {
                        // Nothing more is decoded until the handler answers.
                        return Ok(true);
                    }
                    if stalled {
                        return Ok(false);
                    }
                }
                Phase::Connecting
                | Phase::Idle
                | Phase::Resolving
                | Phase::Socks
                | Phase::WsOpening => return Ok(true),
            }
        }
        if !self.out_drained() {
            self.flush_out(reactor)?;
        }
        Ok(true)
    }

    /// Delivers a message held back by a full pipe; false if still full.
    fn deliver(&mut self, msg: Msg) -> bool {
        let Some(pipe) = self.pipe.as_mut() else {
            return true;
        };
        if !pipe.check_write() {
            self.pending_in = Some(msg);
            return false;
        }
        pipe.write(msg);
        pipe.flush();
        true
    }

    /// The mechanism for a new handshake, as the socket's options say
    /// (None: no randomness for CURVE's transient key).
    fn new_mechanism(&self) -> Option<Box<dyn Mechanism>> {
        let t = self.cfg.socket_type;
        let identity = matches!(t, kind::REQ | kind::DEALER | kind::ROUTER)
            .then(|| self.cfg.routing_id.clone());
        let local = LocalProperties {
            socket_type: socket_type_name(t),
            identity,
            app: self.cfg.app_metadata.clone(),
        };
        let check: crate::zmtp::mechanism::TypeCheck =
            Box::new(move |peer: &[u8]| compatible(t, peer));
        Some(match &self.cfg.security {
            Security::Null if self.cfg.zap_domain.is_empty() => Box::new(Null::new(local, check)),
            Security::Null => Box::new(Null::new(local, check).with_zap()),
            Security::PlainClient { username, password } => {
                Box::new(PlainClient::new(local, check, username, password))
            }
            Security::PlainServer => Box::new(PlainServer::new(local, check)),
            Security::CurveClient {
                public,
                secret,
                server,
            } => Box::new(CurveClient::new(local, check, *public, *secret, *server).ok()?),
            Security::CurveServer { secret } => {
                let server = CurveServer::new(local, check, *secret);
                if self.cfg.zap_domain.is_empty() && self.cfg.zap_enforce {
                    Box::new(server.without_zap())
                } else {
                    Box::new(server)
                }
            }
        })
    }

    /// Forgets the last connection's box and ZAP exchange.
    fn reset_security(&mut self) {
        self.codec = None;
        self.transform = self.raw || self.groups != Groups::None;
        self.dish_group = None;
        if let Some(p) = self.zap_pipe.take() {
            p.close();
        }
        self.zap_frames.clear();
        self.zap_waiting = false;
        self.zap_props = None;
    }

    /// Sends a server mechanism's ZAP request to the handler. With no
    /// handler the mechanism decides (libzmq 4.3: NULL and CURVE go on
    /// unless ZAP_ENFORCE_DOMAIN; PLAIN fails), a failure being
    /// HANDSHAKE_FAILED_NO_DETAIL with EFAULT as in libzmq.
    fn ask_zap(&mut self, req: ZapRequest) -> Result<(), ()> {
        let Some(mut pipe) = (self.cfg.zap.0)() else {
            let enforce = self.cfg.zap_enforce;
            if self
                .mechanism
                .as_mut()
                .is_some_and(|m| m.zap_unavailable(enforce))
            {
                return Ok(());
            }
            self.emit(event::HANDSHAKE_FAILED_NO_DETAIL, libc::EFAULT as u64);
            self.protocol_failed = true;
            return Err(());
        };
        pipe.set_owner(self.io_mailbox.clone());
        let frames = req.frames(
            &self.cfg.zap_domain,
            self.peer_address.as_bytes(),
            &self.cfg.routing_id,
        );
        let last = frames.len() - 1;
        for (i, f) in frames.iter().enumerate() {
            let mut m = Msg::from_slice(f).map_err(|_| ())?;
            if i < last {
                m.set_flags(flags::MORE);
            }
            pipe.write(m);
        }
        pipe.flush();
        // A read attempt on the empty pipe marks us asleep, so the
        // handler's reply wakes us (ActivateRead). If the reply is already
        // there (a fast handler answered before we looked), nothing will
        // wake us: tell ourselves.
        if pipe.check_read() {
            self.io_mailbox.send(Command::ActivateRead(pipe.id()));
        }
        self.zap_pipe = Some(pipe);
        self.zap_waiting = true;
        Ok(())
    }

    /// The ZAP handler wrote to us: once its reply is complete, act on it.
    fn zap_readable(&mut self, reactor: &Reactor) -> Next {
        let Some(pipe) = self.zap_pipe.as_mut() else {
            return self.after_io(reactor);
        };
        let mut complete = false;
        while self.zap_frames.len() < zap::REPLY_FRAMES {
            let Some(m) = pipe.read() else {
                break;
            };
            let more = m.more();
            self.zap_frames.push((m.data().to_vec(), more));
            if !more {
                complete = true;
                break;
            }
        }
        complete |= self.zap_frames.len() == zap::REPLY_FRAMES;
        if !complete {
            if pipe.is_terminated() {
                // The handler went away without a whole reply: the
                // handshake stays stuck, as libzmq's does, until the peer
                // leaves or HANDSHAKE_IVL ends it.
                if let Some(p) = self.zap_pipe.take() {
                    p.close();
                }
            }
            return self.after_io(reactor);
        }
        let frames = std::mem::take(&mut self.zap_frames);
        if let Some(p) = self.zap_pipe.take() {
            p.close();
        }
        self.zap_waiting = false;
        let reply = match zap::parse_reply(&frames) {
            Ok(r) => r,
            Err(e) => {
                self.protocol_error(e);
                return self.disconnected(reactor);
            }
        };
        if reply.status != 200 {
            self.emit(event::HANDSHAKE_FAILED_AUTH, reply.status as u64);
            self.protocol_failed = true;
        }
        if reply.status == 300 {
            // A temporary failure: libzmq 4.3 sends nothing and leaves the
            // connection in its handshake until HANDSHAKE_IVL (or the peer)
            // ends it; so do we, reading only to notice the peer leaving.
            self.zap_waiting = true;
            return self.after_io(reactor);
        }
        self.zap_props = Some((reply.user_id, reply.metadata));
        if let Some(m) = self.mechanism.as_mut() {
            m.zap_reply(reply.status);
        }
        if self.send_handshake_commands().is_err() {
            return self.disconnected(reactor);
        }
        let ready = self.mechanism.as_ref().map(|m| m.status()) == Some(Status::Ready);
        if ready && self.complete_ready(reactor).is_err() {
            return self.disconnected(reactor);
        }
        // Decode what waited behind the verdict (the peer's next commands
        // or, once ready, its messages).
        if self.flush_out(reactor).is_err() || self.read_input(reactor).is_err() {
            return self.disconnected(reactor);
        }
        self.after_io(reactor)
    }

    /// Our full ZMTP 3.1 greeting.
    fn our_greeting(&self) -> [u8; GREETING_SIZE] {
        let (name, server) = self
            .mechanism
            .as_ref()
            .map(|m| (m.name(), m.as_server()))
            .unwrap_or((b"NULL", false));
        greeting::encode(self.cfg.routing_id.len(), name, server)
    }

    /// Acts on the peer's greeting bytes seen so far.
    fn advance_greeting(&mut self, reactor: &Reactor) -> Result<(), ()> {
        // The peer's signature is in: our major version goes out.
        let g = &self.greeting[..self.greeting_len];
        if !self.major_sent
            && g.len() >= SIGNATURE_SIZE
            && g[0] == 0xFF
            && g[SIGNATURE_SIZE - 1] & 1 == 1
        {
            self.major_sent = true;
            self.out.push(3);
            self.flush_out(reactor)?;
        }
        // A 3.x peer is known by its major version byte alone: the rest of
        // our greeting goes out then (waiting for more would deadlock two
        // peers that each wait for the other).
        if !self.greeting_sent
            && self.major_sent
            && self.greeting_len > SIGNATURE_SIZE
            && self.greeting[SIGNATURE_SIZE] >= 2
        {
            self.greeting_sent = true;
            let g = self.our_greeting();
            self.out.extend_from_slice(&g[SIGNATURE_SIZE + 1..]);
            self.flush_out(reactor)?;
        }
        match greeting::detect(&self.greeting[..self.greeting_len]) {
            Detection::NeedBytes(_) => Ok(()),
            // ZMTP 1.0 peers (libzmq 2.x) are not supported.
            Detection::Version(PeerVersion::V1) => {
                self.protocol_error(ProtocolError::Unspecified);
                Err(())
            }
            Detection::Version(PeerVersion::V2) => {
                // Downgrade protection: no security-less 2.0 peer for a
                // socket with a mechanism or a ZAP domain (libzmq refuses).
                if self.cfg.secure {
                    self.protocol_error(ProtocolError::MechanismMismatch);
                    return Err(());
                }
                if !self.peer_v2 {
                    // Answer as libzmq does: our 2.0 socket type and an
                    // identity frame instead of the rest of a 3.x greeting.
                    self.peer_v2 = true;
                    self.peer_minor = 0;
                    self.out.push(self.cfg.socket_type as u8);
                    let id = self.cfg.routing_id.clone();
                    push_frame(&id, false, false, &mut self.out);
                    self.flush_out(reactor)?;
                }
                if self.greeting_len < SIGNATURE_SIZE + 2 {
                    return Ok(());
                }
                // libzmq does not check a 2.0 peer's socket type; its
                // identity frame comes next.
                self.phase = Phase::Handshake;
                Ok(())
            }
            Detection::Version(_) => {
                if self.greeting_len < GREETING_SIZE {
                    return Ok(());
                }
                let Ok(g) = Greeting::parse(&self.greeting) else {
                    self.protocol_error(ProtocolError::Unspecified);
                    return Err(());
                };
                let ours = self.mechanism.as_ref().map(|m| m.name()).ok_or(())?;
                if !g.mechanism_is(ours) {
                    self.protocol_error(ProtocolError::MechanismMismatch);
                    return Err(());
                }
                self.peer_minor = if g.version == PeerVersion::V3_0 { 0 } else { 1 };
                self.send_handshake_commands()?;
                self.phase = Phase::Handshake;
                self.flush_out(reactor)
            }
        }
    }

    /// Sends a ZAP request the mechanism has, then whatever handshake
    /// commands it has ready. Err: the handshake failed (a refusal's ERROR
    /// is written first, as far as the kernel takes it at once).
    fn send_handshake_commands(&mut self) -> Result<(), ()> {
        if let Some(req) = self.mechanism.as_mut().and_then(|m| m.zap_request()) {
            self.ask_zap(req)?;
        }
        while let Some(body) = self.mechanism.as_mut().and_then(|m| m.next_command()) {
            push_frame(&body, false, true, &mut self.out);
        }
        if self.mechanism.as_ref().map(|m| m.status()) == Some(Status::Error) {
            self.protocol_failed = true;
            if let Some(stream) = self.stream.as_mut() {
                let _ = stream.write(&self.out[self.out_pos.min(self.out.len())..]);
            }
            return Err(());
        }
        Ok(())
    }

    /// A handshake frame from the peer. Ok(true) once the handshake is done.
    fn complete_handshake(&mut self, msg: &Msg) -> Result<bool, ()> {
        if self.peer_v2 {
            // ZMTP 2.0: the first frame is the peer's identity.
            let mut meta = Metadata::new();
            // (A bare ZWS2.0 peer names no type.)
            let peer_type = socket_type_name(self.greeting[SIGNATURE_SIZE + 1] as i32);
            if !peer_type.is_empty() {
                meta.set(b"Socket-Type", peer_type);
            }
            if !msg.data().is_empty() {
                meta.set(b"Identity", msg.data());
            }
            return self
                .finish_handshake(msg.data().to_vec(), meta)
                .map(|()| true);
        }
        if msg.flags() & flags::COMMAND == 0 {
            self.protocol_error(ProtocolError::UnexpectedCommand);
            return Err(());
        }
        let mech = self.mechanism.as_mut().ok_or(())?;
        if let Err(e) = mech.process_command(msg.data()) {
            self.protocol_error(e);
            return Err(());
        }
        // Answer (a ZAP request may go out first, and hold the answer).
        self.send_handshake_commands()?;
        if self.mechanism.as_ref().map(|m| m.status()) != Some(Status::Ready) {
            return Ok(false);
        }
        self.mechanism_ready().map(|()| true)
    }

    /// The mechanism is ready: the connection's properties (the peer's,
    /// the ZAP handler's User-Id and metadata), the box if any, the pipe.
    fn mechanism_ready(&mut self) -> Result<(), ()> {
        let mech = self.mechanism.as_mut().ok_or(())?;
        let props = mech.peer_properties();
        let identity = props
            .iter()
            .find(|(n, _)| n == b"Identity")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut meta = Metadata::new();
        for (n, v) in props {
            meta.set(n, v);
        }
        // libzmq's order of precedence: Peer-Address, then ZAP's, then the
        // peer's own (a peer cannot claim a User-Id).
        if let Some((user, zap_meta)) = &self.zap_props {
            for (n, v) in zap_meta {
                meta.set(n, v);
            }
            meta.set(b"User-Id", user);
        }
        if let Some(codec) = mech.take_codec() {
            self.codec = Some(Box::new(codec));
            self.transform = true;
        }
        self.finish_handshake(identity, meta)
    }

    /// A handshake that completed outside the decoder (after a ZAP reply):
    /// what process_buffered does when complete_handshake says done.
    fn complete_ready(&mut self, reactor: &Reactor) -> Result<(), ()> {
        self.mechanism_ready()?;
        self.phase = Phase::Active;
        self.handshake_deadline = None;
        self.notify_router(ROUTER_NOTIFY_CONNECT);
        self.start_heartbeats();
        self.pump_out(reactor)
    }

    /// The handshake succeeded: record the peer's properties and connect the
    /// pipe to the socket.
    /// ZMQ_MAXMSGSIZE (-1: none) as the decoder's limit.
    fn max_size(&self) -> Option<u64> {
        (self.cfg.maxmsgsize >= 0).then_some(self.cfg.maxmsgsize as u64)
    }

    /// The decoder's limit until the handshake is done: no handshake frame
    /// (a greeting's identity, HELLO, WELCOME, INITIATE, READY with its
    /// metadata, ERROR) comes near HANDSHAKE_FRAME_MAX, so a peer that has
    /// not authenticated cannot make this side reserve or buffer more
    /// (libzmq takes a frame of any size before authentication: the shape
    /// of CVE-2020-15166's pre-authentication denial of service).
    fn handshake_max_size(&self) -> Option<u64> {
        Some(
            self.max_size()
                .map_or(HANDSHAKE_FRAME_MAX, |m| m.min(HANDSHAKE_FRAME_MAX)),
        )
    }

    fn finish_handshake(&mut self, identity: Vec<u8>, mut meta: Metadata) -> Result<(), ()> {
        self.decoder.set_max_size(self.max_size());
        if !self.peer_address.is_empty() {
            meta.set(b"Peer-Address", self.peer_address.as_bytes());
        }
        // The connection's fd, read back by zmq_msg_get(ZMQ_SRCFD).
        if let Some(stream) = &self.stream {
            meta.set(b"__fd", stream.fd().to_string().as_bytes());
        }
        self.metadata = Some(Arc::new(meta));
        if !self.cfg.raw {
            self.emit(event::HANDSHAKE_SUCCEEDED, 0);
        }
        // ZMQ_HELLO_MSG: the first message every new peer gets.
        if let Some(text) = &self.cfg.hello_msg {
            if let Ok(mut hello) = Msg::from_slice(text) {
                self.queue_out(&mut hello, self.peer_minor >= 1);
            }
        }
        // A connect may name the peer (ZMQ_CONNECT_ROUTING_ID).
        let identity = if self.target.is_some() && !self.cfg.connect_routing_id.is_empty() {
            self.cfg.connect_routing_id.clone()
        } else {
            identity
        };
        // A closing socket gets no new pipe: the session only delivers what
        // it already holds.
        if self.pipe.is_none() && !self.closing {
            let hwm = |v: i32| v.max(0) as u64;
            let c = self.cfg.conflate;
            let (mut socket_end, session_end) =
                conflating_pipe_pair([hwm(self.cfg.sndhwm), hwm(self.cfg.rcvhwm)], [c, c]);
            socket_end.routing_id = identity;
            // The connection's addresses, for PIPES_STATS events.
            if self.target.is_none() {
                socket_end.peer_endpoint = self.stream.as_ref().map(Stream::peer_endpoint);
            }
            if self.cfg.probe_router && self.target.is_some() && !self.cfg.raw {
                let mut probe = Msg::new();
                self.queue_out(&mut probe, self.peer_minor >= 1);
                socket_end.probed = true;
            }
            session_end.set_owner(self.io_mailbox.clone());
            socket_end.set_owner(self.cfg.socket_mailbox.clone());
            self.cfg
                .socket_mailbox
                .send(Command::Attach(Box::new(socket_end)));
            self.pipe = Some(session_end);
        }
        Ok(())
    }
}

impl Drop for Session {
    /// A session that ends (its connection gone for good, or the socket
    /// closed) closes its pipe, so the socket stops routing to it: a bound
    /// PUSH otherwise kept load-balancing onto a departed peer's pipe, and
    /// a ROUTER kept its routing id.
    fn drop(&mut self) {
        self.reclaim_quiet();
        if let Some(p) = self.pipe.take() {
            p.close();
        }
        if let Some(p) = self.zap_pipe.take() {
            p.close();
        }
    }
}

/// An inbound frame, sorted.
pub(crate) enum Inbound {
    Data(Msg),
    Ping { ttl_ds: u16, context: Vec<u8> },
    Ignore,
    Fatal,
}

/// A random 0..ivl (ms) added to each reconnect delay.
fn reconnect_jitter(ivl: u64) -> u64 {
    if ivl == 0 {
        return 0;
    }
    let mut b = [0u8; 4];
    if getrandom::getrandom(&mut b).is_err() {
        return 0;
    }
    u32::from_ne_bytes(b) as u64 % ivl
}

/// RADIO/DISH framing of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Groups {
    None,
    Radio,
    Dish,
}

/// What one decoded frame of an active connection turned out to be, once
/// opened and sorted (`open_frame`).
pub(crate) enum Frame {
    /// A message for the socket (now in `msg`).
    Deliver,
    /// Taken care of (a command ignored, a DISH group frame kept).
    Consumed,
    /// A PING: answer with a PONG carrying `context`.
    Ping { ttl_ds: u16, context: Vec<u8> },
    /// The connection must end (with the CURVE error, if it was one).
    Fail(Option<ProtocolError>),
}

/// Opens (CURVE), sorts (commands) and groups (DISH) one inbound frame of
/// an active connection. Shared by the session's decoder sink and its
/// fuzzing model, so the model runs this very code.
#[inline]
pub(crate) fn open_frame(
    msg: &mut Msg,
    codec: Option<&mut Codec>,
    groups: Groups,
    dish_group: &mut Option<Msg>,
) -> Frame {
    if let Some(c) = codec {
        if let Err(e) = unbox(c, msg) {
            return Frame::Fail(Some(e));
        }
    }
    // Commands: SUBSCRIBE/CANCEL become data messages, PING is answered,
    // others ignored.
    if msg.flags() & flags::COMMAND != 0 {
        match classify(msg.take(), groups == Groups::Radio) {
            Inbound::Data(m) => *msg = m,
            Inbound::Ping { ttl_ds, context } => return Frame::Ping { ttl_ds, context },
            Inbound::Ignore => return Frame::Consumed,
            Inbound::Fatal => return Frame::Fail(None),
        }
    }
    // DISH: a group frame (MORE), then the body (libzmq closes the
    // connection on anything else).
    if groups == Groups::Dish && msg.flags() & flags::COMMAND == 0 {
        match dish_group.take() {
            None => {
                if !msg.more() || msg.size() > crate::msg::GROUP_MAX_LENGTH {
                    return Frame::Fail(None);
                }
                *dish_group = Some(msg.take());
                return Frame::Consumed;
            }
            Some(g) => {
                if msg.more() || msg.set_group(g.data()).is_err() {
                    return Frame::Fail(None);
                }
            }
        }
    }
    Frame::Deliver
}

/// Sorts an inbound frame; `radio`: JOIN/LEAVE commands become join/leave
/// messages for the RADIO socket.
pub(crate) fn classify(msg: Msg, radio: bool) -> Inbound {
    if msg.flags() & flags::COMMAND == 0 {
        return Inbound::Data(msg);
    }
    if radio {
        let d = msg.data();
        let join = match d {
            [4, b'J', b'O', b'I', b'N', ..] => Some((true, &d[5..])),
            [5, b'L', b'E', b'A', b'V', b'E', ..] => Some((false, &d[6..])),
            _ => None,
        };
        if let Some((on, group)) = join {
            return match Msg::group_command(on, group) {
                Ok(m) => Inbound::Data(m),
                Err(_) => Inbound::Fatal,
            };
        }
    }
    // After the handshake libzmq acts on SUBSCRIBE, CANCEL and PING and
    // ignores every other command, malformed ones included; so do we.
    let (on, topic) = match ZmtpCommand::parse(msg.data()) {
        Ok(ZmtpCommand::Subscribe(t)) => (true, t),
        Ok(ZmtpCommand::Cancel(t)) => (false, t),
        Ok(ZmtpCommand::Ping { ttl_ds, context }) => {
            return Inbound::Ping {
                ttl_ds,
                context: context.to_vec(),
            }
        }
        _ => return Inbound::Ignore,
    };
    // Subscriptions travel in pipes as messages (0x01/0x00 + topic).
    match crate::socket::subscriptions::message(on, topic) {
        Ok(m) => Inbound::Data(m),
        Err(_) => Inbound::Fatal,
    }
}

/// Opens a CURVE MESSAGE into the message it carries: in place when the
/// payload is the message's alone, else into a new message (a shared read
/// buffer is not written). The inner flags become the message's.
pub(crate) fn unbox(codec: &mut Codec, msg: &mut Msg) -> Result<(), ProtocolError> {
    let f = if msg.is_exclusive() {
        let f = codec.decode(msg.data_mut())?;
        msg.drop_front(curve::MESSAGE_OVERHEAD);
        f
    } else {
        let body = msg.data();
        let split = (curve::MESSAGE_OVERHEAD - 1).min(body.len());
        let mut plain =
            Msg::with_size(body.len() - split).map_err(|_| ProtocolError::Unspecified)?;
        plain.data_mut().copy_from_slice(&body[split..]);
        let f = codec.decode_split(&body[..split], plain.data_mut())?;
        plain.drop_front(1);
        *msg = plain;
        f
    };
    let mut out = 0;
    if f & curve::message_flags::MORE != 0 {
        out |= flags::MORE;
    }
    if f & curve::message_flags::COMMAND != 0 {
        out |= flags::COMMAND;
    }
    msg.reset_flags(flags::MORE | flags::COMMAND);
    msg.set_flags(out);
    Ok(())
}

/// How many greeting bytes to have before looking again (`have` of them in
/// `greeting` so far): read no further than the greeting this peer sends,
/// the signature and revision first, then 12 bytes in all for ZMTP 2.0
/// (frames follow) or 64 for 3.x.
pub(crate) fn greeting_want(greeting: &[u8], have: usize) -> usize {
    if have <= SIGNATURE_SIZE {
        SIGNATURE_SIZE + 1
    } else if greeting[SIGNATURE_SIZE] < 2 {
        SIGNATURE_SIZE + 2
    } else {
        GREETING_SIZE
    }
}

/// Makes `inbuf` ready for a read into its spare tail: reuses it from the
/// start when no message references it any more, keeps filling its tail
/// while there is room, else starts a new buffer (the old one lives on in
/// the messages that reference it) carrying over undecoded bytes.
/// A new or reused buffer lends `meta` (the connection's metadata) to the
/// messages sliced from it.
pub(crate) fn prepare_inbuf<'a>(
    inbuf: &'a mut Option<SharedBuf>,
    in_pos: &mut usize,
    size: usize,
    meta: Option<&Arc<Metadata>>,
) -> Result<&'a mut SharedBuf, ()> {
    let fresh = match inbuf.as_mut() {
        Some(buf) if *in_pos == buf.filled().len() && buf.is_unique() => {
            buf.reset();
            buf.set_metadata(meta);
            *in_pos = 0;
            false
        }
        Some(buf) => buf.capacity() - buf.filled().len() < READ_MIN_SPARE,
        None => true,
    };
    if fresh {
        let mut buf = SharedBuf::with_metadata(size, meta).map_err(|_| ())?;
        if let Some(old) = inbuf.as_ref() {
            let rest = &old.filled()[(*in_pos).min(old.filled().len())..];
            let n = rest.len().min(buf.capacity());
            buf.push_slice(&rest[..n]);
        }
        *in_pos = 0;
        *inbuf = Some(buf);
    }
    inbuf.as_mut().ok_or(())
}

fn push_frame(body: &[u8], more: bool, command: bool, out: &mut Vec<u8>) {
    let mut h = [0u8; frame::MAX_HEADER];
    let n = frame::encode_header(body.len(), more, command, &mut h);
    out.extend_from_slice(&h[..n]);
    out.extend_from_slice(body);
}

/// Encodes an outbound message. Subscriptions go to ZMTP 3.1 peers as
/// SUBSCRIBE/CANCEL commands and to 3.0 peers as 0x01/0x00 messages.
/// Large message bodies queued for output without being copied: each
/// follows the byte of the output buffer at its offset (where its frame
/// header ends). Written with the buffer's stretches by writev.
#[derive(Default)]
struct OutBodies {
    /// (offset in the output buffer, message), sorted by offset.
    list: VecDeque<(usize, Msg)>,
    /// How much of the front body is written.
    pos: usize,
    /// Total size of the bodies, for the batch limit.
    bytes: usize,
}

impl OutBodies {
    fn push(&mut self, offset: usize, msg: Msg) {
        self.bytes += msg.size();
        self.list.push_back((offset, msg));
    }

    /// The unwritten output from `out_pos` on, as slices in stream order:
    /// stretches of `out` interleaved with the bodies. Fills `iov`, returns
    /// how many slices (stops early when `iov` is full).
    fn slices<'a>(
        &'a self,
        out: &'a [u8],
        out_pos: usize,
        iov: &mut [IoSlice<'a>; OUT_IOV_MAX],
    ) -> usize {
        let mut k = 0;
        let mut pos = out_pos;
        for (i, (off, body)) in self.list.iter().enumerate() {
            if k + 2 > OUT_IOV_MAX {
                return k;
            }
            if pos < *off {
                iov[k] = IoSlice::new(&out[pos..*off]);
                k += 1;
            }
            let from = if i == 0 { self.pos } else { 0 };
            iov[k] = IoSlice::new(&body.data()[from..]);
            k += 1;
            pos = *off;
        }
        if pos < out.len() {
            iov[k] = IoSlice::new(&out[pos..]);
            k += 1;
        }
        k
    }

    /// Accounts for `n` bytes written from `out_pos` on (see `slices`).
    fn advance(&mut self, out_pos: &mut usize, mut n: usize) {
        while n > 0 {
            let Some((off, body)) = self.list.front() else {
                *out_pos += n;
                return;
            };
            if *out_pos < *off {
                let k = n.min(off - *out_pos);
                *out_pos += k;
                n -= k;
                continue;
            }
            let size = body.size();
            let k = n.min(size - self.pos);
            self.pos += k;
            n -= k;
            if self.pos == size {
                self.list.pop_front();
                self.pos = 0;
                self.bytes -= size;
            }
        }
    }
}

fn encode_outbound(msg: &Msg, v31: bool, out: &mut Vec<u8>) {
    if v31 && msg.flags() & flags::SUBSCRIPTION != 0 {
        if let Some((on, topic)) = crate::socket::subscriptions::parse(msg.data()) {
            let mut body = Vec::with_capacity(topic.len() + 10);
            command::encode(if on { b"SUBSCRIBE" } else { b"CANCEL" }, topic, &mut body);
            push_frame(&body, false, true, out);
            return;
        }
    }
    frame::encode(msg, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_pumps_close_behind_each_other_ask_for_a_hold() {
        let t0 = Instant::now();
        let us = |n| t0 + Duration::from_micros(n);
        let mut f = Follow::default();
        assert!(!f.tracking());
        // FOLLOW_STREAK small pumps, each begun 1 us after the last ended.
        let mut t = 0;
        for i in 0..FOLLOW_STREAK {
            let start = f.tracking().then(|| us(t + 1));
            assert_eq!(i > 0, start.is_some());
            t += 15;
            let hold = f.after(true, start, || us(t));
            assert_eq!(hold.is_some(), i + 1 == FOLLOW_STREAK, "pump {i}");
        }
        // The streak starts over after a hold.
        assert!(!f.tracking());
    }

    #[test]
    fn a_large_pump_or_a_gap_breaks_the_streak() {
        let t0 = Instant::now();
        let us = |n| t0 + Duration::from_micros(n);
        let mut f = Follow::default();
        for _ in 0..10 {
            // Two small pumps close behind each other, then a large one.
            assert!(f.after(true, None, || us(10)).is_none());
            assert!(f.after(true, Some(us(11)), || us(20)).is_none());
            assert!(f.after(false, Some(us(21)), || us(30)).is_none());
            assert!(!f.tracking());
        }
        // Small pumps with the writer's idle gaps between them (the I/O
        // thread slept): never a hold.
        let mut t = 0;
        for _ in 0..20 {
            let start = f
                .tracking()
                .then(|| us(t + FOLLOW_GAP.as_micros() as u64 + 1));
            t += 100;
            assert!(f.after(true, start, || us(t)).is_none());
        }
    }

    #[test]
    fn compatibility_follows_rfc37_and_is_case_sensitive() {
        assert!(compatible(kind::REQ, b"ROUTER"));
        assert!(compatible(kind::XPUB, b"SUB"));
        assert!(!compatible(kind::PUSH, b"PUSH"));
        assert!(!compatible(kind::PULL, b"push"));
        assert_eq!(socket_type_name(kind::XSUB), b"XSUB");
    }

    #[test]
    fn large_bodies_are_written_in_stream_order_whatever_the_write_sizes() {
        // Stream: "ab" BODY1(9000 x 1) "cd" BODY2(8192 x 2) "ef".
        let mut out = b"ab".to_vec();
        let mut bodies = OutBodies::default();
        bodies.push(out.len(), Msg::from_slice(&[1u8; 9000]).unwrap());
        out.extend_from_slice(b"cd");
        bodies.push(out.len(), Msg::from_slice(&[2u8; 8192]).unwrap());
        out.extend_from_slice(b"ef");
        let mut expected = b"ab".to_vec();
        expected.extend_from_slice(&[1u8; 9000]);
        expected.extend_from_slice(b"cd");
        expected.extend_from_slice(&[2u8; 8192]);
        expected.extend_from_slice(b"ef");
        // Partial writes of awkward sizes, as a full socket buffer gives.
        for chunk in [1usize, 2, 3, 7, 4096, 9001, 100_000] {
            let mut b = OutBodies::default();
            for (off, m) in &bodies.list {
                b.push(*off, Msg::from_slice(m.data()).unwrap());
            }
            let mut pos = 0;
            let mut got = Vec::new();
            loop {
                let mut iov = [IoSlice::new(&[]); OUT_IOV_MAX];
                let k = b.slices(&out, pos, &mut iov);
                let all: Vec<u8> = iov[..k].iter().flat_map(|s| s.iter().copied()).collect();
                if all.is_empty() {
                    break;
                }
                let n = chunk.min(all.len());
                got.extend_from_slice(&all[..n]);
                b.advance(&mut pos, n);
            }
            assert_eq!(got, expected, "write size {chunk}");
            assert!(b.list.is_empty() && b.bytes == 0 && pos == out.len());
        }
    }

    #[test]
    fn subscriptions_are_commands_for_31_and_messages_for_30() {
        let m = crate::socket::subscriptions::message(true, b"ab").unwrap();
        let mut v31 = Vec::new();
        encode_outbound(&m, true, &mut v31);
        assert_eq!(v31, b"\x04\x0c\x09SUBSCRIBEab");
        let mut v30 = Vec::new();
        encode_outbound(&m, false, &mut v30);
        assert_eq!(v30, b"\x00\x03\x01ab");
    }
}
