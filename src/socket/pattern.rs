//! Socket patterns: each socket type as a small state machine over the
//! routing blocks of [`PipeSet`] (RFC 28/30/31 semantics).
//!
//! Implemented: PAIR, PUSH, PULL, DEALER, REQ, REP, ROUTER, PUB, XPUB, SUB,
//! XSUB here; STREAM in `pattern/stream.rs`. New types get a file of their
//! own under `pattern/`.

use std::collections::{HashMap, VecDeque};

use crate::error::Error;
use crate::msg::{flags, Msg};
use crate::pipe::{IdMap, PipeId};

use super::pipes::PipeSet;
use super::subscriptions::{self, Subscriptions, TopicIndex};

mod channel;
mod client;
mod dgram;
mod dish;
mod gather;
mod radio;
mod scatter;
mod server;
mod single;
mod stream;
pub use channel::Channel;
pub use client::Client;
pub use dgram::Dgram;
pub use dish::Dish;
pub use gather::Gather;
pub use radio::Radio;
pub use scatter::Scatter;
pub use server::Server;
pub use stream::Stream;

/// Socket type numbers (zmq.h): the one table the socket module uses.
pub mod kind {
    pub const PAIR: i32 = 0;
    pub const PUB: i32 = 1;
    pub const SUB: i32 = 2;
    pub const REQ: i32 = 3;
    pub const REP: i32 = 4;
    pub const DEALER: i32 = 5;
    pub const ROUTER: i32 = 6;
    pub const PULL: i32 = 7;
    pub const PUSH: i32 = 8;
    pub const XPUB: i32 = 9;
    pub const XSUB: i32 = 10;
    pub const STREAM: i32 = 11;
    // Draft types.
    pub const SERVER: i32 = 12;
    pub const CLIENT: i32 = 13;
    pub const RADIO: i32 = 14;
    pub const DISH: i32 = 15;
    pub const GATHER: i32 = 16;
    pub const SCATTER: i32 = 17;
    pub const DGRAM: i32 = 18;
    pub const PEER: i32 = 19;
    pub const CHANNEL: i32 = 20;
}

/// What the pattern does with a newly attached pipe.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Accept,
    /// PAIR already has its peer: the pipe is closed at once.
    Refuse,
    /// ROUTER_HANDOVER: accepted, taking over the routing id of this pipe,
    /// which is to be closed.
    Replace(PipeId),
}

/// REQ (RFC 28): strict send-request / receive-reply alternation.
#[derive(Debug, Default)]
pub struct Req {
    /// A request was sent; now only its reply may be received.
    awaiting_reply: bool,
    /// The pipe the request went to; the reply must come from it.
    reply_pipe: Option<PipeId>,
    /// Mid-request (after the first frame).
    out_more: bool,
    /// Mid-reply: the delimiter was checked, body frames follow.
    in_body: bool,
    /// ZMQ_REQ_CORRELATE: each request starts with a 4-byte request id
    /// (host order, as libzmq), and only a reply carrying it is accepted.
    pub correlate: bool,
    /// ZMQ_REQ_RELAXED: a new request may be sent before the reply came;
    /// the old reply is then not delivered (with CORRELATE: dropped by id).
    pub relaxed: bool,
    request_id: u32,
    /// Mid-reply, CORRELATE: the request id frame was checked.
    id_checked: bool,
}

/// REP (RFC 28): receive a request, then send exactly one reply, which goes
/// back along the request's envelope.
#[derive(Debug, Default)]
pub struct Rep {
    sending_reply: bool,
    reply_pipe: Option<PipeId>,
    /// Routing frames up to and including the empty delimiter.
    envelope: Vec<Msg>,
    /// Mid-request body.
    in_body: bool,
    out_more: bool,
}

/// ROUTER: prefixes each received message with the peer's routing id and
/// routes each sent message by its first frame. With the deprecated
/// ZMQ_ROUTER_RAW its tcp/ipc connections are raw byte streams, as a
/// STREAM socket's (the sessions do that part), and it routes as STREAM
/// does: generated ids, [id][data] messages, [id][empty] closes.
#[derive(Debug, Default)]
pub struct Router {
    /// Routing id to pipe.
    peers: HashMap<Vec<u8>, PipeId>,
    /// Next generated routing id (5 bytes: 0x00 + u32 BE, as libzmq).
    next_id: u32,
    /// ZMQ_ROUTER_MANDATORY: unroutable sends fail instead of dropping.
    pub mandatory: bool,
    /// ZMQ_ROUTER_HANDOVER: a new peer with a routing id in use takes it
    /// over (the old connection is closed) instead of being refused.
    pub handover: bool,
    /// The socket speaks raw bytes (ROUTER_RAW was set once, libzmq's
    /// `options.raw_socket`): a data frame's MORE flag is ignored, so each
    /// [routing id][data] pair is a message of its own.
    pub raw_socket: bool,
    /// ZMQ_ROUTER_RAW as now set (libzmq's `router_t::_raw_socket`): an
    /// empty data frame closes the connection instead of being sent.
    pub raw_close: bool,
    /// The first frame of a message, held back while its routing id is
    /// returned.
    prefetched: Option<Msg>,
    in_more: bool,
    /// Sending: `None` between messages, `Some(None)` while dropping an
    /// unroutable message, `Some(Some(id))` while writing to a pipe.
    out: Option<Option<PipeId>>,
}

