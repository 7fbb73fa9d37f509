//! An I/O thread: one reactor running the listeners and sessions of the
//! sockets that use it. Sockets reach it through its mailbox (token 0) with
//! [`IoRequest`]s; pipe activations for sessions arrive there too and are
//! routed by pipe id.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::reactor::{Event, Reactor, Token};
use super::session::{Next, Session, SessionConfig};
use super::transport::{Listener, Target};
use crate::ctx::SocketId;
use crate::error::Result;
use crate::mailbox::Mailbox;
use crate::pipe::{Command, OwnerMailbox, PipeEnd};
use crate::socket::monitor::{event, Endpoints, Monitor};

const MAILBOX_TOKEN: Token = 0;

/// The I/O threads' timer slack: how late the kernel may end their waits.
const HOLD_TIMER_SLACK_NS: libc::c_ulong = 5_000;

/// Work a socket hands to its I/O thread (always boxed inside `Command`, so
/// the variants' sizes do not matter).
#[allow(clippy::large_enum_variant)]
pub enum IoRequest {
    Listen {
        socket: SocketId,
        endpoint: String,
        listener: Listener,
        cfg: Arc<SessionConfig>,
    },
    Connect {
        socket: SocketId,
        endpoint: String,
        target: Target,
        pipe: Option<PipeEnd>,
        cfg: Arc<SessionConfig>,
    },
    /// Stop listening on `endpoint` (zmq_unbind).
    Unbind { socket: SocketId, endpoint: String },
    /// Drop the connecter for `endpoint` (zmq_disconnect).
    Disconnect { socket: SocketId, endpoint: String },
    /// The socket closed: its listeners stop; its sessions finish sending
    /// for at most `linger` ms (-1: until done; 0: drop what is queued).
    /// Then the socket's monitor stops (after the listeners' CLOSED events).
    SocketClosed {
        socket: SocketId,
        linger: i32,
        monitor: Arc<Monitor>,
    },
    /// A udp endpoint's engine (bound or connected by the socket).
    Udp {
        socket: SocketId,
        endpoint: String,
        engine: super::udp::UdpEngine,
    },
    /// A background name resolution for a session finished.
    Resolved {
        token: Token,
        addr: Option<std::net::SocketAddr>,
    },
    /// The context is terminating: finish and exit.
    Stop,
}

impl std::fmt::Debug for IoRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IoRequest::Listen { .. } => "Listen",
            IoRequest::Udp { .. } => "Udp",
            IoRequest::Connect { .. } => "Connect",
            IoRequest::Unbind { .. } => "Unbind",
            IoRequest::Disconnect { .. } => "Disconnect",
            IoRequest::SocketClosed { .. } => "SocketClosed",
            IoRequest::Resolved { .. } => "Resolved",
            IoRequest::Stop => "Stop",
        })
    }
}

struct ListenerEntry {
    socket: SocketId,
    endpoint: String,
    listener: Listener,
    cfg: Arc<SessionConfig>,
}

impl ListenerEntry {
    /// The listener stops: CLOSED for its fd, as libzmq reports.
    fn close(self, reactor: &Reactor) {
        reactor.remove(self.listener.fd());
        let fd = [self.listener.fd() as u64];
        self.cfg
            .monitor
            .emit(event::CLOSED, &fd, Endpoints::bound(&self.endpoint));
    }
}

struct SessionEntry {
    socket: SocketId,
    /// The endpoint a connecting session was created for.
    endpoint: Option<String>,
    /// The listener an accepted session came from (unbinding it ends the
    /// session too, as in libzmq).
    listener: Option<Token>,
    session: Session,
}

