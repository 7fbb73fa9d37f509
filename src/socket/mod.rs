//! Sockets: the per-socket core shared by every pattern (pipes, commands,
//! blocking with timeouts, endpoints) and the routing blocks the patterns are
//! built from.
//!
//! A socket is used by one application thread at a time (the C boundary
//! serialises calls with a lock). It receives commands — pipe activations,
//! new pipes, context shutdown — through its mailbox, whose eventfd is
//! `ZMQ_FD`. On the fast path it looks at the mailbox only when the signaler
//! says something is pending, so a send or receive costs no syscall.
//!
//! Transports implemented so far: inproc.

pub mod monitor;
pub mod options;
pub mod pattern;
pub mod pattern_options;
pub mod pipes;
pub mod subscriptions;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ctx::{Ctx, InprocPeer, InprocTarget, PendingPipe, SocketId};
use crate::error::{Error, Result};
use crate::io::session::{IpcFilters, Security, SessionConfig, ZapConnector};
use crate::io::thread::IoRequest;
use crate::io::transport::{self, Target};
use crate::mailbox::Mailbox;
use crate::msg::{flags, Msg};
use crate::pipe::{conflating_pipe_pair, Command, OwnerMailbox, PipeEnd, PipeId, Watch};

use monitor::{event, Endpoints, Monitor};
use options::Options;
use pattern::{Admission, Pattern};
use pattern_options::{PatternAction, PatternOptions};
use pipes::PipeSet;

/// `zmq_send` flags.
pub const DONTWAIT: i32 = 1;
pub const SNDMORE: i32 = 2;