/// PUB and XPUB (RFC 29): fan out to the pipes whose subscriptions match.
#[derive(Debug, Default)]
pub struct Publisher {
    xpub: bool,
    /// Each subscriber, with how many topics it has in `index`.
    members: IdMap<usize>,
    /// Every subscriber's topics, indexed by topic: a message's recipients
    /// in one walk. XPUB passes up only a topic's first subscription and
    /// last cancel over all subscribers (unless verbose).
    index: TopicIndex<PipeId>,
    /// Scratch for the index's answer.
    matched: Vec<PipeId>,
    /// Scratch: the index's answer, when inverted or for one subscriber.
    hits: Vec<PipeId>,
    /// XPUB: subscription messages waiting for `recv`.
    pending: VecDeque<(Msg, Option<PipeId>)>,
    /// ZMQ_XPUB_MANUAL: subscriptions are passed up and not applied; the
    /// application's ZMQ_SUBSCRIBE/UNSUBSCRIBE apply to the pipe of the
    /// subscription message it received last.
    pub manual: bool,
    /// ZMQ_ONLY_FIRST_SUBSCRIBE: only a message's first frame can be a
    /// (un)subscription; later frames are user data.
    pub only_first: bool,
    /// ZMQ_XPUB_MANUAL_LAST_VALUE: the first message after the
    /// application's ZMQ_SUBSCRIBE goes to that subscriber alone.
    pub send_last: bool,
    last_only: Option<PipeId>,
    last_pipe: Option<PipeId>,
    /// XPUB_MANUAL: what each subscriber asked for (not applied), so that
    /// its leaving cancels those topics upstream, as libzmq does.
    asked: IdMap<Subscriptions>,
    /// ZMQ_XPUB_VERBOSE: pass up every subscription, not just new topics.
    pub verbose: bool,
    /// ZMQ_XPUB_VERBOSER: every unsubscription too, not just a topic's last
    /// (even one the subscriber never had, as libzmq's trie reports it).
    pub verbose_unsubs: bool,
    /// ZMQ_XPUB_NODROP: a matching subscriber's full pipe makes the send
    /// fail with EAGAIN instead of losing the message for it.
    pub nodrop: bool,
    /// ZMQ_INVERT_MATCHING: send to the pipes whose subscriptions do *not*
    /// match.
    pub invert: bool,
    /// Pipes receiving the message being sent (chosen at its first frame).
    targets: Vec<PipeId>,
    /// Their indexes in the pipe set, valid while the first frame is sent
    /// (saves a lookup per recipient and message).
    target_index: Vec<usize>,
    out_more: bool,
}

/// SUB and XSUB (RFC 29): filter what arrives by the local subscriptions,
/// and send subscriptions upstream.
#[derive(Debug, Default)]
pub struct Subscriber {
    xsub: bool,
    subs: Subscriptions,
    /// The first frame of a matching message, found by `has_in`.
    prefetched: Option<Msg>,
    /// Delivering the rest of a matching message.
    in_more: bool,
    /// XSUB: forwarding the rest of a multipart message upstream.
    out_more: bool,
    /// ZMQ_INVERT_MATCHING: deliver what does *not* match.
    pub invert: bool,
    /// XSUB's ZMQ_XSUB_VERBOSE_UNSUBSCRIBE (draft, 4.3.5): every
    /// unsubscription goes upstream, not only a topic's last.
    pub verbose_unsubs: bool,
}

/// One per socket, held in place: the largest variant's size (a
/// publisher's topic index) costs nothing per message, a box would cost a
/// pointer chase on every send.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Pattern {
    Pair {
        peer: Option<PipeId>,
    },
    Push,
    Pull,
    Dealer,
    Req(Req),
    Rep(Rep),
    Router(Router),
    Pub(Publisher),
    Sub(Subscriber),
    Stream(Stream),
    // The draft, thread-safe types (single-part messages).
    Client(Client),
    /// SERVER, and PEER (`peer`: connects too, and talks only to PEERs).
    Server {
        server: Server,
        peer: bool,
    },
    Scatter(Scatter),
    Gather(Gather),
    Channel(Channel),
    Radio(Radio),
    Dish(Dish),
    Dgram(Dgram),
}

impl Pattern {
    /// The pattern for a socket type, or `None` if not implemented yet.
    pub fn for_type(t: i32) -> Option<Pattern> {
        Some(match t {
            kind::PAIR => Pattern::Pair { peer: None },
            kind::PUSH => Pattern::Push,
            kind::PULL => Pattern::Pull,
            kind::DEALER => Pattern::Dealer,
            kind::REQ => Pattern::Req(Req::default()),
            kind::REP => Pattern::Rep(Rep::default()),
            kind::ROUTER => Pattern::Router(Router {
                next_id: initial_routing_counter(),
                ..Router::default()
            }),
            kind::PUB => Pattern::Pub(Publisher::default()),
            kind::XPUB => Pattern::Pub(Publisher {
                xpub: true,
                ..Publisher::default()
            }),
            kind::SUB => Pattern::Sub(Subscriber::default()),
            kind::STREAM => Pattern::Stream(Stream::new(initial_routing_counter())),
            kind::XSUB => Pattern::Sub(Subscriber {
                xsub: true,
                ..Subscriber::default()
            }),
            kind::CLIENT => Pattern::Client(Client),
            kind::SERVER | kind::PEER => Pattern::Server {
                server: Server::new(initial_routing_counter()),
                peer: t == kind::PEER,
            },
            kind::SCATTER => Pattern::Scatter(Scatter),
            kind::GATHER => Pattern::Gather(Gather),
            kind::CHANNEL => Pattern::Channel(Channel::default()),
            kind::RADIO => Pattern::Radio(Radio::default()),
            kind::DISH => Pattern::Dish(Dish::default()),
            kind::DGRAM => Pattern::Dgram(Dgram::default()),
            _ => return None,
        })
    }