/// ZMQ_TCP_ACCEPT_FILTER and ZMQ_IPC_FILTER_*: whether an accepted peer
/// may stay (libzmq closes the others at once).
fn admitted(cfg: &SessionConfig, stream: &super::transport::Stream, peer: &str) -> bool {
    match stream {
        // A ws stream is wrapped by its session, after this check.
        super::transport::Stream::Tcp(_) | super::transport::Stream::Ws(_) => {
            cfg.accept_filters.is_empty()
                || peer
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| cfg.accept_filters.iter().any(|f| f.matches(&ip)))
        }
        super::transport::Stream::Ipc(_) => {
            cfg.ipc_filters.is_empty()
                || stream
                    .peer_credentials()
                    .is_some_and(|(uid, gid, pid)| cfg.ipc_filters.admits(uid, gid, pid))
        }
    }
}

/// Handle kept by the context.
pub struct IoThreadHandle {
    pub mailbox: OwnerMailbox,
    join: Option<JoinHandle<()>>,
}

impl IoThreadHandle {
    pub fn spawn(name: String) -> Result<IoThreadHandle> {
        let mailbox: OwnerMailbox = Arc::new(Mailbox::new()?);
        let reactor = Reactor::new()?;
        reactor.add_edge_read(mailbox.fd(), MAILBOX_TOKEN)?;
        let mb = mailbox.clone();
        let join = std::thread::Builder::new().name(name).spawn(move || {
            crate::util::signals::block_all();
            // Holds (`Reactor::hold`) last tens of microseconds; the
            // default timer slack (50 us) would more than double them.
            // SAFETY: plain prctl on the calling thread; failure only
            // leaves the default slack.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, HOLD_TIMER_SLACK_NS, 0, 0, 0) };
            let mut io = IoThread {
                reactor,
                mailbox: mb,
                listeners: TokenMap::default(),
                sessions: TokenMap::default(),
                udps: TokenMap::default(),
                pipes: TokenMap::default(),
                timers: BTreeMap::new(),
                next_token: 1,
                stopping: false,
            };
            // A panic here is a bug; it must not take the application down.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| io.run()));
            // Commands still queued (or sent late) would keep pipe ends, and
            // through their owner slots this mailbox, alive for ever.
            io.mailbox.close();
        })?;
        Ok(IoThreadHandle {
            mailbox,
            join: Some(join),
        })
    }