/// A parsed endpoint: `transport://address`.
#[derive(Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    Inproc(&'a [u8]),
    Tcp(&'a [u8]),
    Ipc(&'a [u8]),
    Udp(&'a [u8]),
    /// ws:// (draft): `host:port[/path]`.
    Ws(&'a [u8]),
    /// wss:// (draft): ws:// over TLS.
    Wss(&'a [u8]),
}

impl<'a> Endpoint<'a> {
    /// Parses an endpoint; EINVAL for a malformed one, EPROTONOSUPPORT for
    /// an unknown transport (as libzmq).
    pub fn parse(addr: &'a [u8]) -> Result<Endpoint<'a>> {
        let sep = addr
            .windows(3)
            .position(|w| w == b"://")
            .ok_or(Error::Invalid)?;
        let (proto, rest) = (&addr[..sep], &addr[sep + 3..]);
        // libzmq's parse_uri: neither part may be empty.
        if proto.is_empty() || rest.is_empty() {
            return Err(Error::Invalid);
        }
        match proto {
            b"inproc" => Ok(Endpoint::Inproc(rest)),
            b"tcp" => Ok(Endpoint::Tcp(rest)),
            b"ipc" => Ok(Endpoint::Ipc(rest)),
            b"udp" => Ok(Endpoint::Udp(rest)),
            b"ws" => Ok(Endpoint::Ws(rest)),
            b"wss" => Ok(Endpoint::Wss(rest)),
            _ => Err(Error::Os(libc::EPROTONOSUPPORT)),
        }
    }
}

/// How long a blocking receive watches an empty inproc pipe before it
/// sleeps: pauses of ~24 ns (EPYC), so about 5 us.
const SPIN_ROUNDS: u32 = 200;

/// This thread may run on more than one CPU (its affinity, read once per
/// thread): only then can a peer thread make progress while it spins.
fn may_spin() -> bool {
    SPIN_CPUS.with(|c| {
        if c.get() == 0 {
            // SAFETY: a zeroed cpu_set_t is a valid empty set; the call
            // fills it for the calling thread (pid 0).
            let n = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0
                {
                    libc::CPU_COUNT(&set)
                } else {
                    1
                }
            };
            c.set(if n > 1 { 2 } else { 1 });
        }
        c.get() == 2
    })
}

std::thread_local! {
    /// 0 until `may_spin` looked; then 1 (one CPU) or 2 (more).
    static SPIN_CPUS: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
    /// The socket on which this thread last sent a first message after a
    /// receive (a request, or a reply: `Socket::read_direct`).
    /// (Its mailbox's address: socket ids are per context.)
    static LAST_REQUEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub struct Socket {
    id: SocketId,
    socket_type: i32,
    ctx: Arc<Ctx>,
    mailbox: OwnerMailbox,
    pipes: PipeSet,
    pattern: Pattern,
    pub options: Options,
    pub pattern_options: PatternOptions,
    /// The last received frame had MORE set.
    rcvmore: bool,
    /// Sent since the last whole message received: a blocking receive
    /// awaits a reply, and may read its connection itself (`pipe::direct`).
    awaits_reply: bool,
    /// The context is shutting down: every call fails with ETERM.
    stopped: bool,
    last_endpoint: Vec<u8>,
    /// Pipes created by our inproc connects, by endpoint, for disconnect.
    connected: Vec<(Vec<u8>, PipeId)>,
    /// tcp/ipc endpoints we bound: (as given, as resolved).
    bound: Vec<(Vec<u8>, Vec<u8>)>,
    /// tcp/ipc endpoints we connected to.
    remote: Vec<Vec<u8>>,
    /// The I/O thread, once a tcp/ipc endpoint exists.
    io: Option<OwnerMailbox>,
    /// Connection events (`zmq_socket_monitor`), shared with the sessions.
    monitor: Arc<Monitor>,
    /// Scratch space for commands and terminated pipes (no allocation per call).
    commands: VecDeque<Command>,
    terminated: Vec<PipeId>,
}

impl Socket {
    /// A socket of `socket_type`: ENOTSUP for types not implemented yet,
    /// ETERM once the context is shutting down, EMFILE past MAX_SOCKETS.
    pub fn new(ctx: Arc<Ctx>, socket_type: i32) -> Result<Socket> {
        let pattern = Pattern::for_type(socket_type).ok_or(Error::NotSupported)?;
        let mailbox: OwnerMailbox = Arc::new(if Pattern::thread_safe(socket_type) {
            Mailbox::new_thread_safe()?
        } else {
            Mailbox::new()?
        });
        let id = ctx.register_socket(mailbox.clone())?;
        let options = Options::new(socket_type, &ctx.options());
        Ok(Socket {
            id,
            socket_type,
            ctx,
            mailbox,
            pipes: PipeSet::default(),
            pattern,
            options,
            pattern_options: PatternOptions::new(socket_type),
            rcvmore: false,
            awaits_reply: false,
            stopped: false,
            last_endpoint: Vec::new(),
            connected: Vec::new(),
            bound: Vec::new(),
            remote: Vec::new(),
            io: None,
            monitor: Monitor::new(),
            commands: VecDeque::new(),
            terminated: Vec::new(),
        })
    }

    pub fn socket_type(&self) -> i32 {
        self.socket_type
    }

    /// The mailbox of a thread-safe socket (CLIENT, SERVER ...), for waiting
    /// outside the call lock; `None` for the classic types.
    #[inline]
    pub fn thread_safe_mailbox(&self) -> Option<&OwnerMailbox> {
        self.mailbox.safe().map(|_| &self.mailbox)
    }

    /// `zmq_join`/`zmq_leave` (DISH).
    pub fn join(&mut self, group: &[u8], on: bool) -> Result<()> {
        self.process_pending()?;
        self.pattern.join(&mut self.pipes, group, on)
    }

    /// The routing id the newest pipe got (PEER's `zmq_connect_peer`).
    pub fn last_peer_routing_id(&self) -> u32 {
        match &self.pattern {
            Pattern::Server { server, .. } => server.last_attached,
            _ => 0,
        }
    }

    pub fn fd(&self) -> i32 {
        self.mailbox.fd()
    }

    /// ETERM once this socket has processed its context's termination (as
    /// libzmq's `_ctx_terminated`: a call that processes commands saw it).
    pub fn check_live(&self) -> Result<()> {
        if self.stopped {
            return Err(Error::Terminated);
        }
        Ok(())
    }

    /// `zmq_setsockopt` for every stored option: the generic table first,
    /// then the socket-type table (the two cover disjoint option numbers).
    pub fn set_option(&mut self, option: i32, value: Option<&[u8]>) -> Result<()> {
        if self.options.set(option, value)? {
            match option {
                options::INVERT_MATCHING => self.apply_pattern_options(),
                options::SNDHWM | options::RCVHWM => self.resize_pipes(),
                _ => {}
            }
            return Ok(());
        }
        match self.pattern_options.set(self.socket_type, option, value)? {
            PatternAction::Stored => {
                self.apply_pattern_options();
                Ok(())
            }
            PatternAction::Subscribe(topic) => self.subscribe(topic, true),
            PatternAction::Unsubscribe(topic) => self.subscribe(topic, false),
        }
    }

    /// `zmq_getsockopt` for every stored option; `Ok(None)` when the option
    /// is not a stored one (socket state, answered by the caller).
    pub fn get_option(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        if let Some(n) = self.options.get(option, out)? {
            return Ok(Some(n));
        }
        self.pattern_options.get(self.socket_type, option, out)
    }

    /// SNDHWM/RCVHWM changed: the pipes already attached take the new marks
    /// (with the other socket's for inproc ones), as libzmq's do.
    fn resize_pipes(&mut self) {
        let snd = self.options.sndhwm.max(0) as u64;
        let rcv = self.options.rcvhwm.max(0) as u64;
        for i in 0..self.pipes.len() {
            let pipe = self.pipes.get_mut(i);
            let (out, inp) = match pipe.peer_marks {
                Some((peer_rcv, peer_snd)) => (
                    inproc_capacity(snd, peer_rcv),
                    inproc_capacity(peer_snd, rcv),
                ),
                None => (snd, rcv),
            };
            pipe.set_hwms(out, inp);
        }
    }

    /// Copies the socket-type options the patterns act on into their state.
    fn apply_pattern_options(&mut self) {
        let po = &self.pattern_options;
        // ROUTER_RAW (ROUTER, REP) switches the socket to raw connections
        // for good, as libzmq's router_t::xsetsockopt does to its options_t:
        // endpoints opened from now on are raw, and inproc peers' routing
        // ids are no longer taken.
        if po.router_raw_latched {
            self.options.raw_socket = true;
            self.options.recv_routing_id = false;
        }
        let invert = self.options.invert_matching;
        match &mut self.pattern {
            Pattern::Router(r) => {
                r.mandatory = po.router_mandatory;
                r.handover = po.router_handover;
                r.raw_socket = self.options.raw_socket;
                r.raw_close = po.router_raw;
            }
            Pattern::Pub(p) => {
                p.verbose = po.xpub_verbose_subs;
                p.verbose_unsubs = po.xpub_verbose_unsubs;
                p.manual = po.xpub_manual && p.is_xpub();
                p.only_first = po.only_first_subscribe;
                p.send_last = po.xpub_send_last_pipe && p.is_xpub();
                p.nodrop = po.xpub_nodrop && p.is_xpub();
                p.invert = invert;
            }
            Pattern::Sub(s) => {
                s.invert = invert;
                s.verbose_unsubs = po.xsub_verbose_unsubs;
            }
            Pattern::Radio(r) => r.nodrop = po.xpub_nodrop,
            Pattern::Req(r) => {
                r.correlate = po.req_correlate;
                r.relaxed = po.req_relaxed;
            }
            _ => {}
        }
    }

    /// ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE.
    pub fn subscribe(&mut self, topic: &[u8], on: bool) -> Result<()> {
        self.process_commands(None)?;
        self.pattern.subscribe(&mut self.pipes, topic, on)
    }

    pub fn rcvmore(&self) -> bool {
        self.rcvmore
    }

    pub fn last_endpoint(&self) -> &[u8] {
        &self.last_endpoint
    }

    /// The per-call check for commands: one atomic load when none wait.
    #[inline]
    fn process_pending(&mut self) -> Result<()> {
        if !self.stopped && !self.mailbox.has_pending() {
            return Ok(());
        }
        self.process_commands(None).map(|_| ())
    }

    /// Handles queued commands; with `wait`, first waits up to that long for
    /// one to arrive. Returns false if the wait timed out.
    #[inline(never)]
    fn process_commands(&mut self, wait: Option<Option<Duration>>) -> Result<bool> {
        let got = match wait {
            Some(timeout) => self.mailbox.recv(&mut self.commands, timeout)?,
            None => {
                if self.mailbox.has_pending() {
                    self.mailbox.drain(&mut self.commands);
                }
                true
            }
        };
        while let Some(cmd) = self.commands.pop_front() {
            self.handle(cmd);
        }
        if self.stopped {
            return Err(Error::Terminated);
        }
        Ok(got)
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::ActivateRead(id) => {
                if let Some(i) = self.pipes.index_of(id) {
                    if !self.pattern.read_activated(&mut self.pipes, i) {
                        self.pipes.activate_in(i);
                    }
                }
            }
            Command::ActivateWrite(id) => {
                if let Some(i) = self.pipes.index_of(id) {
                    self.pipes.activate_out(i);
                }
            }
            Command::PipeTerm(id) => {
                if let Some(i) = self.pipes.index_of(id) {
                    if self.pattern.send_only() {
                        // Nothing will ever read the rest: drop it now.
                        let pipe = self.pipes.get_mut(i);
                        while pipe.read().is_some() {}
                        self.drop_pipe(i);
                    } else {
                        // Let fair-queueing read up to the delimiter.
                        self.pipes.activate_in(i);
                    }
                }
            }
            Command::Hiccup(id) => {
                if let Some(i) = self.pipes.index_of(id) {
                    self.pattern.hiccuped(&mut self.pipes, i);
                }
            }
            Command::Attach(end) => self.attach(*end),
            Command::Stop => self.stopped = true,
            Command::Io(_) => {}
        }
    }

    fn attach(&mut self, mut end: PipeEnd) {
        end.set_owner(self.mailbox.clone());
        let id = end.id();
        let generated = end.routing_id.is_empty();
        match self.pattern.attach(id, &mut end.routing_id) {
            admission @ (Admission::Accept | Admission::Replace(_)) => {
                // libzmq's STREAM leaves the id it generated for the newest
                // peer in ZMQ_ROUTING_ID (its tests read it back there).
                if generated && self.socket_type == pattern::kind::STREAM {
                    self.options.routing_id = end.routing_id.clone();
                }
                // ROUTER_HANDOVER: the earlier peer with this id goes.
                if let Admission::Replace(old) = admission {
                    if let Some(i) = self.pipes.index_of(old) {
                        let pipe = self.pipes.detach(i);
                        self.connected.retain(|(_, id)| *id != old);
                        pipe.close();
                    }
                }
                let index = self.pipes.attach(end);
                self.pattern.attached(&mut self.pipes, index);
                self.greet(index);
            }
            Admission::Refuse => end.close(),
        }
    }

    /// What a new pipe gets first: PROBE_ROUTER's empty message (ROUTER,
    /// DEALER), XPUB_WELCOME_MSG (XPUB).
    fn greet(&mut self, index: usize) {
        let po = &self.pattern_options;
        let probe = po.probe_router
            && matches!(
                self.socket_type,
                pattern::kind::ROUTER | pattern::kind::DEALER
            );
        let welcome = self.socket_type == pattern::kind::XPUB && !po.xpub_welcome_msg.is_empty();
        if !probe && !welcome {
            return;
        }
        let msg = if probe {
            Msg::new()
        } else {
            match Msg::from_slice(&po.xpub_welcome_msg) {
                Ok(m) => m,
                Err(_) => return,
            }
        };
        let pipe = self.pipes.get_mut(index);
        if probe && pipe.probed {
            return; // its session sent the probe
        }
        pipe.write(msg);
        pipe.flush();
    }

    fn drop_pipe(&mut self, index: usize) {
        let pipe = self.pipes.detach(index);
        self.pattern.detached(pipe.id());
        self.connected.retain(|(_, id)| *id != pipe.id());
        pipe.close();
    }

    #[inline]
    fn reap_terminated(&mut self) {
        if !self.terminated.is_empty() {
            self.reap_terminated_now();
        }
    }

    #[inline(never)]
    fn reap_terminated_now(&mut self) {
        while let Some(id) = self.terminated.pop() {
            if let Some(i) = self.pipes.index_of(id) {
                self.drop_pipe(i);
            }
        }
    }

    fn deadline(timeout_ms: i32) -> Option<Instant> {
        (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64))
    }

    /// Waits for commands until `deadline`; EAGAIN once it has passed.
    fn wait(&mut self, deadline: Option<Instant>) -> Result<()> {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Err(Error::Again);
        }
        if !self.process_commands(Some(left))? && deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::Again);
        }
        Ok(())
    }

    /// Sends one frame (`zmq_msg_send`). On failure the message is returned.
    pub fn send(&mut self, mut msg: Msg, send_flags: i32) -> std::result::Result<(), (Error, Msg)> {
        self.send_from(&mut msg, send_flags).map_err(|e| (e, msg))
    }

    /// [`Socket::send`] for a message held by reference (`zmq_msg_send`):
    /// on success it has been taken and `msg` is empty; on failure it is
    /// left in place (with its MORE flag set as `send_flags` asked). Moving
    /// the 64-byte message once, caller to queue, is what keeps small
    /// messages cheap.
    pub fn send_from(&mut self, msg: &mut Msg, send_flags: i32) -> Result<()> {
        self.process_pending()?;
        if send_flags & SNDMORE != 0 {
            msg.set_flags(flags::MORE);
        } else {
            msg.reset_flags(flags::MORE);
        }
        let nonblocking = send_flags & DONTWAIT != 0 || self.options.sndtimeo == 0;
        // The clock is read only once a wait is needed, not per message.
        let mut deadline = None;
        loop {
            match self.pattern.send_from(&mut self.pipes, msg) {
                Ok(()) => {
                    if !self.awaits_reply {
                        self.awaits_reply = true;
                        LAST_REQUEST.with(|w| w.set(Arc::as_ptr(&self.mailbox) as usize));
                    }
                    return Ok(());
                }
                Err(Error::Again) if !nonblocking => {
                    let d = *deadline.get_or_insert_with(|| Self::deadline(self.options.sndtimeo));
                    self.wait(d)?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Receives one frame (`zmq_recv`).
    pub fn recv(&mut self, recv_flags: i32) -> Result<Msg> {
        let mut msg = Msg::new();
        self.recv_into(&mut msg, recv_flags)?;
        Ok(msg)
    }

    /// Receives one frame into a message held by reference (`zmq_msg_recv`);
    /// its old content is dropped once a frame is taken.
    pub fn recv_into(&mut self, out: &mut Msg, recv_flags: i32) -> Result<()> {
        self.process_pending()?;
        let nonblocking = recv_flags & DONTWAIT != 0 || self.options.rcvtimeo == 0;
        let mut deadline = None;
        loop {
            let got = self
                .pattern
                .recv_into(&mut self.pipes, &mut self.terminated, out);
            self.reap_terminated();
            match got {
                Ok(()) => {
                    self.rcvmore = out.more();
                    if !self.rcvmore {
                        self.awaits_reply = false;
                    }
                    return Ok(());
                }
                Err(Error::Again) if !nonblocking => {
                    if self.pipes.len() == 1 && self.watch_input() {
                        continue;
                    }
                    let d = *deadline.get_or_insert_with(|| Self::deadline(self.options.rcvtimeo));
                    if self.awaits_reply || self.streams_in() {
                        match self.read_direct(d) {
                            Ok(true) => continue,
                            Ok(false) => {}
                            Err(e) => return Err(Self::recv_failed(out, e)),
                        }
                    }
                    if let Err(e) = self.wait(d) {
                        return Err(Self::recv_failed(out, e));
                    }
                }
                Err(e) => return Err(Self::recv_failed(out, e)),
            }
        }
    }

    /// A blocking receive on a socket with one inproc pipe watches it
    /// before it sleeps (`PipeEnd::watch_input`). When this thread may run
    /// on more than one CPU: a receive awaiting a reply spins a few
    /// microseconds (the peer thread answers on another CPU). Pinned to one
    /// CPU, spinning would keep the writer off it: any blocking receive
    /// yields the CPU once instead, so the writer (a thread of this
    /// process) writes a batch rather than waking this one per message.
    /// True when a message arrived.
    #[inline(never)]
    fn watch_input(&mut self) -> bool {
        if self.mailbox.has_pending() || self.mailbox.safe().is_some() {
            return false;
        }
        let how = if may_spin() {
            if !self.awaits_reply {
                return false;
            }
            Watch::Spin(SPIN_ROUNDS)
        } else {
            Watch::Yield
        };
        let pipe = self.pipes.get_mut(0);
        if !pipe.watch_input(how) {
            return false;
        }
        let id = pipe.id();
        self.handle(Command::ActivateRead(id));
        true
    }

    /// Direct reads (`pipe::direct`): a blocking receive on a socket with
    /// one pipe, awaiting a reply, reads the connection itself when its
    /// session lent it, instead of waiting for the I/O thread to queue the
    /// message and wake it. True when there may be something to read now;
    /// false to wait the usual way.
    #[inline(never)]
    fn read_direct(&mut self, deadline: Option<Instant>) -> Result<bool> {
        // Only when this thread's last request went out on this socket: a
        // thread that serves many sockets in turn (replies from many
        // DEALERs) gets them in the I/O threads' batches, where a direct
        // read would wake it, and switch, once per reply. A stream of
        // large messages needs no request: its reader reads each batch
        // itself rather than wait for the I/O thread to read it and wake
        // it (on a busy CPU, one thread instead of two taking turns).
        if (!self.streams_in()
            && LAST_REQUEST.with(|w| w.get()) != Arc::as_ptr(&self.mailbox) as usize)
            || self.pipes.len() != 1
            || self.mailbox.safe().is_some()
            || self.mailbox.has_pending()
        {
            return Ok(false);
        }
        let pipe = self.pipes.get_mut(0);
        match pipe.read_direct(self.mailbox.fd(), deadline) {
            crate::pipe::direct::Read::Got => {
                let id = pipe.id();
                self.handle(Command::ActivateRead(id));
                Ok(true)
            }
            crate::pipe::direct::Read::Nothing | crate::pipe::direct::Read::TimedOut => Ok(false),
            crate::pipe::direct::Read::Interrupted => Err(Error::from_errno(libc::EINTR)),
        }
    }

    /// The socket's one pipe has its connection's read side lent for a
    /// stream of large messages (`pipe::direct`).
    fn streams_in(&mut self) -> bool {
        self.pipes.len() == 1 && self.pipes.get_mut(0).streams_in()
    }

    /// A receive that found nothing leaves an empty message, as libzmq's
    /// (which closes and re-initialises it before looking).
    #[cold]
    fn recv_failed(out: &mut Msg, e: Error) -> Error {
        if e == Error::Again {
            *out = Msg::new();
        }
        e
    }

    /// `ZMQ_EVENTS`: processes pending commands, then reports readiness.
    pub fn events(&mut self) -> Result<(bool, bool)> {
        self.process_commands(None)?;
        let has_in = self.pattern.has_in(&mut self.pipes);
        let has_out = self.pattern.has_out(&mut self.pipes);
        Ok((has_in, has_out))
    }

    /// Whether a message could be sent now (the POLLOUT half of
    /// `ZMQ_EVENTS`), without the receive-side check.
    pub fn can_send(&mut self) -> Result<bool> {
        self.process_pending()?;
        Ok(self.pattern.has_out(&mut self.pipes))
    }

    fn inproc_hwm(&self) -> InprocPeer {
        let o = &self.options;
        InprocPeer {
            conflate: o.effective_conflate(),
            routing_id: o.routing_id.clone(),
            recv_routing_id: o.recv_routing_id,
            sndhwm: o.sndhwm.max(0) as u64,
            rcvhwm: o.rcvhwm.max(0) as u64,
            hello_msg: if o.can_send_hello_msg {
                o.hello_msg.clone()
            } else {
                Vec::new()
            },
            disconnect_msg: if o.can_recv_disconnect_msg {
                o.disconnect_msg.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// `zmq_socket_monitor[_versioned]`: starts a monitor publishing on
    /// `addr`, or stops the running one (`None`).
    pub fn monitor(
        &mut self,
        addr: Option<&[u8]>,
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> Result<()> {
        if self.stopped || self.ctx.is_terminating() {
            return Err(Error::Terminated);
        }
        match addr {
            None => {
                self.monitor.stop(true);
                Ok(())
            }
            Some(a) => self
                .monitor
                .start(&self.ctx, a, events, version, socket_type),
        }
    }

    /// `zmq_socket_monitor_pipes_stats`: a ZMQ_EVENT_PIPES_STATS event per
    /// pipe with its outbound and inbound queue lengths; EINVAL unless a
    /// monitor wants that event (as libzmq). libzmq asks each pipe's peer
    /// and reports as the answers come; the counts are read here at once.
    pub fn monitor_pipes_stats(&mut self) -> Result<()> {
        self.process_commands(None)?;
        if !self.monitor.wants(event::PIPES_STATS) {
            return Err(Error::Invalid);
        }
        // Nothing to report on: EAGAIN, as libzmq.
        if self.pipes.is_empty() {
            return Err(Error::Again);
        }
        for i in 0..self.pipes.len() {
            let pipe = self.pipes.get_mut(i);
            let (out, inp) = pipe.queued();
            let id = pipe.id();
            let remote = self
                .connected
                .iter()
                .find(|(_, p)| *p == id)
                .map(|(ep, _)| String::from_utf8_lossy(ep).into_owned());
            let local = String::from_utf8_lossy(&self.last_endpoint).into_owned();
            let ep = match &remote {
                Some(r) => Endpoints {
                    local: "",
                    remote: r,
                    side: monitor::Side::Connect,
                },
                // An accepted connection: the bound endpoint, and the peer.
                None => Endpoints {
                    local: &local,
                    remote: pipe.peer_endpoint.as_deref().unwrap_or(""),
                    side: monitor::Side::Bind,
                },
            };
            self.monitor.emit(event::PIPES_STATS, &[out, inp], ep);
        }
        Ok(())
    }

    pub fn bind(&mut self, addr: &[u8]) -> Result<()> {
        self.process_commands(None)?;
        let result = self.bind_endpoint(addr);
        // A tcp/ipc address that would not bind (libzmq: the listener's
        // set_local_address failed).
        // The event names the address without its transport, as libzmq's.
        if let (
            Err(e),
            Ok(Endpoint::Tcp(a) | Endpoint::Ipc(a) | Endpoint::Ws(a) | Endpoint::Wss(a)),
        ) = (&result, Endpoint::parse(addr))
        {
            let ep = String::from_utf8_lossy(a);
            let value = [e.errno() as u64];
            self.monitor
                .emit(event::BIND_FAILED, &value, Endpoints::bound(&ep));
        }
        if result.is_ok() && !addr.starts_with(b"inproc://") {
            self.mailbox.wake();
        }
        result
    }

    /// libzmq's transport rules for the udp types: DGRAM only over udp;
    /// udp binds for DISH and DGRAM and connects for RADIO only.
    fn check_transport(&self, ep: &Endpoint<'_>, bind: bool) -> Result<()> {
        use pattern::kind::{DGRAM, DISH, RADIO};
        let t = self.socket_type;
        let ok = match ep {
            Endpoint::Udp(_) if bind => t == DISH || t == DGRAM,
            Endpoint::Udp(_) => t == RADIO,
            // Raw STREAM bytes have no WebSocket framing of their own.
            Endpoint::Ws(_) | Endpoint::Wss(_) => t != DGRAM && t != pattern::kind::STREAM,
            _ => t != DGRAM,
        };
        if !ok {
            return Err(Error::IncompatibleProtocol);
        }
        Ok(())
    }

    /// libzmq's check_protocol, which zmq_unbind and zmq_disconnect run
    /// before looking the endpoint up: udp is only for the udp types.
    fn check_protocol(&self, ep: &Endpoint<'_>) -> Result<()> {
        use pattern::kind::{DGRAM, DISH, RADIO};
        let t = self.socket_type;
        if matches!(ep, Endpoint::Udp(_)) && t != DISH && t != RADIO && t != DGRAM {
            return Err(Error::IncompatibleProtocol);
        }
        Ok(())
    }

    fn udp_options(&self) -> crate::io::udp::UdpOptions {
        crate::io::udp::UdpOptions {
            multicast_hops: self.options.multicast_hops,
            multicast_loop: self.options.multicast_loop,
            sndbuf: self.options.sndbuf,
            rcvbuf: self.options.rcvbuf,
        }
    }

    /// A udp endpoint: the socket is opened here (errors reach the
    /// caller), its engine runs in the I/O thread behind a pipe.
    fn open_udp(&mut self, addr: &[u8], a: &[u8], bind: bool) -> Result<()> {
        use crate::io::udp::{self, Role, UdpEngine};
        let role = match self.socket_type {
            pattern::kind::RADIO => Role::Radio,
            pattern::kind::DISH => Role::Dish,
            _ => Role::Dgram,
        };
        let ua = udp::parse(a, bind, self.options.ipv6)?;
        let io = self.io()?;
        let (sock, resolved) = udp::open(&ua, bind, &self.udp_options())?;
        let hwm = |v: i32| v.max(0) as u64;
        let (ours, theirs) = conflating_pipe_pair(
            [hwm(self.options.sndhwm), hwm(self.options.rcvhwm)],
            [false, false],
        );
        let id = ours.id();
        let dest = (!bind).then_some(ua.target);
        let endpoint = if bind {
            self.bound
                .push((addr.to_vec(), resolved.clone().into_bytes()));
            resolved.clone()
        } else {
            self.connected.push((addr.to_vec(), id));
            String::from_utf8_lossy(addr).into_owned()
        };
        self.attach(ours);
        self.pattern.udp_attached(id);
        io.send(Command::Io(Box::new(IoRequest::Udp {
            socket: self.id,
            endpoint,
            engine: UdpEngine::new(role, sock, theirs, dest),
        })));
        self.last_endpoint = resolved.into_bytes();
        Ok(())
    }

    fn bind_endpoint(&mut self, addr: &[u8]) -> Result<()> {
        let ep = Endpoint::parse(addr)?;
        self.check_transport(&ep, true)?;
        match ep {
            Endpoint::Udp(a) => self.open_udp(addr, a, true),
            Endpoint::Inproc(name) => {
                let pending =
                    self.ctx
                        .inproc_bind(name, self.id, self.mailbox.clone(), self.inproc_hwm())?;
                let ours = self.inproc_hwm();
                for mut p in pending {
                    // Both sides' marks, as for a connect to a bound name.
                    let sum = inproc_capacity;
                    let (their_snd, their_rcv) = p.peer_hwm;
                    p.end
                        .set_hwms(sum(ours.sndhwm, their_rcv), sum(their_snd, ours.rcvhwm));
                    p.end.peer_marks = Some((their_rcv, their_snd));
                    // The early connecter's routing id, if we take ids.
                    if !ours.recv_routing_id {
                        p.end.routing_id.clear();
                    }
                    // Draft HELLO_MSG / DISCONNECT_MSG over inproc (libzmq's
                    // connect_inproc_sockets): our hello goes to the early
                    // connecter, and it will say our goodbye when it leaves.
                    if !ours.hello_msg.is_empty() {
                        if let Ok(m) = Msg::from_slice(&ours.hello_msg) {
                            p.end.write(m);
                            p.end.flush();
                        }
                    }
                    if !ours.disconnect_msg.is_empty() {
                        p.end.set_peer_farewell(&ours.disconnect_msg);
                    }
                    self.attach(p.end);
                }
                self.last_endpoint = addr.to_vec();
                Ok(())
            }
            Endpoint::Tcp(_) | Endpoint::Ipc(_) if self.options.use_fd >= 0 => {
                let ipc = matches!(Endpoint::parse(addr)?, Endpoint::Ipc(_));
                let (listener, resolved) = transport::listener_from_fd(self.options.use_fd, ipc)?;
                self.listen(addr, listener, resolved)
            }
            Endpoint::Tcp(a) => {
                let (listener, resolved) =
                    transport::bind_tcp(a, self.options.ipv6, &self.tcp_tuning())?;
                self.listen(addr, listener, resolved)
            }
            Endpoint::Ipc(a) => {
                let (listener, resolved) = transport::bind_ipc(a)?;
                self.listen(addr, listener, resolved)
            }
            Endpoint::Ws(a) | Endpoint::Wss(a) => {
                let (hostport, path) = crate::io::ws::split(a)?;
                // wss: the certificate and key are read now, as libzmq's
                // listener does (EINVAL where libzmq asserts).
                let (scheme, tls) = if matches!(ep, Endpoint::Wss(_)) {
                    let o = &self.options;
                    let side = crate::io::tls::server_side(&o.wss_cert_pem, &o.wss_key_pem)?;
                    ("wss", Some(side))
                } else {
                    ("ws", None)
                };
                let (listener, resolved) =
                    transport::bind_tcp(hostport, self.options.ipv6, &self.tcp_tuning())?;
                // ws://ip:port/path, as libzmq's LAST_ENDPOINT.
                let resolved = format!("{scheme}{}{path}", &resolved["tcp".len()..]);
                let ws = crate::io::ws::WsTarget {
                    host: String::new(),
                    path,
                    tls,
                };
                self.listen_with(addr, listener, resolved, Some(ws))
            }
        }
    }

    fn io(&mut self) -> Result<OwnerMailbox> {
        if self.io.is_none() {
            self.io = Some(self.ctx.io_thread(self.options.affinity)?);
        }
        self.io.clone().ok_or(Error::NoThread)
    }

    fn session_config(&self) -> Arc<SessionConfig> {
        let o = &self.options;
        Arc::new(SessionConfig {
            socket_type: self.socket_type,
            socket_mailbox: self.mailbox.clone(),
            routing_id: o.routing_id.clone(),
            maxmsgsize: o.maxmsgsize,
            handshake_ivl: o.handshake_ivl,
            reconnect_ivl: o.reconnect_ivl,
            reconnect_ivl_max: o.reconnect_ivl_max,
            sndhwm: o.sndhwm,
            rcvhwm: o.rcvhwm,
            immediate: o.immediate,
            tuning: self.tcp_tuning(),
            conflate: o.effective_conflate(),
            monitor: self.monitor.clone(),
            heartbeat_ivl: o.heartbeat_ivl,
            heartbeat_timeout: o.heartbeat_timeout,
            heartbeat_ttl_ds: o.heartbeat_ttl,
            // STREAM, and ROUTER/REP once ROUTER_RAW was set. Only STREAM
            // can turn the notifications off (libzmq's raw_notify).
            raw: o.raw_socket,
            raw_notify: self.pattern_options.stream_notify,
            connect_routing_id: Vec::new(),
            probe_router: self.pattern_options.probe_router
                && self.socket_type == pattern::kind::ROUTER,
            connect_timeout: o.connect_timeout,
            socks: None,
            ws: None,
            router_notify: if self.socket_type == pattern::kind::ROUTER {
                self.pattern_options.router_notify
            } else {
                0
            },
            reconnect_stop: o.reconnect_stop,
            accept_filters: o.tcp_accept_filters.clone(),
            ipc_filters: IpcFilters {
                uids: o.ipc_uid_accept_filters.clone(),
                gids: o.ipc_gid_accept_filters.clone(),
                pids: o.ipc_pid_accept_filters.clone(),
            },
            hello_msg: (o.can_send_hello_msg && !o.hello_msg.is_empty())
                .then(|| o.hello_msg.clone()),
            disconnect_msg: (o.can_recv_disconnect_msg && !o.disconnect_msg.is_empty())
                .then(|| o.disconnect_msg.clone()),
            hiccup_msg: (o.can_recv_hiccup_msg && !o.hiccup_msg.is_empty())
                .then(|| o.hiccup_msg.clone()),
            secure: !o.zap_domain.is_empty() || o.mechanism != options::Mechanism::Null,
            security: match (o.mechanism, o.as_server) {
                (options::Mechanism::Null, _) => Security::Null,
                (options::Mechanism::Plain, true) => Security::PlainServer,
                (options::Mechanism::Plain, false) => Security::PlainClient {
                    username: o.plain_username.clone(),
                    password: o.plain_password.clone(),
                },
                (options::Mechanism::Curve, true) => Security::CurveServer {
                    secret: o.curve_secret_key,
                },
                (options::Mechanism::Curve, false) => Security::CurveClient {
                    public: o.curve_public_key,
                    secret: o.curve_secret_key,
                    server: o.curve_server_key,
                },
            },
            zap_domain: o.zap_domain.clone(),
            zap_enforce: o.zap_enforce_domain,
            zap: zap_connector(&self.ctx),
            app_metadata: o
                .app_metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    fn tcp_tuning(&self) -> transport::TcpTuning {
        let o = &self.options;
        transport::TcpTuning {
            sndbuf: o.sndbuf,
            rcvbuf: o.rcvbuf,
            tos: o.tos,
            keepalive: o.tcp_keepalive,
            keepalive_cnt: o.tcp_keepalive_cnt,
            keepalive_idle: o.tcp_keepalive_idle,
            keepalive_intvl: o.tcp_keepalive_intvl,
            backlog: o.backlog,
            maxrt: o.tcp_maxrt,
            device: o.bound_device.clone(),
            busy_poll: o.busy_poll,
        }
    }

    fn listen(
        &mut self,
        addr: &[u8],
        listener: transport::Listener,
        resolved: String,
    ) -> Result<()> {
        self.listen_with(addr, listener, resolved, None)
    }

    fn listen_with(
        &mut self,
        addr: &[u8],
        listener: transport::Listener,
        resolved: String,
        ws: Option<crate::io::ws::WsTarget>,
    ) -> Result<()> {
        let io = self.io()?;
        let mut cfg = self.session_config();
        if let Some(c) = Arc::get_mut(&mut cfg) {
            c.ws = ws;
        }
        self.monitor.emit(
            event::LISTENING,
            &[listener.fd() as u64],
            Endpoints::bound(&resolved),
        );
        io.send(Command::Io(Box::new(IoRequest::Listen {
            socket: self.id,
            endpoint: resolved.clone(),
            listener,
            cfg,
        })));
        self.bound
            .push((addr.to_vec(), resolved.clone().into_bytes()));
        self.last_endpoint = resolved.into_bytes();
        Ok(())
    }

    fn connect_remote(
        &mut self,
        addr: &[u8],
        target: Target,
        socks: Option<crate::io::socks::SocksRequest>,
        ws: Option<crate::io::ws::WsTarget>,
    ) -> Result<()> {
        let io = self.io()?;
        let mut cfg = self.session_config();
        // ZMQ_CONNECT_ROUTING_ID names this connect's peer, once.
        let routed = matches!(
            self.socket_type,
            pattern::kind::ROUTER | pattern::kind::STREAM
        );
        let named = if routed {
            std::mem::take(&mut self.pattern_options.connect_routing_id)
        } else {
            Vec::new()
        };
        if let Some(c) = Arc::get_mut(&mut cfg) {
            c.connect_routing_id = named.clone();
            c.socks = socks;
            c.ws = ws;
        }
        // Messages may queue before the connection exists, unless IMMEDIATE.
        // A ROUTER learns the peer's routing id in the handshake, and a
        // STREAM peer exists only while connected, so their pipes are
        // created then, unless the connect named the peer: then messages
        // to that name queue from now on, as in libzmq.
        let pipe = if self.options.immediate || (routed && named.is_empty()) {
            None
        } else {
            let hwm = |v: i32| v.max(0) as u64;
            let c = self.options.effective_conflate();
            let (mut ours, theirs) =
                conflating_pipe_pair([hwm(self.options.sndhwm), hwm(self.options.rcvhwm)], [c, c]);
            ours.routing_id = named;
            self.connected.push((addr.to_vec(), ours.id()));
            self.attach(ours);
            Some(theirs)
        };
        io.send(Command::Io(Box::new(IoRequest::Connect {
            socket: self.id,
            endpoint: String::from_utf8_lossy(addr).into_owned(),
            target,
            pipe,
            cfg,
        })));
        self.remote.push(addr.to_vec());
        self.last_endpoint = addr.to_vec();
        Ok(())
    }

    pub fn connect(&mut self, addr: &[u8]) -> Result<()> {
        self.process_commands(None)?;
        let result = self.connect_endpoint(addr);
        if result.is_ok() && !addr.starts_with(b"inproc://") {
            self.mailbox.wake();
        }
        result
    }

    fn connect_endpoint(&mut self, addr: &[u8]) -> Result<()> {
        let ep = Endpoint::parse(addr)?;
        self.check_transport(&ep, false)?;
        match ep {
            Endpoint::Udp(a) => self.open_udp(addr, a, false),
            Endpoint::Inproc(name) => {
                let ours = self.inproc_hwm();
                // The binder's marks are known only if it is bound already.
                let mut created: Option<PipeEnd> = None;
                let target = self.ctx.inproc_connect(name, || {
                    let c = ours.conflate;
                    let (mut a, mut b) = conflating_pipe_pair([ours.sndhwm, ours.rcvhwm], [c, c]);
                    b.routing_id = ours.routing_id.clone();
                    // Our hello waits in the pipe for the binder.
                    if !ours.hello_msg.is_empty() {
                        if let Ok(m) = Msg::from_slice(&ours.hello_msg) {
                            a.write(m);
                            a.flush();
                        }
                    }
                    created = Some(a);
                    PendingPipe {
                        end: b,
                        peer_hwm: (ours.sndhwm, ours.rcvhwm),
                    }
                });
                let ours_end = match target {
                    InprocTarget::Bound {
                        mailbox,
                        hwm: theirs,
                    } => {
                        let sum = inproc_capacity;
                        // A direction conflates if its writer or its reader asks.
                        let c = ours.conflate || theirs.conflate;
                        let (mut a, mut b) = conflating_pipe_pair(
                            [
                                sum(ours.sndhwm, theirs.rcvhwm),
                                sum(theirs.sndhwm, ours.rcvhwm),
                            ],
                            [c, c],
                        );
                        // Each side learns the other's routing id only if
                        // it takes ids (libzmq's recv_routing_id).
                        if ours.recv_routing_id {
                            a.routing_id = theirs.routing_id;
                        }
                        if theirs.recv_routing_id {
                            b.routing_id = ours.routing_id;
                        }
                        a.peer_marks = Some((theirs.rcvhwm, theirs.sndhwm));
                        b.peer_marks = Some((ours.rcvhwm, ours.sndhwm));
                        // Draft HELLO_MSG / DISCONNECT_MSG over inproc: each
                        // side's hello goes to the other; the binder's
                        // goodbye is sent by our end when it closes.
                        for (end, hello) in [(&mut a, &ours.hello_msg), (&mut b, &theirs.hello_msg)]
                        {
                            if !hello.is_empty() {
                                if let Ok(m) = Msg::from_slice(hello) {
                                    end.write(m);
                                    end.flush();
                                }
                            }
                        }
                        if !theirs.disconnect_msg.is_empty() {
                            a.set_farewell(&theirs.disconnect_msg);
                        }
                        b.set_owner(mailbox.clone());
                        mailbox.send(Command::Attach(Box::new(b)));
                        a
                    }
                    InprocTarget::NotBound => created.ok_or(Error::Invalid)?,
                };
                // ZMQ_CONNECT_ROUTING_ID names this connect's peer (ROUTER,
                // STREAM), once, as for tcp/ipc.
                let mut ours_end = ours_end;
                if matches!(
                    self.socket_type,
                    pattern::kind::ROUTER | pattern::kind::STREAM
                ) && !self.pattern_options.connect_routing_id.is_empty()
                {
                    ours_end.routing_id =
                        std::mem::take(&mut self.pattern_options.connect_routing_id);
                }
                self.connected.push((addr.to_vec(), ours_end.id()));
                self.attach(ours_end);
                self.last_endpoint = addr.to_vec();
                Ok(())
            }
            Endpoint::Tcp(a) if transport::check_connect_syntax(a).is_err() => Err(Error::Invalid),
            Endpoint::Tcp(a) if !self.options.socks_proxy_address.is_empty() => {
                let o = &self.options;
                let (target, req) = transport::socks_target(
                    a,
                    &o.socks_proxy_address,
                    o.ipv6,
                    &o.socks_proxy_username,
                    &o.socks_proxy_password,
                )?;
                self.connect_remote(addr, target, Some(req), None)
            }
            Endpoint::Tcp(a) => {
                let target = transport::resolve_tcp(a, self.options.ipv6)?;
                self.connect_remote(addr, target, None, None)
            }
            Endpoint::Ipc(a) => {
                let target = Target::Ipc(transport::resolve_ipc(a)?);
                self.connect_remote(addr, target, None, None)
            }
            Endpoint::Ws(a) | Endpoint::Wss(a) => {
                let (hostport, path) = crate::io::ws::split(a)?;
                let target = transport::resolve_tcp(hostport, self.options.ipv6)?;
                let host = crate::io::ws::host_of(hostport);
                let tls = if matches!(ep, Endpoint::Wss(_)) {
                    let o = &self.options;
                    Some(crate::io::tls::client_side(
                        &o.wss_trust_pem,
                        o.wss_trust_system,
                        &o.wss_hostname,
                        &host,
                    )?)
                } else {
                    None
                };
                let ws = crate::io::ws::WsTarget { host, path, tls };
                self.connect_remote(addr, target, None, Some(ws))
            }
        }
    }

    pub fn unbind(&mut self, addr: &[u8]) -> Result<()> {
        self.process_commands(None)?;
        let ep = Endpoint::parse(addr)?;
        self.check_protocol(&ep)?;
        match ep {
            Endpoint::Inproc(name) => self.ctx.inproc_unbind(name, self.id),
            Endpoint::Tcp(_)
            | Endpoint::Ipc(_)
            | Endpoint::Udp(_)
            | Endpoint::Ws(_)
            | Endpoint::Wss(_) => {
                // Either the address as bound or the resolved endpoint; a
                // wildcard names no endpoint (libzmq: ENOENT).
                let wildcard = addr.contains(&b'*');
                let i = self
                    .bound
                    .iter()
                    .position(|(given, resolved)| (given == addr && !wildcard) || resolved == addr);
                let (_, resolved) = self.bound.remove(i.ok_or(Error::Os(libc::ENOENT))?);
                for p in self.pipes.iter_mut() {
                    p.stop_direct_reads();
                }
                if let Some(io) = &self.io {
                    io.send(Command::Io(Box::new(IoRequest::Unbind {
                        socket: self.id,
                        endpoint: String::from_utf8_lossy(&resolved).into_owned(),
                    })));
                }
                Ok(())
            }
        }
    }

    pub fn disconnect(&mut self, addr: &[u8]) -> Result<()> {
        self.process_commands(None)?;
        self.check_protocol(&Endpoint::parse(addr)?)?;
        let ids: Vec<PipeId> = self
            .connected
            .iter()
            .filter(|(a, _)| a == addr)
            .map(|(_, id)| *id)
            .collect();
        let remote = self.remote.iter().position(|a| a == addr);
        if ids.is_empty() && remote.is_none() {
            return Err(Error::Os(libc::ENOENT));
        }
        for id in ids {
            if let Some(i) = self.pipes.index_of(id) {
                self.drop_pipe(i);
            }
        }
        // The connecter itself stops too: a ROUTER or STREAM connect has no
        // pipe until its connection is up, so dropping pipes is not enough.
        if let Some(at) = remote {
            self.remote.remove(at);
            for p in self.pipes.iter_mut() {
                p.stop_direct_reads();
            }
            if let Some(io) = &self.io {
                io.send(Command::Io(Box::new(IoRequest::Disconnect {
                    socket: self.id,
                    endpoint: String::from_utf8_lossy(addr).into_owned(),
                })));
            }
        }
        Ok(())
    }

    /// ZMQ_TOPICS_COUNT (draft): EINVAL for types without subscriptions.
    pub fn topics_count(&mut self) -> Result<i32> {
        self.process_pending()?;
        let n = self.pattern.topics_count().ok_or(Error::Invalid)?;
        Ok(n.min(i32::MAX as usize) as i32)
    }

    /// `zmq_socket_get_peer_state` (draft): ROUTER only.
    pub fn peer_state(&mut self, routing_id: &[u8]) -> Result<i32> {
        self.process_pending()?;
        self.pattern.peer_state(&mut self.pipes, routing_id)
    }

    /// `zmq_close`: closes every pipe (peers read what was sent, then see the
    /// end) and leaves the context.
    pub fn close(mut self) {
        while !self.pipes.is_empty() {
            let pipe = self.pipes.detach(self.pipes.len() - 1);
            pipe.close();
        }
        match &self.io {
            // The I/O thread closes the listeners (CLOSED events), then
            // stops the monitor.
            Some(io) => io.send(Command::Io(Box::new(IoRequest::SocketClosed {
                socket: self.id,
                linger: self.options.linger,
                monitor: self.monitor.clone(),
            }))),
            None => self.monitor.stop(true),
        }
        self.ctx.unregister_socket(self.id);
        // A session that finished its handshake just now still sends its
        // new pipe here: dropped, not kept in a queue nobody reads (the
        // pipe end's owner slot holds this mailbox: the cycle would leak
        // both). The I/O thread ends that session on SocketClosed.
        self.mailbox.close();
        // Threads blocked in a thread-safe socket wake and find it closed.
        if let Some(safe) = self.mailbox.safe() {
            safe.notify();
        }
    }
}

/// Opens pipes to the context's ZAP handler for this socket's sessions. It
/// holds the context weakly: sessions outliving it find no handler.
fn zap_connector(ctx: &Arc<Ctx>) -> ZapConnector {
    let ctx = Arc::downgrade(ctx);
    ZapConnector(Arc::new(move || {
        let ctx = ctx.upgrade()?;
        let (mailbox, _) = ctx.inproc_lookup(b"zeromq.zap.01")?;
        // No HWM on either side (libzmq's ZAP pipe has none); the handler's
        // socket sees a peer with an empty routing id.
        let (ours, mut theirs) = crate::pipe::pipe_pair([0, 0]);
        theirs.routing_id = Vec::new();
        theirs.set_owner(mailbox.clone());
        mailbox.send(Command::Attach(Box::new(theirs)));
        Some(ours)
    }))
}

/// An inproc direction's queue capacity from the writer's SNDHWM and the
/// reader's RCVHWM: their sum, unlimited (0) if either is (libzmq's rule).
fn inproc_capacity(sndhwm: u64, rcvhwm: u64) -> u64 {
    if sndhwm == 0 || rcvhwm == 0 {
        0
    } else {
        sndhwm + rcvhwm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::kind;

    fn pair(ctx: &Arc<Ctx>, a: i32, b: i32, name: &[u8]) -> (Socket, Socket) {
        let mut x = Socket::new(ctx.clone(), a).unwrap();
        let mut y = Socket::new(ctx.clone(), b).unwrap();
        x.bind(name).unwrap();
        y.connect(name).unwrap();
        (x, y)
    }

    #[test]
    fn endpoint_parsing_matches_libzmq_errors() {
        assert_eq!(Endpoint::parse(b"inproc://a"), Ok(Endpoint::Inproc(b"a")));
        assert_eq!(Endpoint::parse(b"nothing"), Err(Error::Invalid));
        assert_eq!(
            Endpoint::parse(b"bogus://x"),
            Err(Error::Os(libc::EPROTONOSUPPORT))
        );
    }

    #[test]
    fn push_pull_over_inproc_delivers_multipart_in_order() {
        let ctx = Arc::new(Ctx::new());
        let (mut pull, mut push) = pair(&ctx, kind::PULL, kind::PUSH, b"inproc://pp");
        push.send(Msg::from_slice(b"a").unwrap(), SNDMORE).unwrap();
        push.send(Msg::from_slice(b"b").unwrap(), 0).unwrap();
        let m = pull.recv(0).unwrap();
        assert_eq!((m.data(), pull.rcvmore()), (&b"a"[..], true));
        let m = pull.recv(0).unwrap();
        assert_eq!((m.data(), pull.rcvmore()), (&b"b"[..], false));
        assert_eq!(pull.recv(DONTWAIT).err(), Some(Error::Again));
        push.close();
        pull.close();
    }

    #[test]
    fn connect_before_bind_works_for_inproc() {
        let ctx = Arc::new(Ctx::new());
        let mut push = Socket::new(ctx.clone(), kind::PUSH).unwrap();
        push.connect(b"inproc://later").unwrap();
        push.send(Msg::from_slice(b"early").unwrap(), 0).unwrap();
        let mut pull = Socket::new(ctx.clone(), kind::PULL).unwrap();
        pull.bind(b"inproc://later").unwrap();
        assert_eq!(pull.recv(0).unwrap().data(), b"early");
    }

    #[test]
    fn recv_timeout_gives_eagain_and_shutdown_gives_eterm() {
        let ctx = Arc::new(Ctx::new());
        let (mut a, _b) = pair(&ctx, kind::PAIR, kind::PAIR, b"inproc://t");
        a.options.rcvtimeo = 20;
        let start = Instant::now();
        assert_eq!(a.recv(0).err(), Some(Error::Again));
        assert!(start.elapsed() >= Duration::from_millis(20));
        a.options.rcvtimeo = -1;
        let c2 = ctx.clone();
        let t = std::thread::spawn(move || c2.shutdown());
        assert_eq!(a.recv(0).err(), Some(Error::Terminated));
        t.join().unwrap();
    }

    #[test]
    fn inproc_hwm_blocks_sender_until_receiver_reads() {
        let ctx = Arc::new(Ctx::new());
        let mut pull = Socket::new(ctx.clone(), kind::PULL).unwrap();
        pull.options.rcvhwm = 2;
        pull.bind(b"inproc://h").unwrap();
        let mut push = Socket::new(ctx.clone(), kind::PUSH).unwrap();
        push.options.sndhwm = 2;
        push.connect(b"inproc://h").unwrap();
        for _ in 0..4 {
            push.send(Msg::from_slice(b"x").unwrap(), DONTWAIT).unwrap();
        }
        assert_eq!(
            push.send(Msg::new(), DONTWAIT).err().map(|e| e.0),
            Some(Error::Again)
        );
        let t = std::thread::spawn(move || {
            for _ in 0..5 {
                pull.recv(0).unwrap();
            }
            pull
        });
        push.send(Msg::from_slice(b"y").unwrap(), 0).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn router_raw_ignores_more_and_closes_on_an_empty_frame() {
        const ROUTER_RAW: i32 = 41;
        const ROUTER_MANDATORY: i32 = 33;
        let ctx = Arc::new(Ctx::new());
        let mut router = Socket::new(ctx.clone(), kind::ROUTER).unwrap();
        let one = 1i32.to_ne_bytes();
        router.set_option(ROUTER_RAW, Some(&one)).unwrap();
        router.set_option(ROUTER_MANDATORY, Some(&one)).unwrap();
        assert!(router.options.raw_socket && !router.options.recv_routing_id);
        router.bind(b"inproc://raw").unwrap();
        let mut dealer = Socket::new(ctx.clone(), kind::DEALER).unwrap();
        dealer.set_option(5, Some(b"abc")).unwrap(); // ZMQ_ROUTING_ID
        dealer.connect(b"inproc://raw").unwrap();

        // The dealer's routing id is not taken: a generated one instead.
        dealer.send(Msg::from_slice(b"hi").unwrap(), 0).unwrap();
        let id = router.recv(0).unwrap().data().to_vec();
        assert_eq!((id.len(), id[0], router.rcvmore()), (5, 0, true));
        let m = router.recv(0).unwrap();
        assert_eq!((m.data(), router.rcvmore()), (&b"hi"[..], false));

        // A data frame's MORE is ignored: two messages, not one.
        for data in [&b"a"[..], b"b"] {
            router.send(Msg::from_slice(&id).unwrap(), SNDMORE).unwrap();
            router
                .send(Msg::from_slice(data).unwrap(), SNDMORE)
                .unwrap();
        }
        for data in [&b"a"[..], b"b"] {
            let m = dealer.recv(0).unwrap();
            assert_eq!((m.data(), dealer.rcvmore()), (data, false));
        }

        // [id][empty] closes the pipe: the id is unroutable from then on.
        router.send(Msg::from_slice(&id).unwrap(), SNDMORE).unwrap();
        router.send(Msg::new(), 0).unwrap();
        assert_eq!(
            router
                .send(Msg::from_slice(&id).unwrap(), SNDMORE)
                .err()
                .map(|e| e.0),
            Some(Error::Os(libc::EHOSTUNREACH))
        );
        router.close();
        dealer.close();
    }

    #[test]
    fn router_mandatory_departed_peer_is_unroutable_before_any_read() {
        const ROUTER_MANDATORY: i32 = 33;
        let ctx = Arc::new(Ctx::new());
        let mut router = Socket::new(ctx.clone(), kind::ROUTER).unwrap();
        router
            .set_option(ROUTER_MANDATORY, Some(&1i32.to_ne_bytes()))
            .unwrap();
        router.bind(b"inproc://gone").unwrap();
        let mut dealer = Socket::new(ctx.clone(), kind::DEALER).unwrap();
        dealer.set_option(5, Some(b"peer")).unwrap(); // ZMQ_ROUTING_ID
        dealer.connect(b"inproc://gone").unwrap();
        dealer.send(Msg::from_slice(b"hi").unwrap(), 0).unwrap();
        assert_eq!(router.recv(0).unwrap().data(), b"peer");
        assert_eq!(router.recv(0).unwrap().data(), b"hi");
        dealer.close();
        // The ROUTER only sends from here on: the closed pipe's delimiter
        // is never read, yet the peer is gone (libzmq: EHOSTUNREACH).
        assert_eq!(
            router
                .send(Msg::from_slice(b"peer").unwrap(), SNDMORE)
                .err()
                .map(|e| e.0),
            Some(Error::Os(libc::EHOSTUNREACH))
        );
        router.close();
    }

    #[test]
    fn pair_refuses_a_second_peer() {
        let ctx = Arc::new(Ctx::new());
        let (mut a, _b) = pair(&ctx, kind::PAIR, kind::PAIR, b"inproc://p");
        let mut c = Socket::new(ctx.clone(), kind::PAIR).unwrap();
        c.connect(b"inproc://p").unwrap();
        a.events().unwrap();
        assert_eq!(a.pipes.len(), 1);
    }
}