    /// Decides on a new pipe; `routing_id` is the peer's announced id, which
    /// ROUTER may replace with a generated one.
    pub fn attach(&mut self, id: PipeId, routing_id: &mut Vec<u8>) -> Admission {
        match self {
            Pattern::Pair { peer } => {
                if peer.is_some() {
                    return Admission::Refuse;
                }
                *peer = Some(id);
                Admission::Accept
            }
            Pattern::Router(r) => {
                if routing_id.is_empty() {
                    *routing_id = r.generate_id();
                } else if let Some(&old) = r.peers.get(routing_id.as_slice()) {
                    // The id is taken: refused, or handed over.
                    if !r.handover {
                        return Admission::Refuse;
                    }
                    r.peers.insert(routing_id.clone(), id);
                    return Admission::Replace(old);
                }
                r.peers.insert(routing_id.clone(), id);
                Admission::Accept
            }
            Pattern::Pub(p) => {
                p.members.insert(id, 0);
                Admission::Accept
            }
            Pattern::Stream(s) => match s.attach(id, routing_id) {
                true => Admission::Accept,
                false => Admission::Refuse,
            },
            Pattern::Server { server, .. } => {
                server.attach(id);
                Admission::Accept
            }
            Pattern::Channel(c) => match c.attach(id) {
                true => Admission::Accept,
                false => Admission::Refuse,
            },
            _ => Admission::Accept,
        }
    }

    /// Called once a new pipe is in the set: SUB/XSUB send it their
    /// subscriptions; PUB/XPUB read any it already carries.
    pub fn attached(&mut self, pipes: &mut PipeSet, index: usize) {
        match self {
            Pattern::Sub(s) => {
                let pipe = pipes.get_mut(index);
                for topic in s.subs.topics() {
                    if let Ok(m) = subscriptions::message(true, &topic) {
                        pipe.write(m);
                    }
                }
                pipe.flush();
            }
            Pattern::Pub(p) => p.read_subscriptions(pipes, index),
            Pattern::Radio(r) => r.read_groups(pipes, index),
            Pattern::Dish(d) => d.attached(pipes, index),
            _ => {}
        }
    }

    /// A connecter's pipe will carry a new connection (`Command::Hiccup`):
    /// SUB/XSUB and DISH send it their subscriptions or joins again.
    pub fn hiccuped(&mut self, pipes: &mut PipeSet, index: usize) {
        if matches!(self, Pattern::Sub(_) | Pattern::Dish(_)) {
            self.attached(pipes, index);
        }
    }

    /// A pipe became readable. Returns true if the pattern consumed the
    /// input itself (PUB/XPUB read subscriptions as they arrive).
    pub fn read_activated(&mut self, pipes: &mut PipeSet, index: usize) -> bool {
        match self {
            Pattern::Pub(p) => {
                p.read_subscriptions(pipes, index);
                true
            }
            Pattern::Radio(r) => {
                r.read_groups(pipes, index);
                true
            }
            _ => false,
        }
    }

    /// SUB's ZMQ_SUBSCRIBE/UNSUBSCRIBE (XSUB accepts them too).
    pub fn subscribe(&mut self, pipes: &mut PipeSet, topic: &[u8], on: bool) -> Result<(), Error> {
        match self {
            Pattern::Sub(s) => {
                s.change(pipes, topic, on);
                Ok(())
            }
            Pattern::Pub(p) if p.manual => {
                p.manual_subscribe(topic, on);
                Ok(())
            }
            _ => Err(Error::Invalid),
        }
    }

    /// DISH's `zmq_join`/`zmq_leave`; ENOTSUP for every other type.
    pub fn join(&mut self, pipes: &mut PipeSet, group: &[u8], on: bool) -> Result<(), Error> {
        match self {
            Pattern::Dish(d) => d.join(pipes, group, on),
            _ => Err(Error::NotSupported),
        }
    }

    /// A pipe to a udp engine: a RADIO sends it every group (the DISH on
    /// the other side filters; udp carries no joins).
    pub fn udp_attached(&mut self, id: PipeId) {
        if let Pattern::Radio(r) = self {
            r.udp_attached(id);
        }
    }

    /// ROUTER's peer state (draft `zmq_socket_get_peer_state`): POLLOUT
    /// when the peer's pipe has room; EHOSTUNREACH for an unknown peer,
    /// ENOTSUP for other types.
    pub fn peer_state(&mut self, pipes: &mut PipeSet, routing_id: &[u8]) -> Result<i32, Error> {
        let Pattern::Router(r) = self else {
            return Err(Error::NotSupported);
        };
        let i = r
            .peers
            .get(routing_id)
            .and_then(|&id| pipes.index_of(id))
            .ok_or(Error::Os(libc::EHOSTUNREACH))?;
        Ok(if pipes.get_mut(i).check_write() { 2 } else { 0 })
    }