    /// Asks the thread to finish and waits for it.
    pub fn stop(&mut self) {
        self.mailbox.send(Command::Io(Box::new(IoRequest::Stop)));
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

struct UdpEntry {
    socket: SocketId,
    endpoint: String,
    engine: super::udp::UdpEngine,
}

/// Tokens and pipe ids are counters of ours, not keys a peer chooses:
/// hashed with one multiplication, not SipHash (a lookup per event).
type TokenMap<V> = crate::pipe::IdMap<V>;

struct IoThread {
    reactor: Reactor,
    mailbox: OwnerMailbox,
    listeners: TokenMap<ListenerEntry>,
    /// Boxed: the table stays small (a key and a pointer a connection),
    /// so finding a connection's session among a thousand costs no cache
    /// miss on a 2 KB bucket before the session itself is touched.
    sessions: TokenMap<Box<SessionEntry>>,
    udps: TokenMap<UdpEntry>,
    /// Which session owns each session-side pipe end.
    pipes: TokenMap<Token>,
    /// Deadlines, each with a sequence number to keep keys unique.
    timers: BTreeMap<(Instant, u64), Token>,
    next_token: Token,
    stopping: bool,
}

impl IoThread {
    fn token(&mut self) -> Token {
        self.next_token += 1;
        self.next_token
    }

    fn run(&mut self) {
        let mut events: Vec<Event> = Vec::with_capacity(256);
        let mut commands = VecDeque::new();
        let mut turns = Vec::new();
        let mut seq = 0u64;
        loop {
            if self.stopping && self.sessions.is_empty() {
                return;
            }
            // A connection waiting for its next turn: only look for other
            // work.
            let timeout = if self.reactor.turns_pending() {
                Some(std::time::Duration::ZERO)
            } else {
                let timer = self.timers.keys().next().map(|&(t, _)| t);
                match (timer, self.reactor.next_hold()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
                .map(|t| t.saturating_duration_since(Instant::now()))
            };
            if self.reactor.wait(timeout, &mut events).is_err() {
                return;
            }
            // Commands first: they stand for calls the sockets made before
            // whatever the kernel reports in the same batch (a zmq_unbind
            // then a peer's message: its session must be gone before the
            // message is read, as libzmq's is). epoll's own order does not
            // say which became ready first.
            if let Some(i) = events.iter().position(|e| e.token == MAILBOX_TOKEN) {
                if i > 0 {
                    events[..=i].rotate_right(1);
                }
            }
            for ev in events.drain(..) {
                if ev.token == MAILBOX_TOKEN {
                    self.mailbox.drain_edge_triggered(&mut commands);
                    while let Some(cmd) = commands.pop_front() {
                        self.command(cmd, &mut seq);
                    }
                } else if self.listeners.contains_key(&ev.token) {
                    self.accept(ev.token, &mut seq);
                } else if let Some(entry) = self.sessions.get_mut(&ev.token) {
                    let next =
                        entry
                            .session
                            .on_ready(&self.reactor, ev.readable, ev.writable, ev.error);
                    self.apply(ev.token, next, &mut seq);
                } else if let Some(entry) = self.udps.get_mut(&ev.token) {
                    if !entry
                        .engine
                        .on_ready(&self.reactor, ev.token, ev.readable, ev.writable)
                    {
                        self.close_udp(ev.token);
                    }
                }
            }
            let now = Instant::now();
            while let Some((&(when, s), &token)) = self.timers.iter().next() {
                if when > now {
                    break;
                }
                self.timers.remove(&(when, s));
                if let Some(entry) = self.sessions.get_mut(&token) {
                    let next = entry.session.on_timer(&self.reactor);
                    self.apply(token, next, &mut seq);
                }
            }
            self.reactor.take_ended_holds(now, &mut turns);
            self.reactor.take_turns(&mut turns);
            for token in turns.drain(..) {
                if let Some(entry) = self.sessions.get_mut(&token) {
                    let next = entry.session.resume_out(&self.reactor);
                    self.apply(token, next, &mut seq);
                }
            }
        }
    }

    fn add_session(&mut self, token: Token, entry: SessionEntry) {
        self.sessions.insert(token, Box::new(entry));
        self.sessions_changed();
    }

    /// A session came or went: the reactor knows whether a session with
    /// more to write must take turns (`Reactor::want_turn`).
    fn sessions_changed(&self) {
        self.reactor.set_crowded(self.sessions.len() > 1);
    }

    fn apply(&mut self, token: Token, next: Next, seq: &mut u64) {
        // Keep the pipe routing table current (sessions create pipes).
        if let Some(entry) = self.sessions.get(&token) {
            if let Some(id) = entry.session.pipe_id() {
                self.pipes.insert(id, token);
            }
            if let Some(id) = entry.session.zap_pipe_id() {
                self.pipes.insert(id, token);
            }
        }
        match next {
            Next::Continue => {}
            Next::Timer(when) => {
                *seq += 1;
                self.timers.insert((when, *seq), token);
            }
            Next::Close => {
                if let Some(entry) = self.sessions.remove(&token) {
                    self.sessions_changed();
                    if let Some(id) = entry.session.pipe_id() {
                        self.pipes.remove(&id);
                    }
                    if let Some(id) = entry.session.zap_pipe_id() {
                        self.pipes.remove(&id);
                    }
                    drop(entry);
                }
                self.timers.retain(|_, t| *t != token);
            }
        }
    }

    fn close_udp(&mut self, token: Token) {
        if let Some(entry) = self.udps.remove(&token) {
            if let Some(id) = entry.engine.pipe_id() {
                self.pipes.remove(&id);
            }
            entry.engine.close(&self.reactor);
        }
    }

    /// Closes the udp engines of `socket` (all, or those of `endpoint`).
    fn close_udps(&mut self, socket: SocketId, endpoint: Option<&str>) {
        let gone: Vec<Token> = self
            .udps
            .iter()
            .filter(|(_, u)| u.socket == socket && endpoint.map_or(true, |e| u.endpoint == e))
            .map(|(t, _)| *t)
            .collect();
        for t in gone {
            self.close_udp(t);
        }
    }

    fn accept(&mut self, token: Token, seq: &mut u64) {
        loop {
            let Some(entry) = self.listeners.get(&token) else {
                return;
            };
            let (stream, peer) = match entry.listener.accept() {
                Ok(Some(x)) => x,
                // Nothing pending.
                Ok(None) => return,
                // A transient failure (EMFILE...): the listener stays
                // registered and is retried.
                Err(e) => {
                    let value = [e.raw_os_error().unwrap_or(0) as u64];
                    let ep = Endpoints::bound(&entry.endpoint);
                    entry.cfg.monitor.emit(event::ACCEPT_FAILED, &value, ep);
                    return;
                }
            };
            if self.stopping || !admitted(&entry.cfg, &stream, &peer) {
                continue; // refuse: drop the stream
            }
            let (socket, cfg) = (entry.socket, entry.cfg.clone());
            let endpoint = entry.endpoint.clone();
            if cfg.monitor.wants(event::ACCEPTED) {
                let remote = stream.peer_endpoint();
                let ep = Endpoints {
                    local: &endpoint,
                    remote: &remote,
                    side: crate::socket::monitor::Side::Bind,
                };
                cfg.monitor.emit(event::ACCEPTED, &[stream.fd() as u64], ep);
            }
            cfg.tuning.apply(
                socket2::SockRef::from(&stream),
                matches!(stream, super::transport::Stream::Tcp(_)),
            );
            let t = self.token();
            let mut session =
                Session::accepted(cfg, self.mailbox.clone(), t, stream, peer, endpoint);
            let next = session.start(&self.reactor);
            self.add_session(
                t,
                SessionEntry {
                    socket,
                    endpoint: None,
                    listener: Some(token),
                    session,
                },
            );
            self.apply(t, next, seq);
        }
    }

    fn command(&mut self, cmd: Command, seq: &mut u64) {
        match cmd {
            Command::ActivateRead(id) | Command::ActivateWrite(id) | Command::PipeTerm(id) => {
                if let Some(&token) = self.pipes.get(&id) {
                    if let Some(entry) = self.sessions.get_mut(&token) {
                        let next = entry.session.on_pipe_command(&self.reactor, cmd);
                        self.apply(token, next, seq);
                    } else if let Some(entry) = self.udps.get_mut(&token) {
                        if !entry.engine.on_pipe_command(&self.reactor, token, cmd) {
                            self.close_udp(token);
                        }
                    }
                }
            }
            Command::Io(req) => self.request(*req, seq),
            Command::Attach(_) | Command::Stop | Command::Hiccup(_) => {}
        }
    }

    fn request(&mut self, req: IoRequest, seq: &mut u64) {
        match req {
            IoRequest::Listen {
                socket,
                endpoint,
                listener,
                cfg,
            } => {
                let t = self.token();
                if self.reactor.add(listener.fd(), t, true, false).is_ok() {
                    self.listeners.insert(
                        t,
                        ListenerEntry {
                            socket,
                            endpoint,
                            listener,
                            cfg,
                        },
                    );
                }
            }
            IoRequest::Connect {
                socket,
                endpoint,
                target,
                pipe,
                cfg,
            } => {
                let t = self.token();
                let mut session = Session::connecting(
                    cfg,
                    self.mailbox.clone(),
                    t,
                    target,
                    pipe,
                    endpoint.clone(),
                );
                let next = session.start(&self.reactor);
                self.add_session(
                    t,
                    SessionEntry {
                        socket,
                        endpoint: Some(endpoint),
                        listener: None,
                        session,
                    },
                );
                self.apply(t, next, seq);
            }
            IoRequest::Udp {
                socket,
                endpoint,
                mut engine,
            } => {
                let t = self.token();
                if let Some(id) = engine.pipe_id() {
                    self.pipes.insert(id, t);
                }
                if engine.start(&self.reactor, t, self.mailbox.clone()) {
                    self.udps.insert(
                        t,
                        UdpEntry {
                            socket,
                            endpoint,
                            engine,
                        },
                    );
                } else {
                    if let Some(id) = engine.pipe_id() {
                        self.pipes.remove(&id);
                    }
                    engine.close(&self.reactor);
                }
            }
            IoRequest::Unbind { socket, endpoint } => {
                self.close_udps(socket, Some(&endpoint));
                let gone: Vec<Token> = self
                    .listeners
                    .iter()
                    .filter(|(_, l)| l.socket == socket && l.endpoint == endpoint)
                    .map(|(t, _)| *t)
                    .collect();
                for t in gone {
                    if let Some(l) = self.listeners.remove(&t) {
                        l.close(&self.reactor);
                    }
                    // Its accepted connections go with it.
                    let accepted: Vec<Token> = self
                        .sessions
                        .iter()
                        .filter(|(_, s)| s.listener == Some(t))
                        .map(|(k, _)| *k)
                        .collect();
                    for k in accepted {
                        if let Some(entry) = self.sessions.get_mut(&k) {
                            let next = entry.session.linger(&self.reactor, 0);
                            self.apply(k, next, seq);
                        }
                    }
                }
            }
            IoRequest::Disconnect { socket, endpoint } => {
                self.close_udps(socket, Some(&endpoint));
                let gone: Vec<Token> = self
                    .sessions
                    .iter()
                    .filter(|(_, s)| {
                        s.socket == socket && s.endpoint.as_deref() == Some(endpoint.as_str())
                    })
                    .map(|(t, _)| *t)
                    .collect();
                for t in gone {
                    if let Some(entry) = self.sessions.get_mut(&t) {
                        let next = entry.session.stop(&self.reactor);
                        self.apply(t, next, seq);
                    }
                }
            }
            IoRequest::SocketClosed {
                socket,
                linger,
                monitor,
            } => {
                let gone: Vec<Token> = self
                    .listeners
                    .iter()
                    .filter(|(_, l)| l.socket == socket)
                    .map(|(t, _)| *t)
                    .collect();
                for t in gone {
                    if let Some(l) = self.listeners.remove(&t) {
                        l.close(&self.reactor);
                    }
                }
                monitor.stop(true);
                self.close_udps(socket, None);
                let sessions: Vec<Token> = self
                    .sessions
                    .iter()
                    .filter(|(_, s)| s.socket == socket)
                    .map(|(t, _)| *t)
                    .collect();
                for t in sessions {
                    if let Some(entry) = self.sessions.get_mut(&t) {
                        let next = entry.session.linger(&self.reactor, linger);
                        self.apply(t, next, seq);
                    }
                }
            }
            IoRequest::Resolved { token, addr } => {
                if let Some(entry) = self.sessions.get_mut(&token) {
                    let next = entry.session.on_resolved(&self.reactor, addr);
                    self.apply(token, next, seq);
                }
            }
            IoRequest::Stop => {
                // Every socket is closed by now and each session was told its
                // LINGER; the loop ends when the last of them is done.
                self.stopping = true;
                for (_, l) in self.listeners.drain() {
                    l.close(&self.reactor);
                }
                let udps: Vec<Token> = self.udps.keys().copied().collect();
                for t in udps {
                    self.close_udp(t);
                }
            }
        }
    }
}