    /// ZMQ_TOPICS_COUNT (draft, 4.3.5): the distinct topics subscribed
    /// (SUB/XSUB: its own; PUB/XPUB: over all subscribers); None (EINVAL)
    /// for other types.
    pub fn topics_count(&self) -> Option<usize> {
        match self {
            Pattern::Sub(s) => Some(s.subs.len()),
            Pattern::Pub(p) => Some(p.index.len()),
            _ => None,
        }
    }

    /// The draft types that libzmq makes thread-safe.
    pub fn thread_safe(socket_type: i32) -> bool {
        matches!(
            socket_type,
            kind::SERVER
                | kind::CLIENT
                | kind::RADIO
                | kind::DISH
                | kind::GATHER
                | kind::SCATTER
                | kind::PEER
                | kind::CHANNEL
        )
    }

    pub fn detached(&mut self, id: PipeId) {
        match self {
            Pattern::Pair { peer } if *peer == Some(id) => *peer = None,
            Pattern::Router(r) => {
                r.peers.retain(|_, p| *p != id);
                if r.out == Some(Some(id)) {
                    r.out = Some(None); // finish the message by dropping it
                }
            }
            Pattern::Pub(p) => p.pipe_gone(id),
            Pattern::Stream(s) => s.detached(id),
            Pattern::Server { server, .. } => server.detached(id),
            Pattern::Channel(c) => c.detached(id),
            Pattern::Radio(r) => r.detached(id),
            Pattern::Req(r) if r.reply_pipe == Some(id) => r.reply_pipe = None,
            Pattern::Rep(r) if r.reply_pipe == Some(id) => r.reply_pipe = None,
            _ => {}
        }
    }

    /// True for patterns that never receive: their pipes are drained and
    /// dropped as soon as the peer closes.
    pub fn send_only(&self) -> bool {
        matches!(
            self,
            Pattern::Push | Pattern::Pub(_) | Pattern::Scatter(_) | Pattern::Radio(_)
        )
    }

    /// Sends a frame held by reference: on success it was taken (and `msg`
    /// is empty); on failure it is as it was. Every pattern moves it straight
    /// into its pipe (a 64-byte message returned through `Result` layers
    /// costs copies that stall store forwarding). Inlined into the socket:
    /// the load-balancing patterns run here, the others out of line.
    #[inline(always)]
    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        match self {
            Pattern::Pair { .. } | Pattern::Push | Pattern::Dealer => {
                pipes.lb_send_from(msg).map(|_| ())
            }
            // A two-way test first, then the rest: cheaper for the plain
            // patterns than one jump table over all of them.
            _ => self.send_routed(pipes, msg),
        }
    }

    /// `send_from` for every pattern but the load-balancing ones (which
    /// `send_from` handles before calling this).
    #[inline(never)]
    fn send_routed(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        match self {
            Pattern::Req(r) => r.send_from(pipes, msg),
            Pattern::Rep(r) => r.send_from(pipes, msg),
            Pattern::Router(r) => r.send_from(pipes, msg),
            Pattern::Pub(p) => p.send_from(pipes, msg),
            Pattern::Sub(s) if s.xsub => s.xsend_from(pipes, msg),
            Pattern::Stream(s) => s.send_from(pipes, msg),
            Pattern::Client(c) => c.send_from(pipes, msg),
            Pattern::Server { server, .. } => server.send_from(pipes, msg),
            Pattern::Scatter(s) => s.send_from(pipes, msg),
            Pattern::Channel(c) => c.send_from(pipes, msg),
            Pattern::Radio(r) => r.send_from(pipes, msg),
            Pattern::Dgram(d) => d.send_from(pipes, msg),
            _ => Err(Error::NotSupported),
        }
    }

    /// Receives a frame into a message held by reference (its old content is
    /// dropped once a frame is taken; on failure it may be left empty).
    /// Inlined like `send_from`: fair queueing here, the rest out of line.
    #[inline(always)]
    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        match self {
            Pattern::Pair { .. } | Pattern::Pull | Pattern::Dealer => pipes
                .fq_recv_into(terminated, out)
                .map(|_| ())
                .ok_or(Error::Again),
            _ => self.recv_routed(pipes, terminated, out),
        }
    }

    /// `recv_into` for every pattern but the fair-queueing ones (which
    /// `recv_into` handles before calling this).
    #[inline(never)]
    fn recv_routed(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        match self {
            Pattern::Req(r) => r.recv_into(pipes, out),
            Pattern::Rep(r) => r.recv_into(pipes, terminated, out),
            Pattern::Router(r) => r.recv_into(pipes, terminated, out),
            Pattern::Sub(s) => s.recv_into(pipes, terminated, out),
            Pattern::Pub(p) => p.recv_into(out),
            Pattern::Stream(s) => s.recv_into(pipes, terminated, out),
            Pattern::Client(c) => c.recv_into(pipes, terminated, out),
            Pattern::Server { server, .. } => server.recv_into(pipes, terminated, out),
            Pattern::Gather(g) => g.recv_into(pipes, terminated, out),
            Pattern::Channel(c) => c.recv_into(pipes, terminated, out),
            Pattern::Dish(d) => d.recv_into(pipes, terminated, out),
            Pattern::Dgram(d) => d.recv_into(pipes, terminated, out),
            _ => Err(Error::NotSupported),
        }
    }

    pub fn has_in(&mut self, pipes: &mut PipeSet) -> bool {
        match self {
            Pattern::Push => false,
            Pattern::Req(r) => {
                r.awaiting_reply
                    && r.reply_pipe
                        .and_then(|id| pipes.index_of(id))
                        .is_some_and(|i| pipes.get_mut(i).check_read())
            }
            Pattern::Rep(r) => !r.sending_reply && (r.in_body || pipes.fq_has_in()),
            Pattern::Router(r) => r.prefetched.is_some() || r.in_more || pipes.fq_has_in(),
            Pattern::Pub(p) => !p.pending.is_empty(),
            Pattern::Sub(s) => s.has_in(pipes),
            Pattern::Stream(s) => s.has_in(pipes),
            Pattern::Scatter(_) | Pattern::Radio(_) => false,
            Pattern::Dish(d) => d.has_in(pipes),
            _ => pipes.fq_has_in(),
        }
    }

    pub fn has_out(&mut self, pipes: &mut PipeSet) -> bool {
        match self {
            Pattern::Pull => false,
            Pattern::Req(r) => (!r.awaiting_reply || r.relaxed) && pipes.lb_has_out(),
            Pattern::Rep(r) => r.sending_reply,
            // A ROUTER can always try: unroutable messages are dropped.
            Pattern::Router(_) | Pattern::Stream(_) => true,
            // PUB never blocks: a full subscriber loses messages instead.
            Pattern::Pub(_) => true,
            Pattern::Sub(s) => s.xsub,
            // SERVER can always try: the peer is chosen per message.
            Pattern::Server { .. } => true,
            Pattern::Radio(_) => true,
            Pattern::Gather(_) | Pattern::Dish(_) => false,
            _ => pipes.lb_has_out(),
        }
    }
}

/// libzmq seeds ROUTER's id counter randomly so restarted peers rarely reuse
/// ids; any per-process varying seed serves.
fn initial_routing_counter() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (t.subsec_nanos() ^ std::process::id().rotate_left(16)) | 1
}

fn with_more(mut m: Msg, more: bool) -> Msg {
    if more {
        m.set_flags(flags::MORE);
    } else {
        m.reset_flags(flags::MORE);
    }
    m
}

impl Req {
    /// Sends a request frame held by reference (taken on success).
    #[inline(never)]
    fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        if self.awaiting_reply {
            if !self.relaxed {
                return Err(Error::State);
            }
            // REQ_RELAXED: give up on the reply.
            self.awaiting_reply = false;
            self.in_body = false;
            self.id_checked = false;
        }
        if !self.out_more {
            // Start of a request: the empty delimiter (after the request id,
            // with CORRELATE) goes first, to the pipe load balancing picks;
            // the rest of the request follows on it.
            if self.correlate {
                self.request_id = self.request_id.wrapping_add(1);
                let mut id = with_more(
                    Msg::from_slice(&self.request_id.to_ne_bytes()).map_err(|_| Error::NoMemory)?,
                    true,
                );
                self.reply_pipe = Some(pipes.lb_send_from(&mut id)?);
            }
            let mut delimiter = with_more(Msg::new(), true);
            let pipe = pipes.lb_send_from(&mut delimiter)?;
            if !self.correlate {
                self.reply_pipe = Some(pipe);
            }
            // As libzmq, drop every reply already waiting (to a request
            // given up under REQ_RELAXED): only what answers this request
            // may be received. Pipes found finished here are reaped when
            // the socket next reads them.
            if self.relaxed {
                let mut terminated = Vec::new();
                while pipes.fq_recv(&mut terminated).is_some() {}
            }
        }
        let more = msg.more();
        pipes.lb_send_from(msg)?;
        self.out_more = more;
        if !more {
            self.awaiting_reply = true;
            self.in_body = false;
        }
        Ok(())
    }

    /// Receives a reply frame into `out` (left empty when there is none).
    #[inline(never)]
    fn recv_into(&mut self, pipes: &mut PipeSet, out: &mut Msg) -> Result<(), Error> {
        if !self.awaiting_reply {
            return Err(Error::State);
        }
        let index = self
            .reply_pipe
            .and_then(|id| pipes.index_of(id))
            .ok_or(Error::Again)?;
        let pipe = pipes.get_mut(index);
        loop {
            if !pipe.read_into(out) {
                *out = Msg::new();
                return Err(Error::Again);
            }
            if !self.in_body {
                // With CORRELATE a reply starts with our request id.
                if self.correlate && !self.id_checked {
                    if out.more() && out.data() == self.request_id.to_ne_bytes() {
                        self.id_checked = true;
                        continue;
                    }
                } else if out.size() == 0 && out.more() {
                    // Then the empty delimiter; anything else is a malformed
                    // (or, CORRELATE, stale) reply and is dropped whole, as
                    // libzmq does.
                    self.in_body = true;
                    continue;
                }
                self.id_checked = false;
                let mut more = out.more();
                while more && pipe.read_into(out) {
                    more = out.more();
                }
                continue;
            }
            if !out.more() {
                self.awaiting_reply = false;
                self.in_body = false;
                self.id_checked = false;
            }
            return Ok(());
        }
    }
}

impl Rep {
    /// Receives a request frame into `out`, keeping the envelope for the
    /// reply (`out` is left empty when there is none).
    #[inline(never)]
    fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        if self.sending_reply {
            return Err(Error::State);
        }
        loop {
            let Some(index) = pipes.fq_recv_into(terminated, out) else {
                *out = Msg::new();
                return Err(Error::Again);
            };
            if self.in_body {
                if !out.more() {
                    self.in_body = false;
                    self.sending_reply = true;
                }
                return Ok(());
            }
            // Envelope: routing frames up to the empty delimiter.
            let delimiter = out.size() == 0;
            let more = out.more();
            self.envelope.push(out.take());
            if !more {
                // No delimiter before the end: malformed, dropped.
                self.envelope.clear();
                continue;
            }
            if delimiter {
                self.reply_pipe = Some(pipes.get(index).id());
                self.in_body = true;
            }
        }
    }

    /// Sends a reply frame held by reference (taken on success, also when
    /// the requester is gone and the reply is dropped, as in libzmq).
    #[inline(never)]
    fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        if !self.sending_reply {
            return Err(Error::State);
        }
        let more = msg.more();
        match self.reply_pipe.and_then(|id| pipes.index_of(id)) {
            Some(i) => {
                let pipe = pipes.get_mut(i);
                if !self.out_more {
                    for frame in self.envelope.drain(..) {
                        pipe.write(with_more(frame, true));
                    }
                }
                pipe.write_from(msg);
                if !more {
                    pipe.flush();
                }
            }
            None => {
                self.envelope.clear();
                drop(msg.take());
            }
        }
        self.out_more = more;
        if !more {
            self.sending_reply = false;
            self.envelope.clear();
        }
        Ok(())
    }
}

/// A routing id for a peer that brought none, as libzmq makes them for
/// ROUTER and STREAM: 0x00 + a u32 counter (big-endian), skipping ids in use.
pub(crate) fn generate_routing_id(next_id: &mut u32, peers: &HashMap<Vec<u8>, PipeId>) -> Vec<u8> {
    loop {
        let mut id = vec![0u8];
        id.extend_from_slice(&next_id.to_be_bytes());
        *next_id = next_id.wrapping_add(1);
        if !peers.contains_key(&id) {
            return id;
        }
    }
}

impl Router {
    fn generate_id(&mut self) -> Vec<u8> {
        generate_routing_id(&mut self.next_id, &self.peers)
    }

    /// Receives a frame into `out`: first the sender's routing id, then the
    /// message's own frames (`out` is left empty when there is none).
    #[inline(never)]
    fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        if let Some(m) = self.prefetched.take() {
            self.in_more = m.more();
            *out = m;
            return Ok(());
        }
        let Some(index) = pipes.fq_recv_into(terminated, out) else {
            *out = Msg::new();
            return Err(Error::Again);
        };
        if self.in_more {
            self.in_more = out.more();
            return Ok(());
        }
        // First frame of a message: hand out the sender's routing id first.
        let mut id = Msg::from_slice(&pipes.get(index).routing_id).map_err(|_| Error::NoMemory)?;
        // The id frame carries the connection's properties too (libzmq).
        if out.has_metadata() {
            id.set_metadata(out.metadata());
        }
        self.prefetched = Some(std::mem::replace(out, with_more(id, true)));
        self.in_more = true;
        Ok(())
    }

    /// Sends a frame held by reference (taken on success): the routing-id
    /// frame picks the peer, the rest goes to it (or is dropped when it is
    /// unknown or full, unless ROUTER_MANDATORY).
    #[inline(never)]
    fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        if self.raw_socket && self.out.is_some() {
            msg.reset_flags(flags::MORE);
        }
        let more = msg.more();
        let Some(target) = self.out else {
            // The routing-id frame. Without MORE there is no message to
            // route: libzmq ignores it.
            if !more {
                drop(msg.take());
                return Ok(());
            }
            let found = self
                .peers
                .get(msg.data())
                .and_then(|&id| pipes.index_of(id).map(|i| (id, i)));
            // A peer whose connection ended (its session closed the pipe,
            // the delimiter not yet read) is unroutable, as in libzmq
            // (pipe no longer active: EHOSTUNREACH, not EAGAIN): what was
            // accepted for it would be lost silently.
            let found = found.filter(|&(_, i)| !pipes.get_mut(i).peer_closed());
            self.out = match found {
                Some((id, i)) if pipes.get_mut(i).check_write() => Some(Some(id)),
                Some(_) if self.mandatory => return Err(Error::Again),
                None if self.mandatory => return Err(Error::Os(libc::EHOSTUNREACH)),
                _ => Some(None),
            };
            drop(msg.take());
            return Ok(());
        };
        match target.and_then(|id| pipes.index_of(id)) {
            // ROUTER_RAW: [id][empty] closes that connection (what is
            // queued for it still goes out first, as for STREAM).
            Some(i) if self.raw_close && msg.size() == 0 => {
                drop(msg.take());
                let pipe = pipes.detach(i);
                self.peers.retain(|_, p| *p != pipe.id());
                pipe.close();
            }
            Some(i) => {
                let pipe = pipes.get_mut(i);
                pipe.write_from(msg);
                if !more {
                    pipe.flush();
                }
            }
            None => drop(msg.take()),
        }
        if !more {
            self.out = None;
        }
        Ok(())
    }
}

impl Publisher {
    pub fn is_xpub(&self) -> bool {
        self.xpub
    }

    /// Reads the subscription messages a pipe carries. Other messages from
    /// subscribers are ignored by PUB and passed up by XPUB.
    fn read_subscriptions(&mut self, pipes: &mut PipeSet, index: usize) {
        let pipe = pipes.get_mut(index);
        let id = pipe.id();
        // Messages arrive whole, so a multipart one is read in one go here.
        let mut in_more = false;
        while let Some(msg) = pipe.read() {
            let later_part = in_more;
            in_more = msg.more();
            let parsed = if later_part && self.only_first {
                None
            } else {
                subscriptions::parse(msg.data())
            };
            let Some((on, topic)) = parsed else {
                if self.xpub {
                    self.pending.push_back((msg, Some(id)));
                }
                continue;
            };
            if self.manual && self.xpub {
                // Every (un)subscription goes up, for the application to
                // apply (or not) with ZMQ_SUBSCRIBE/UNSUBSCRIBE.
                let asked = self.asked.entry(id).or_default();
                if on {
                    asked.insert(topic);
                } else {
                    asked.remove_all(topic);
                }
                self.pending.push_back((msg, Some(id)));
                continue;
            }
            // Each pipe's subscriptions are a set, as in libzmq's XPUB: a
            // subscriber repeating a subscribe has it once, and one cancel
            // ends it (a SUB counts locally and cancels on its last).
            let change = if on {
                self.index.add(topic, id)
            } else {
                self.index.remove(topic, id)
            };
            if change.changed {
                let count = self.members.entry(id).or_default();
                *count = if on {
                    *count + 1
                } else {
                    count.saturating_sub(1)
                };
            }
            // XPUB passes up a topic's first subscription and last cancel
            // over all subscribers, every one when verbose, and (as
            // libzmq, whose trie answers "not found") a cancel of a topic
            // this subscriber did not have.
            let notify = if on {
                change.edge || self.verbose
            } else {
                !change.changed || change.edge || self.verbose_unsubs
            };
            if self.xpub && notify {
                self.pending.push_back((msg, Some(id)));
            }
        }
    }

    fn pipe_gone(&mut self, id: PipeId) {
        let Some(count) = self.members.remove(&id) else {
            return;
        };
        self.targets.retain(|t| *t != id);
        let (xpub, manual, verbose_unsubs) = (self.xpub, self.manual, self.verbose_unsubs);
        if count > 0 {
            // The topics it was the last subscriber of leave the union:
            // XPUB passes up their cancels, every one of its topics when
            // VERBOSER (not when manual: see below).
            let pending = &mut self.pending;
            self.index.remove_key(id, count, |topic, last| {
                if xpub && !manual && (last || verbose_unsubs) {
                    if let Ok(m) = Msg::from_slice(&subscriptions::encode(false, topic)) {
                        pending.push_back((m, None));
                    }
                }
            });
        }
        if manual && self.last_pipe == Some(id) {
            // Its subscriptions must not come back through the
            // application's ZMQ_SUBSCRIBE (libzmq clears its last pipe).
            self.last_pipe = None;
        }
        if xpub && manual {
            // Cancel what the subscriber asked for, each topic (libzmq:
            // whether or not another subscriber asked for it too; the
            // application decides).
            if let Some(asked) = self.asked.remove(&id) {
                if !asked.is_empty() {
                    // libzmq clears its last pipe with each such cancel.
                    self.last_pipe = None;
                }
                for topic in asked.topics() {
                    if let Ok(m) = Msg::from_slice(&subscriptions::encode(false, &topic)) {
                        self.pending.push_back((m, None));
                    }
                }
            }
        }
    }

    /// XPUB hands out the subscription messages it queued; PUB receives
    /// nothing.
    fn recv_into(&mut self, out: &mut Msg) -> Result<(), Error> {
        if !self.xpub {
            return Err(Error::NotSupported);
        }
        let (msg, pipe) = self.pending.pop_front().ok_or(Error::Again)?;
        *out = msg;
        // XPUB_MANUAL: ZMQ_SUBSCRIBE applies to the pipe of the message
        // received last, none for a cancel of a subscriber that left.
        if self.manual || pipe.is_some() {
            self.last_pipe = pipe;
        }
        Ok(())
    }

    /// XPUB_MANUAL's ZMQ_SUBSCRIBE/UNSUBSCRIBE: a subscription of the pipe
    /// whose subscription message was received last.
    fn manual_subscribe(&mut self, topic: &[u8], on: bool) {
        let Some(id) = self.last_pipe else {
            return;
        };
        if let Some(count) = self.members.get_mut(&id) {
            if on {
                if self.index.add(topic, id).changed {
                    *count += 1;
                }
                if self.send_last {
                    self.last_only = Some(id);
                }
            } else if self.index.remove(topic, id).changed {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Sends to every matching subscriber and consumes `msg`. A full pipe
    /// loses the message, unless XPUB_NODROP: then the send fails with
    /// EAGAIN (and `msg` stays) while any matching pipe is full. All copies
    /// are made in one go: one reference-count add for the lot, then each
    /// pipe's copy is written straight into its queue.
    #[inline(never)]
    fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        let more = msg.more();
        let first = !self.out_more;
        if first {
            // Choose the recipients at the first frame; the rest of the
            // message follows to the same pipes. Full pipes lose it.
            self.targets.clear();
            self.target_index.clear();
            let mut full = false;
            let only = if self.send_last {
                self.last_only.take()
            } else {
                None
            };
            self.matched.clear();
            if self.index.collect(msg.data(), &mut self.matched) > 1 {
                // A pipe subscribed to two prefixes of the topic.
                self.matched.sort_unstable();
                self.matched.dedup();
            }
            if self.invert || only.is_some() {
                // The recipients are the subscribers that match (or, when
                // inverted, do not), or just `only` if it is one of them.
                std::mem::swap(&mut self.matched, &mut self.hits);
                self.hits.sort_unstable();
                let (hits, invert) = (&self.hits, self.invert);
                self.matched.clear();
                self.matched
                    .extend(self.members.keys().copied().filter(|id| {
                        only.map_or(true, |o| o == *id) && hits.binary_search(id).is_ok() != invert
                    }));
            }
            for id in &self.matched {
                if let Some(i) = pipes.index_of(*id) {
                    let pipe = pipes.get_mut(i);
                    if pipe.peer_closed() {
                        continue;
                    }
                    if pipe.check_write() {
                        self.targets.push(*id);
                        self.target_index.push(i);
                    } else {
                        full = true;
                    }
                }
            }
            if full && self.nodrop {
                self.targets.clear();
                self.target_index.clear();
                return Err(Error::Again);
            }
        }
        let n = self.targets.len();
        // References for the n - 1 copies; the last recipient gets `msg`.
        msg.add_refs(n.saturating_sub(1));
        for k in 0..n {
            let last = k + 1 == n;
            // Later frames: pipes may have gone meanwhile, so look up by id.
            let index = if first {
                Some(self.target_index[k])
            } else {
                pipes.index_of(self.targets[k])
            };
            let Some(i) = index else {
                if !last {
                    // SAFETY: add_refs reserved a reference for this copy;
                    // dropping it gives the reference back.
                    drop(unsafe { msg.dup_ref() });
                }
                continue;
            };
            let pipe = pipes.get_mut(i);
            if last {
                pipe.write_from(msg);
            } else {
                // SAFETY: add_refs reserved a reference for this copy.
                let mut frame = unsafe { msg.dup_ref() };
                pipe.write_from(&mut frame);
            }
            if !more {
                pipe.flush();
            }
        }
        // Consumed in every case (no recipient, or the last one gone).
        drop(msg.take());
        self.out_more = more;
        if !more {
            self.targets.clear();
        }
        Ok(())
    }
}

impl Subscriber {
    /// Applies a local (un)subscription and tells the publishers: every
    /// subscribe, and a cancel once the topic's last reference is gone.
    fn change(&mut self, pipes: &mut PipeSet, topic: &[u8], on: bool) {
        let forward = if on {
            self.subs.add(topic);
            true
        } else {
            self.subs.remove(topic) || self.verbose_unsubs
        };
        let mut m = Msg::new();
        if forward && subscriptions::fill_message(&mut m, on, topic).is_ok() {
            send_to_all(pipes, &mut m);
        }
    }

    /// XSUB send: (un)subscriptions change the filter and go upstream,
    /// anything else goes upstream as is. Always takes `msg`.
    #[inline(never)]
    fn xsend_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        let msg = msg.take();
        if !self.out_more {
            if let Some((on, topic)) = subscriptions::parse(msg.data()) {
                if !msg.more() {
                    let topic = topic.to_vec();
                    self.change(pipes, &topic, on);
                    return Ok(());
                }
            }
        }
        // Anything else is passed upstream as is.
        self.out_more = msg.more();
        send_to_all(pipes, &mut { msg });
        Ok(())
    }

    /// Finds the next message that matches, dropping the others whole.
    fn prefetch(&mut self, pipes: &mut PipeSet, terminated: &mut Vec<PipeId>) -> bool {
        if self.prefetched.is_some() {
            return true;
        }
        while let Some((msg, index)) = pipes.fq_recv(terminated) {
            if self.xsub || self.subs.matches(msg.data()) != self.invert {
                self.prefetched = Some(msg);
                return true;
            }
            let mut more = msg.more();
            let pipe = pipes.get_mut(index);
            while more {
                match pipe.read() {
                    Some(m) => more = m.more(),
                    None => break,
                }
            }
        }
        false
    }

    /// Receives the next subscribed frame into the caller's message: frames
    /// move from the pipe straight into `out`, and filtering looks at them
    /// there. On failure `out` is left empty.
    #[inline(never)]
    fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        if self.in_more {
            pipes.fq_recv_into(terminated, out).ok_or(Error::Again)?;
            self.in_more = out.more();
            return Ok(());
        }
        if let Some(m) = self.prefetched.take() {
            self.in_more = m.more();
            *out = m;
            return Ok(());
        }
        while let Some(index) = pipes.fq_recv_into(terminated, out) {
            if self.xsub || self.subs.matches(out.data()) != self.invert {
                self.in_more = out.more();
                return Ok(());
            }
            // Not subscribed: drop the rest of the message too.
            let mut more = out.more();
            let pipe = pipes.get_mut(index);
            while more && pipe.read_into(out) {
                more = out.more();
            }
        }
        *out = Msg::new();
        Err(Error::Again)
    }

    fn has_in(&mut self, pipes: &mut PipeSet) -> bool {
        if self.in_more {
            return true;
        }
        let mut terminated = Vec::new();
        self.prefetch(pipes, &mut terminated)
    }
}

/// Sends a message to every pipe that can take it (subscriptions and
/// XSUB's upstream traffic).
fn send_to_all(pipes: &mut PipeSet, msg: &mut Msg) {
    let more = msg.more();
    let n = pipes.len();
    for i in 0..n {
        let pipe = pipes.get_mut(i);
        if pipe.peer_closed() || !pipe.check_write() {
            continue;
        }
        if i + 1 == n {
            pipe.write_from(msg);
        } else {
            pipe.write(msg.share());
        }
        if !more {
            pipe.flush();
        }
    }
}
