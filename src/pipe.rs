//! Pipes: the bidirectional message channel between a socket and a session
//! (tcp, ipc) or between two sockets (inproc).
//!
//! A pipe is two [`ypipe`]s, one per direction, and two [`PipeEnd`]s. Each end
//! belongs to one owner (a socket or a session) that lives on one thread and
//! receives the pipe's [`Command`]s through its mailbox:
//!
//! - `ActivateRead`: the peer flushed into this end's inbound queue while the
//!   owner slept on it (ypipe's elided wake-up).
//! - `ActivateWrite`: the peer read enough for this end to drop below its
//!   high-water mark again.
//! - `PipeTerm`: the peer closed its end; inbound messages already queued
//!   stay readable until the delimiter.
//!
//! High-water marks count whole messages (a multipart message counts once,
//! at its last frame), as in libzmq. The reader publishes its read count every
//! low-water mark `(hwm + 1) / 2` messages and at no other time, as libzmq's
//! `activate_write` does: a writer sees its queue full at the same count as
//! libzmq's would (a PUSH whose PULL stopped reading queues exactly SNDHWM +
//! RCVHWM messages, not the kernel's socket buffers on top). A writer blocked
//! at the mark is still always released: the reader publishes at least once
//! per LWM <= HWM messages it reads, so reading everything leaves fewer than
//! HWM unpublished. A mark changed after the pipe was made reaches the
//! reader's LWM too (`new_lwm`), and the reader is woken to take it.
//!
//! Owns: the queues, HWM accounting, activation and termination protocol,
//! and the direct-write handshake of [`direct`] (a session lending its
//! connection's write side to the socket end). Knows nothing of routing
//! (patterns).

pub(crate) mod direct;

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use crate::mailbox::Mailbox;
use crate::msg::{flags, Msg};
use crate::ypipe::{self, Reader, Writer};

/// Process-wide unique pipe-end id (used to address commands).
pub type PipeId = u64;

/// Hashes a [`PipeId`] (a unique counter, so no attacker-chosen keys) with
/// one multiplication instead of SipHash: pipe lookups sit on the
/// per-message path of fan-out.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by pipe id.
pub type IdMap<V> = std::collections::HashMap<PipeId, V, std::hash::BuildHasherDefault<IdHasher>>;

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

/// The writer has written 4,096 messages (`ypipe::STALL_CHUNKS` chunks)
/// while its reader took none: a queue without a high-water mark (HWM 0)
/// whose reader is not running. If the reader waits for this CPU, give it
/// the CPU now rather than at the end of the time slice: a slice's backlog
/// (tens of MB for a PUB writing four queues) no longer fits any cache, and
/// both sides then take a miss on every slot. Where the reader runs
/// elsewhere or nothing else is runnable, `sched_yield` returns at once;
/// it is called once per 4,096 messages at most, and never on a queue a
/// high-water mark keeps shorter than that.
///
/// A fan-out finds its queues stalled together (a PUB's subscribers cross
/// chunk boundaries at the same message): one yield a thread per
/// [`YIELD_GAP`] serves them all.
#[cold]
#[inline(never)]
fn yield_to_stalled_reader() {
    thread_local! {
        static LAST_YIELD: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
    }
    let now = Instant::now();
    if LAST_YIELD.with(|l| l.get().is_some_and(|t| now.duration_since(t) < YIELD_GAP)) {
        return;
    }
    // SAFETY: sched_yield takes no arguments and cannot fail on Linux.
    unsafe { libc::sched_yield() };
    LAST_YIELD.with(|l| l.set(Some(Instant::now())));
}

/// See [`yield_to_stalled_reader`].
const YIELD_GAP: std::time::Duration = std::time::Duration::from_micros(20);

fn next_id() -> PipeId {
    NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed)
}

/// Commands an owner receives about its pipes, and from its context.
#[derive(Debug)]
pub enum Command {
    ActivateRead(PipeId),
    ActivateWrite(PipeId),
    /// The peer end was closed.
    PipeTerm(PipeId),
    /// A connecter's connection dropped and it will reconnect with the same
    /// pipe: SUB/XSUB/DISH send their subscriptions (joins) again, since
    /// the new connection's peer knows none of them (libzmq's
    /// `pipe_t::hiccup`).
    Hiccup(PipeId),
    /// A new pipe end for this owner (inproc connect/bind, a session that
    /// completed its handshake); boxed: rare, and large next to the
    /// activations every wake-up carries.
    Attach(Box<PipeEnd>),
    /// The context is shutting down: blocking calls return ETERM.
    Stop,
    /// Work for an I/O thread (listen, connect, unbind ...).
    Io(Box<crate::io::thread::IoRequest>),
}

std::thread_local! {
    /// The queue whose reader this thread last woke (`PipeEnd::flush`).
    static WOKEN: std::cell::RefCell<Option<ypipe::SleepWatch<Msg>>> =
        const { std::cell::RefCell::new(None) };
}

/// Where an owner receives commands.
pub type OwnerMailbox = Arc<Mailbox<Command>>;

/// Who owns an end, so the other end can address it. Set on attach; an end
/// created before its owner exists (inproc connect before bind) waits.
type OwnerSlot = Mutex<Option<OwnerMailbox>>;

/// State shared by both ends. Cache-line aligned (and so a whole number of
/// lines), so that no other allocation shares its lines: the writer reads
/// `closed` and `slot` for every message. Left to the allocator, a 64-byte
/// growth of `Source` cost a pinned tcp 64 B stream a fifth of its rate
/// (5.1 against 6.6-7.1 M msg/s); aligned, it does not matter.
#[derive(Debug)]
#[repr(align(64))]
struct Shared {
    /// Messages read by each side, published every LWM (see module doc).
    read: [AtomicU64; 2],
    /// Each side's writer is blocked at its HWM and wants ActivateWrite.
    writer_blocked: [AtomicBool; 2],
    /// Each side has closed (no more writes will come from it).
    closed: [AtomicBool; 2],
    owner: [OwnerSlot; 2],
    ids: [PipeId; 2],
    /// ZMQ_CONFLATE: for each direction (indexed by the writing side) that
    /// conflates, the one slot its writer overwrites; libzmq's double
    /// buffer. Such a direction still carries the close delimiter in the
    /// ypipe.
    slot: [Option<Mutex<Option<Msg>>>; 2],
    /// The reader of a conflating direction sleeps on its slot.
    slot_reader_asleep: [AtomicBool; 2],
    /// A new HWM for each side's writer, set from the other side (an inproc
    /// bind completing a connect made before it: libzmq's sum of both
    /// sockets' marks); 0 = none, else the HWM + 1. The writer looks only
    /// when it finds itself full, so the fast path never reads it.
    new_hwm: [AtomicU64; 2],
    /// A new LWM for each side's reader (indexed by the reading side), set
    /// from the other side with its new HWM; 0 = none, else the LWM + 1.
    /// The reader looks when it runs dry.
    new_lwm: [AtomicU64; 2],
    /// A last message each side's writer sends when it closes (inproc
    /// ZMQ_DISCONNECT_MSG: the other socket asked for it). Set from either
    /// side, read once on close.
    farewell: [Mutex<Option<Vec<u8>>>; 2],
    /// For each side's writer, the connection's write side when a session
    /// (the other side) lends it (`direct`).
    sink: [direct::Sink; 2],
    /// For each side's reader, the connection's read side when a session
    /// (the other side) lends it (`direct`, direct reads).
    source: [direct::Source; 2],
    /// Messages each side's writer sent directly (past the queue): the
    /// reader counts them towards its next publish as if it had read them,
    /// so the read count is published when libzmq's would be (every LWM
    /// messages of the connection), and the writer's queue figures
    /// (PIPES_STATS, the HWM) come out as libzmq's.
    direct_sent: [AtomicU64; 2],
}

/// How [`PipeEnd::watch_input`] waits for the writer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Watch {
    /// Up to this many pauses (~24 ns each on EPYC).
    Spin(u32),
    /// One `sched_yield`.
    Yield,
}

/// One end of a pipe.
pub struct PipeEnd {
    id: PipeId,
    side: usize,
    shared: Arc<Shared>,
    out: Writer<Msg>,
    inp: Reader<Msg>,
    /// Outbound HWM in messages (0 = unlimited).
    hwm: u64,
    /// Inbound low-water mark: publish the read count this often.
    lwm: u64,
    /// Whole messages written / read by this end.
    msgs_written: u64,
    msgs_read: u64,
    /// Messages left to read before the count is published to the writer.
    until_publish: u64,
    /// The peer's direct sends already counted towards `until_publish`,
    /// and whether the reader slept since (a direct send needs it asleep,
    /// so only then can there be new ones).
    direct_folded: u64,
    fold_pending: bool,
    /// Writers this end released from their HWM (ActivateWrite sent), ever:
    /// a session tells a writer that streams from one that waits on it.
    writers_released: u32,
    /// In the middle of writing / reading a multipart message.
    out_more: bool,
    in_more: bool,
    /// The peer wrote its delimiter: nothing more will arrive.
    in_terminated: bool,
    /// Optional routing id of the peer (ROUTER, SERVER).
    pub routing_id: Vec<u8>,
    /// The session already sent this connection's PROBE_ROUTER message.
    pub probed: bool,
    /// Inproc: the other socket's (RCVHWM, SNDHWM), which add to this
    /// socket's SNDHWM and RCVHWM in the two directions' capacities; None
    /// for a session's pipe.
    pub peer_marks: Option<(u64, u64)>,
    /// An accepted connection's remote address (PIPES_STATS events).
    pub peer_endpoint: Option<String>,
    /// Direct writes (`direct`): the frames of the message(s) going out
    /// directly, how many of them end a message, the encoding buffer, and
    /// the sink's epoch and time of the last direct send.
    direct_frames: Vec<Msg>,
    direct_complete: usize,
    direct_buf: Vec<u8>,
    direct_epoch: u64,
    direct_last: Option<Instant>,
    /// The epoch seen when the frames in `direct_frames` were started.
    direct_seen: u64,
    /// The owning socket has this one pipe only: direct writes may start.
    /// With several, the socket keeps sending to the others (round robin,
    /// fan-out, a ROUTER's replies), and sends the I/O thread batches are
    /// cheaper than a send and a wake-up per message on the caller.
    direct_ok: bool,
    /// Direct reads: whole messages this end read from the connection
    /// itself, read before the queue; and the buffer they were read into.
    direct_in: VecDeque<Msg>,
    direct_rbuf: Vec<u8>,
    /// No more direct reads on this pipe: its socket unbound or
    /// disconnected an endpoint, whose sessions (maybe this one) are about
    /// to close; what they did not read before that must not be read.
    direct_read_off: bool,
}

impl std::fmt::Debug for PipeEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeEnd")
            .field("id", &self.id)
            .field("hwm", &self.hwm)
            .finish()
    }
}

/// libzmq's `compute_lwm`: the read count is published every `(hwm + 1) /
/// 2` messages (never for an unlimited queue).
fn low_water(hwm: u64) -> u64 {
    if hwm == 0 {
        0
    } else {
        hwm.div_ceil(2).max(1)
    }
}

/// Creates a pipe. `hwm[i]` limits what end `i` may have outstanding towards
/// end `1 - i` (0 = unlimited).
pub fn pipe_pair(hwm: [u64; 2]) -> (PipeEnd, PipeEnd) {
    conflating_pipe_pair(hwm, [false, false])
}

/// As [`pipe_pair`]; `conflate[i]` makes the direction written by end `i`
/// keep only its newest message (ZMQ_CONFLATE; the HWM no longer applies).
pub fn conflating_pipe_pair(hwm: [u64; 2], conflate: [bool; 2]) -> (PipeEnd, PipeEnd) {
    let (w0, r1) = ypipe::ypipe();
    let (w1, r0) = ypipe::ypipe();
    let ids = [next_id(), next_id()];
    let shared = Arc::new(Shared {
        read: [AtomicU64::new(0), AtomicU64::new(0)],
        writer_blocked: [AtomicBool::new(false), AtomicBool::new(false)],
        closed: [AtomicBool::new(false), AtomicBool::new(false)],
        owner: [Mutex::new(None), Mutex::new(None)],
        ids,
        slot: conflate.map(|c| c.then(|| Mutex::new(None))),
        slot_reader_asleep: [AtomicBool::new(false), AtomicBool::new(false)],
        new_hwm: [AtomicU64::new(0), AtomicU64::new(0)],
        new_lwm: [AtomicU64::new(0), AtomicU64::new(0)],
        farewell: [Mutex::new(None), Mutex::new(None)],
        sink: Default::default(),
        source: Default::default(),
        direct_sent: [AtomicU64::new(0), AtomicU64::new(0)],
    });
    let end = |side: usize, out, inp| PipeEnd {
        id: ids[side],
        side,
        shared: shared.clone(),
        out,
        inp,
        hwm: hwm[side],
        lwm: low_water(hwm[1 - side]),
        msgs_written: 0,
        msgs_read: 0,
        until_publish: low_water(hwm[1 - side]),
        writers_released: 0,
        direct_folded: 0,
        fold_pending: false,
        out_more: false,
        in_more: false,
        in_terminated: false,
        routing_id: Vec::new(),
        probed: false,
        peer_marks: None,
        peer_endpoint: None,
        direct_frames: Vec::new(),
        direct_complete: 0,
        direct_buf: Vec::new(),
        direct_epoch: u64::MAX,
        direct_last: None,
        direct_seen: 0,
        direct_ok: false,
        direct_in: VecDeque::new(),
        direct_rbuf: Vec::new(),
        direct_read_off: false,
    };
    (end(0, w0, r0), end(1, w1, r1))
}

impl PipeEnd {
    pub fn id(&self) -> PipeId {
        self.id
    }

    fn peer(&self) -> usize {
        1 - self.side
    }

    /// Registers the owner that receives this end's commands.
    pub fn set_owner(&self, mailbox: OwnerMailbox) {
        *self.shared.owner[self.side].lock() = Some(mailbox);
    }

    /// Sends `cmd` to the peer end's owner, if it has one yet.
    fn notify_peer(&self, cmd: Command) {
        if let Some(mb) = self.shared.owner[self.peer()].lock().as_ref() {
            mb.send(cmd);
        }
    }

    /// Tells the peer's owner its connection dropped and this end will
    /// carry a new one (see `Command::Hiccup`).
    pub fn hiccup(&self) {
        self.notify_peer(Command::Hiccup(self.shared.ids[self.peer()]));
    }

    /// True when a new message may be started (below the HWM). Marks this
    /// writer blocked otherwise, so the peer's reads will activate it.
    pub fn check_write(&mut self) -> bool {
        if self.out_more || self.hwm == 0 || self.shared.slot[self.side].is_some() {
            return true;
        }
        let peer_read = &self.shared.read[self.peer()];
        if self.msgs_written - peer_read.load(Ordering::Acquire) < self.hwm {
            return true;
        }
        // A plain load first: a full pipe is checked once per message, and
        // a locked swap each time would cost more than the check.
        if self.shared.new_hwm[self.side].load(Ordering::Relaxed) != 0 {
            let changed = self.shared.new_hwm[self.side].swap(0, Ordering::Acquire);
            if changed != 0 {
                self.hwm = changed - 1;
                return self.check_write();
            }
        }
        // Announce, then re-check (pairs with the reader's publish in `read`).
        self.shared.writer_blocked[self.side].store(true, Ordering::SeqCst);
        if self.msgs_written - peer_read.load(Ordering::SeqCst) < self.hwm {
            self.shared.writer_blocked[self.side].store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Queues a frame; the caller checked `check_write` before the first
    /// frame of a message. Frames of one message always fit once started.
    #[inline]
    pub fn write(&mut self, mut msg: Msg) {
        self.write_from(&mut msg);
    }

    /// [`PipeEnd::write`] for a message the caller holds by reference: it is
    /// moved straight into the queue and `msg` is left empty.
    #[inline]
    pub fn write_from(&mut self, msg: &mut Msg) {
        if self.shared.slot[self.side].is_some() {
            self.write_conflated(msg.take());
            return;
        }
        // Direct writes: frames already going direct keep going direct;
        // a new message may start when a session lent its connection.
        if !self.direct_frames.is_empty()
            || (self.direct_ok
                && !self.out_more
                && self.shared.sink[self.side].is_open()
                && self.direct_begin(msg))
        {
            self.out_more = msg.more();
            self.direct_frames.push(msg.take());
            if !self.out_more {
                self.direct_complete = self.direct_frames.len();
            }
            return;
        }
        self.out_more = msg.more();
        if !self.out_more {
            self.msgs_written += 1;
        }
        self.out.write_take(msg, self.out_more);
    }

    #[cold]
    fn write_conflated(&mut self, mut msg: Msg) {
        let Some(slot) = &self.shared.slot[self.side] else {
            return;
        };
        // Conflate: single-part only; the newest replaces what is there.
        msg.reset_flags(crate::msg::flags::MORE);
        let old = slot.lock().replace(msg);
        drop(old);
        let asleep = &self.shared.slot_reader_asleep[self.side];
        if asleep.load(Ordering::SeqCst) && asleep.swap(false, Ordering::SeqCst) {
            self.notify_peer(Command::ActivateRead(self.shared.ids[self.peer()]));
        }
    }

    /// Whether a new message may go out directly (module `direct`): the
    /// queue holds nothing unpublished and its reader (the session) still
    /// sleeps, so every earlier message is in the kernel already; and the
    /// connection answered since the last direct send, or that is IDLE old.
    #[inline(never)]
    fn direct_begin(&mut self, msg: &Msg) -> bool {
        if msg.size() > direct::FIRST_FRAME_MAX
            || msg.flags() & flags::SUBSCRIPTION != 0
            || !self.out.all_flushed()
            || !self.out.reader_asleep()
            || self.woken_elsewhere()
        {
            return false;
        }
        let epoch = self.shared.sink[self.side].epoch();
        let now = Instant::now();
        if epoch == self.direct_epoch
            && self
                .direct_last
                .is_some_and(|t| now.saturating_duration_since(t) < direct::IDLE)
        {
            return false;
        }
        // A thread sending on many sockets in a row (one request to each
        // of many DEALERs) keeps their I/O threads' parallel batches.
        if direct::sent_just_now(now) {
            return false;
        }
        self.direct_seen = epoch;
        true
    }

    /// This thread last woke the reader of another pipe (a session, to
    /// write what this thread queued for it) and that reader has not taken
    /// it all yet. A direct write now could reach its peer before that
    /// queued message reaches its own: a SUB's subscription to a new peer,
    /// then a PAIR's message on the same thread that the peer forwards to
    /// the SUB's publisher (pyzmq's monitored queue test). Through the
    /// queue instead, the message follows it when both sessions share an
    /// I/O thread, as every message does in libzmq.
    #[cold]
    fn woken_elsewhere(&self) -> bool {
        WOKEN.with(|w| {
            let mut w = w.borrow_mut();
            match &*w {
                Some(watch) if !watch.watches(&self.out) && !watch.reader_asleep() => true,
                Some(_) => {
                    *w = None;
                    false
                }
                None => false,
            }
        })
    }

    /// Sends the complete messages in `direct_frames` on the lent
    /// connection; what cannot go direct goes through the queue, in order.
    #[cold]
    fn direct_send(&mut self) {
        let mut frames = std::mem::take(&mut self.direct_frames);
        let complete = self.direct_complete.min(frames.len());
        let sink = &self.shared.sink[self.side];
        // Plain frames of a modest total only: a large body behind a small
        // envelope frame (REQ's delimiter, a ROUTER's routing id) is better
        // written by the I/O thread without copies.
        let mut total = 0usize;
        let plain = frames[..complete].iter().all(|m| {
            total += m.size();
            m.flags() & flags::SUBSCRIPTION == 0
        }) && total <= direct::TOTAL_MAX;
        let fd = if plain { sink.take() } else { None };
        if let Some(fd) = fd {
            self.direct_buf.clear();
            for m in &frames[..complete] {
                crate::zmtp::frame::encode(m, &mut self.direct_buf);
            }
            let sent = direct::send(fd, &self.direct_buf);
            if !matches!(sent, direct::Sent::WouldBlock) {
                let msgs = frames[..complete].iter().filter(|m| !m.more()).count();
                self.shared.direct_sent[self.side].fetch_add(msgs as u64, Ordering::Release);
            }
            match sent {
                direct::Sent::All => {
                    sink.give_back();
                    self.direct_epoch = self.direct_seen;
                    self.direct_last = Some(direct::sent_now());
                    frames.drain(..complete);
                }
                direct::Sent::Part(n) => {
                    sink.hand_over(&self.direct_buf[n..], false);
                    self.notify_peer(Command::ActivateRead(self.shared.ids[self.peer()]));
                    self.direct_epoch = self.direct_seen;
                    self.direct_last = Some(direct::sent_now());
                    frames.drain(..complete);
                }
                direct::Sent::Failed => {
                    // The connection is gone: the message is lost with it,
                    // as it would be in the session's buffer.
                    sink.hand_over(&[], true);
                    self.notify_peer(Command::ActivateRead(self.shared.ids[self.peer()]));
                    frames.drain(..complete);
                }
                direct::Sent::WouldBlock => sink.give_back(),
            }
        }
        // Not sent: through the queue, in order (the caller's flush then
        // publishes it and wakes the session).
        for (i, m) in frames.iter_mut().enumerate() {
            let more = m.more();
            if !more && i < complete {
                self.msgs_written += 1;
            }
            self.out.write_take(m, more);
        }
        frames.clear();
        self.direct_frames = frames;
        self.direct_complete = 0;
        if self.direct_buf.capacity() > 64 * 1024 {
            self.direct_buf = Vec::new();
        }
    }

    /// Drops the frames of a multipart message whose last frame will never
    /// come (its connection dropped). The reader never saw them.
    pub fn rollback(&mut self) {
        self.direct_frames.truncate(self.direct_complete);
        self.out.rollback();
        self.out_more = false;
    }

    /// Publishes written frames; wakes the peer if it slept on this pipe.
    pub fn flush(&mut self) {
        if !self.direct_frames.is_empty() && !self.out_more {
            self.direct_send();
        }
        if self.out.flush() {
            self.notify_peer(Command::ActivateRead(self.shared.ids[self.peer()]));
            // A reader woken here: this thread's direct writes on other
            // pipes wait until it has taken what it was woken for.
            let watch = self.out.watch();
            WOKEN.with(|w| *w.borrow_mut() = Some(watch));
        }
        if self.out.take_yield_due() {
            yield_to_stalled_reader();
        }
    }

    /// True if something can be read now. When nothing can, the owner is
    /// registered as sleeping on this pipe, so the peer's next flush sends
    /// ActivateRead (this is what makes `ZMQ_FD` fire after `ZMQ_EVENTS`
    /// reported no input). The next item may be the delimiter, in which case
    /// `read` returns `None` and the pipe reports `is_terminated`.
    pub fn check_read(&mut self) -> bool {
        if self.in_terminated {
            return false;
        }
        if !self.direct_in.is_empty() {
            return true;
        }
        if let Some(slot) = &self.shared.slot[self.peer()] {
            if slot.lock().is_some() {
                return true;
            }
            let asleep = &self.shared.slot_reader_asleep[self.peer()];
            asleep.store(true, Ordering::SeqCst);
            if slot.lock().is_some() {
                asleep.store(false, Ordering::SeqCst);
                return true;
            }
        }
        if !self.inp.has_next_or_sleep() {
            self.fold_pending = true;
            if self.shared.new_lwm[self.side].load(Ordering::Relaxed) != 0 {
                self.adopt_lwm();
            }
            return false;
        }
        // A closed peer's delimiter is no message: take it now, so that a
        // poll does not report input a receive then cannot find.
        if self.inp.peek().is_some_and(Msg::is_delimiter) {
            self.inp.read();
            self.in_terminated = true;
            return false;
        }
        true
    }

    /// The newest message of a conflating direction, announcing sleep on
    /// the slot when it is empty.
    #[cold]
    fn read_slot(&mut self) -> Option<Msg> {
        let slot = self.shared.slot[self.peer()].as_ref()?;
        if let Some(m) = slot.lock().take() {
            return Some(m);
        }
        let asleep = &self.shared.slot_reader_asleep[self.peer()];
        asleep.store(true, Ordering::SeqCst);
        let m = slot.lock().take();
        if m.is_some() {
            asleep.store(false, Ordering::SeqCst);
        }
        m
    }

    /// Reads the next frame. `None` when empty (the owner will get
    /// ActivateRead when more arrives) or when the peer terminated (see
    /// [`PipeEnd::is_terminated`]).
    #[inline]
    pub fn read(&mut self) -> Option<Msg> {
        let mut msg = Msg::new();
        self.read_into(&mut msg).then_some(msg)
    }

    /// [`PipeEnd::read`] into a message the caller holds (its old content is
    /// dropped when a frame arrives): the frame moves from the queue straight
    /// into it. False when `read` would return `None`; `out` may then have
    /// been replaced by an empty message.
    #[inline]
    pub fn read_into(&mut self, out: &mut Msg) -> bool {
        if self.in_terminated {
            return false;
        }
        if !self.direct_in.is_empty() {
            return self.read_direct_queue(out);
        }
        if self.shared.slot[self.peer()].is_some() {
            if let Some(m) = self.read_slot() {
                *out = m;
                return true;
            }
        }
        if !self.inp.read_into_or_sleep(out) {
            self.fold_pending = true;
            if self.shared.new_lwm[self.side].load(Ordering::Relaxed) != 0 {
                self.adopt_lwm();
            }
            return false;
        }
        if out.is_delimiter() {
            self.in_terminated = true;
            *out = Msg::new();
            return false;
        }
        let msg = out;
        self.in_more = msg.more();
        if !self.in_more {
            // Direct sends went out before this message: counted first.
            if self.fold_pending {
                self.fold_direct();
            }
            self.msgs_read += 1;
            // Every `lwm` messages (a countdown: no division per message).
            if self.lwm > 0 {
                self.until_publish -= 1;
                if self.until_publish == 0 {
                    self.until_publish = self.lwm;
                    self.publish_read();
                }
            }
        }
        true
    }

    /// The next message read directly from the connection. Not counted
    /// towards the read count: the session never queued it.
    #[cold]
    fn read_direct_queue(&mut self, out: &mut Msg) -> bool {
        let Some(m) = self.direct_in.pop_front() else {
            return false;
        };
        *out = m;
        self.in_more = out.more();
        true
    }

    /// Direct reads (`direct`): inside a blocking receive that found nothing
    /// queued, reads the connection itself if its session lent it, waiting
    /// until `deadline` (None: for ever) on it and on `wake_fd` (the
    /// socket's mailbox).
    pub(crate) fn read_direct(
        &mut self,
        wake_fd: RawFd,
        deadline: Option<Instant>,
    ) -> direct::Read {
        let source = &self.shared.source[self.side];
        if !source.is_open() || self.direct_read_off {
            return direct::Read::Nothing;
        }
        let Some(timeout_ms) = direct::poll_ms(deadline) else {
            return direct::Read::TimedOut;
        };
        let Some(mut lease) = source.take() else {
            return direct::Read::Nothing;
        };
        // What the session queued before it lent the source comes first.
        if self.inp.has_next_or_sleep() {
            source.give_back(b"", lease.partial.take(), lease.stream);
            return direct::Read::Got;
        }
        if lease.stream || lease.partial.is_some() {
            let stopped = direct::read_stream(
                &mut lease,
                wake_fd,
                deadline,
                &mut self.direct_in,
                &mut self.direct_rbuf,
            );
            let source = &self.shared.source[self.side];
            source.give_back(&stopped.leftover, stopped.partial, stopped.stream);
            if !stopped.leftover.is_empty() {
                self.notify_peer(Command::ActivateWrite(self.shared.ids[self.peer()]));
            }
            if matches!(stopped.outcome, direct::Read::Got) {
                // As below: the next send may go direct.
                self.direct_epoch = u64::MAX;
            }
            return stopped.outcome;
        }
        let (outcome, read, end) = match direct::poll2(lease.fd, wake_fd, timeout_ms) {
            Err(()) => (direct::Read::Interrupted, 0, 0),
            Ok(None) => (direct::Read::TimedOut, 0, 0),
            Ok(Some(false)) => (direct::Read::Nothing, 0, 0),
            Ok(Some(true)) => self.read_whole_messages(&lease),
        };
        // What was read past the last whole message goes back to the
        // session, which is woken to take it (as after a full pipe).
        let rest = &self.direct_rbuf[end..read];
        self.shared.source[self.side].give_back(rest, None, false);
        if !rest.is_empty() {
            self.notify_peer(Command::ActivateWrite(self.shared.ids[self.peer()]));
        }
        outcome
    }

    /// Watches an inproc pipe, inside a blocking receive that found it
    /// empty, instead of sleeping at once: its writer is another
    /// application thread. Sleeping there costs a wake-up per message once
    /// the reader keeps up with the writer (an ActivateRead, a futex wake
    /// and a context switch each). The sleep announcement is taken back
    /// for the watch, so flushes meanwhile send no wake-up, and made again
    /// after it. `how`: [`Watch::Spin`], with the writer most likely a
    /// message or two behind on another CPU; [`Watch::Yield`], with both
    /// threads on one CPU, where the writer gets the CPU and writes a batch
    /// (until it blocks or its time slice ends) instead of one message per
    /// wake-up. True when a message is there (the caller re-activates the
    /// pipe); false to sleep as usual (announced, or woken by a flush that
    /// came first).
    pub(crate) fn watch_input(&mut self, how: Watch) -> bool {
        if self.peer_marks.is_none()
            || self.in_terminated
            || self.shared.slot[self.peer()].is_some()
            || !self.inp.cancel_sleep()
        {
            return false;
        }
        match how {
            Watch::Spin(rounds) => {
                for _ in 0..rounds {
                    std::hint::spin_loop();
                    if self.inp.has_next() {
                        return true;
                    }
                }
            }
            Watch::Yield => {
                // SAFETY: no arguments; it only gives up the CPU.
                unsafe { libc::sched_yield() };
            }
        }
        self.inp.has_next_or_sleep()
    }

    /// Its connection's read side is lent for a stream of large messages
    /// (`direct`): a receive that waits may read it without awaiting a
    /// reply.
    pub(crate) fn streams_in(&self) -> bool {
        !self.direct_read_off && self.shared.source[self.side].is_stream()
    }

    /// The last frame written had MORE set: the next one continues its
    /// message.
    pub(crate) fn mid_message(&self) -> bool {
        self.out_more
    }

    /// The socket unbound or disconnected an endpoint: this pipe's
    /// connection may be one it ends, which the I/O thread closes in its
    /// own time; no direct read may take what arrives on it meanwhile
    /// (libzmq's socket never sees it).
    pub fn stop_direct_reads(&mut self) {
        self.direct_read_off = true;
    }

    /// Reads what the connection holds and queues the whole messages of
    /// data frames at its start on `direct_in`. Returns the outcome, the
    /// bytes read and the end of the last whole message.
    fn read_whole_messages(&mut self, lease: &direct::Lease) -> (direct::Read, usize, usize) {
        if self.direct_rbuf.len() < direct::READ_CAP {
            self.direct_rbuf.resize(direct::READ_CAP, 0);
        }
        let buf = &mut self.direct_rbuf[..];
        // EOF or an error stay for the session to see (nothing is taken).
        let got = match direct::recv(lease.fd, buf, 0) {
            Some(n) if n > 0 => n,
            _ => return (direct::Read::Nothing, 0, 0),
        };
        let end = direct::whole_messages(&buf[..got], lease.max);
        if end == 0 {
            return (direct::Read::Nothing, got, 0);
        }
        let (mut pos, mut msg_start) = (0, 0);
        let (first, mut msg_first) = (self.direct_in.len(), self.direct_in.len());
        while let Some((flags, header, size)) = direct::frame_header(&buf[pos..end]) {
            let body = pos + header;
            let Some(next) = body.checked_add(size as usize).filter(|&e| e <= end) else {
                break;
            };
            let Ok(mut m) = Msg::from_slice(&buf[body..next]) else {
                // No memory for it: this message and what follows go to
                // the session instead.
                self.direct_in.truncate(msg_first);
                let outcome = if msg_first > first {
                    direct::Read::Got
                } else {
                    direct::Read::Nothing
                };
                return (outcome, got, msg_start);
            };
            let more = flags & crate::zmtp::frame::FLAG_MORE != 0;
            if more {
                m.set_flags(crate::msg::flags::MORE);
            }
            m.set_metadata(lease.metadata.clone());
            self.direct_in.push_back(m);
            pos = next;
            if !more {
                msg_start = pos;
                msg_first = self.direct_in.len();
            }
        }
        // A reply came: the next send may go direct (`direct_begin`).
        self.direct_epoch = u64::MAX;
        (direct::Read::Got, got, end)
    }

    /// Counts the peer's direct sends since the last fold towards the next
    /// publish: they went out before the message just read.
    #[cold]
    fn fold_direct(&mut self) {
        self.fold_pending = false;
        let sent = self.shared.direct_sent[self.peer()].load(Ordering::Acquire);
        let n = sent.wrapping_sub(self.direct_folded);
        self.direct_folded = sent;
        if n == 0 || self.lwm == 0 {
            return;
        }
        if n < self.until_publish {
            self.until_publish -= n;
            return;
        }
        // The countdown passed zero: publish, and go on from there.
        self.until_publish = self.lwm - (n - self.until_publish) % self.lwm;
        self.publish_read();
    }

    /// The peer's writer has a new HWM: read with the LWM that goes with it.
    #[cold]
    fn adopt_lwm(&mut self) {
        let v = self.shared.new_lwm[self.side].swap(0, Ordering::Acquire);
        if v != 0 {
            self.set_lwm(v - 1);
        }
    }

    /// Publishes with a new LWM from now on, and publishes the count at
    /// once: the writer may have a lower mark than the reads since the last
    /// publish leave room for.
    fn set_lwm(&mut self, lwm: u64) {
        self.lwm = lwm;
        self.until_publish = lwm;
        self.publish_read();
    }

    /// Publishes the read count; releases a writer blocked at its HWM.
    fn publish_read(&mut self) {
        self.shared.read[self.side].store(self.msgs_read, Ordering::SeqCst);
        let blocked = &self.shared.writer_blocked[self.peer()];
        if blocked.load(Ordering::SeqCst) && blocked.swap(false, Ordering::SeqCst) {
            self.writers_released = self.writers_released.wrapping_add(1);
            self.notify_peer(Command::ActivateWrite(self.shared.ids[self.peer()]));
        }
    }

    /// Takes back the sleep a read announced when it found the pipe empty,
    /// so the writer's flushes send no ActivateRead: for an owner that
    /// comes back to read at a time of its own (a session holding its
    /// output, `Reactor::hold`). False when a flush already took the
    /// announcement (its ActivateRead is on the way).
    pub fn cancel_sleep(&self) -> bool {
        self.inp.cancel_sleep()
    }

    /// How many times this end released its writer from the HWM (a
    /// counter that wraps: compare two readings for equality).
    pub fn writers_released(&self) -> u32 {
        self.writers_released
    }

    /// In the middle of reading a multipart message.
    pub fn in_more(&self) -> bool {
        self.in_more
    }

    /// The peer closed and everything it sent has been read.
    pub fn is_terminated(&self) -> bool {
        self.in_terminated
    }

    /// In the middle of writing a multipart message.
    pub fn out_more(&self) -> bool {
        self.out_more
    }

    /// Has the peer end send `msg` as its last message when it closes
    /// (before its delimiter): the inproc ZMQ_DISCONNECT_MSG of the socket
    /// owning this end.
    pub fn set_peer_farewell(&self, msg: &[u8]) {
        *self.shared.farewell[self.peer()].lock() = Some(msg.to_vec());
    }

    /// Has this end send `msg` last when it closes (see `set_peer_farewell`).
    pub fn set_farewell(&self, msg: &[u8]) {
        *self.shared.farewell[self.side].lock() = Some(msg.to_vec());
    }

    /// Closes this end: the peer reads what was sent, then a delimiter.
    pub fn close(mut self) {
        self.shared.closed[self.side].store(true, Ordering::Release);
        self.rollback();
        if !self.direct_frames.is_empty() {
            self.direct_send();
        }
        self.out.rollback();
        // An unfinished message is dropped (rolled back) before the farewell.
        self.out_more = false;
        if let Some(bytes) = self.shared.farewell[self.side].lock().take() {
            if let Ok(m) = Msg::from_slice(&bytes) {
                self.out.write(m, false);
            }
        }
        self.out.write(Msg::delimiter(), false);
        self.out.flush();
        self.notify_peer(Command::PipeTerm(self.shared.ids[self.peer()]));
    }

    /// Sets the HWMs of both directions after the pipe was made: this end's
    /// at once, the peer's for its writer to pick up (see `new_hwm`).
    pub fn set_hwms(&mut self, ours: u64, peers: u64) {
        let changed = ours != self.hwm;
        self.hwm = ours;
        self.shared.new_hwm[self.peer()].store(peers + 1, Ordering::Release);
        // This end reads what the peer writes under `peers`.
        if low_water(peers) != self.lwm {
            self.set_lwm(low_water(peers));
        }
        // The peer reads what this end writes: it takes the new LWM when it
        // next runs dry, and is woken to do so (it may sleep with reads it
        // has not published, which a lower mark here would wait for).
        if changed {
            self.shared.new_lwm[self.peer()].store(low_water(ours) + 1, Ordering::Release);
            self.notify_peer(Command::ActivateRead(self.shared.ids[self.peer()]));
        }
    }

    /// ZMQ_EVENT_PIPES_STATS: messages this end wrote that the peer has not
    /// yet reported read (its count is published every LWM, so this can
    /// overstate), and frames queued for this end to read.
    pub fn queued(&self) -> (u64, u64) {
        let read_by_peer = self.shared.read[self.peer()].load(Ordering::Acquire);
        (
            self.msgs_written.saturating_sub(read_by_peer),
            self.inp.pending(),
        )
    }

    /// The peer end has been closed (its delimiter may not be read yet).
    pub fn peer_closed(&self) -> bool {
        self.shared.closed[self.peer()].load(Ordering::Acquire)
    }

    /// The sink through which the peer end (the socket) may write directly
    /// to the connection this end's owner (a session) serves (`direct`).
    pub(crate) fn peer_sink(&self) -> DirectHandle {
        DirectHandle {
            shared: self.shared.clone(),
            side: self.peer(),
        }
    }

    /// The owner (a session) delivered a batch to this end's peer: the
    /// epoch its direct writes look at (`direct`).
    #[inline]
    pub(crate) fn set_peer_epoch(&self, epoch: u64) {
        self.shared.sink[self.peer()].set_epoch(epoch);
    }

    /// Whether direct writes may start on this end (its socket's only
    /// pipe; see `direct_ok`).
    pub fn set_direct_ok(&mut self, ok: bool) {
        self.direct_ok = ok;
    }

    #[cfg(test)]
    pub(crate) fn direct_ok(&self) -> bool {
        self.direct_ok
    }

    /// This end found its inbound queue empty and sleeps on it.
    pub(crate) fn inbound_asleep(&self) -> bool {
        self.inp.is_asleep()
    }

    /// Either direction conflates (ZMQ_CONFLATE).
    pub(crate) fn conflates(&self) -> bool {
        self.shared.slot.iter().any(Option::is_some)
    }
}

/// A session's hold on the sink of its pipe's socket end (`direct`); it
/// keeps the pipe's shared state alive, so the session can take the write
/// side back even after the pipe is gone.
pub(crate) struct DirectHandle {
    shared: Arc<Shared>,
    side: usize,
}

impl DirectHandle {
    pub(crate) fn sink(&self) -> &direct::Sink {
        &self.shared.sink[self.side]
    }

    pub(crate) fn source(&self) -> &direct::Source {
        &self.shared.source[self.side]
    }

    /// Makes the socket end's owner's mailbox readable (a holder of the
    /// source polls it), without a command.
    pub(crate) fn wake_owner(&self) {
        if let Some(mb) = self.shared.owner[self.side].lock().as_ref() {
            mb.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn msg(b: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(b).unwrap();
        if more {
            m.set_flags(crate::msg::flags::MORE);
        }
        m
    }

    #[test]
    fn closed_mailbox_drops_an_attach_and_breaks_the_owner_cycle() {
        // A session's Attach reaching a socket that just closed: the queued
        // end's owner slot holds the mailbox that holds the end.
        // Once the session's end goes too, nothing may hold the mailbox.
        let mb: OwnerMailbox = Arc::new(Mailbox::new().unwrap());
        let (a, b) = pipe_pair([10, 10]);
        a.set_owner(mb.clone());
        mb.send(Command::Attach(Box::new(a)));
        assert_eq!(Arc::strong_count(&mb), 2);
        mb.close();
        drop(b);
        assert_eq!(Arc::strong_count(&mb), 1);
        // Later sends are dropped, not queued.
        let (c, d) = pipe_pair([10, 10]);
        c.set_owner(mb.clone());
        mb.send(Command::Attach(Box::new(c)));
        drop(d);
        assert_eq!(Arc::strong_count(&mb), 1);
        let mut queued = VecDeque::new();
        mb.drain(&mut queued);
        assert!(queued.is_empty());
    }

    #[test]
    fn hwm_counts_whole_messages_and_reads_release_the_writer() {
        let (mut a, mut b) = pipe_pair([2, 2]);
        let mb = Arc::new(Mailbox::new().unwrap());
        a.set_owner(mb.clone());
        for _ in 0..2 {
            assert!(a.check_write());
            a.write(msg(b"p1", true));
            a.write(msg(b"p2", false));
        }
        a.flush();
        assert!(!a.check_write(), "two messages outstanding at HWM 2");
        // LWM is 1: every message read publishes, and the blocked writer is
        // activated.
        assert_eq!(b.read().unwrap().data(), b"p1");
        assert_eq!(b.read().unwrap().data(), b"p2");
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.pop_front(), Some(Command::ActivateWrite(id)) if id == a.id()));
        assert!(a.check_write());
    }

    #[test]
    fn flush_into_sleeping_reader_sends_one_activate_read() {
        let (mut a, mut b) = pipe_pair([0, 0]);
        let mb = Arc::new(Mailbox::new().unwrap());
        b.set_owner(mb.clone());
        assert!(b.read().is_none()); // b sleeps
        a.write(msg(b"x", false));
        a.flush();
        a.write(msg(b"y", false));
        a.flush();
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert_eq!(cmds.len(), 1);
        assert!(matches!(cmds[0], Command::ActivateRead(id) if id == b.id()));
    }

    #[test]
    fn a_spinning_reader_takes_a_flush_without_a_wake_up() {
        let (mut a, mut b) = pipe_pair([0, 0]);
        b.peer_marks = Some((0, 0)); // inproc
        let mb = Arc::new(Mailbox::new().unwrap());
        b.set_owner(mb.clone());
        assert!(b.read().is_none()); // b announced sleep
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_micros(200));
            a.write(msg(b"x", false));
            a.flush();
            a
        });
        // Up to ~25 ms of watching: the write lands well within it.
        assert!(b.watch_input(Watch::Spin(1_000_000)));
        let _a = writer.join().unwrap();
        assert_eq!(b.read().unwrap().data(), b"x");
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(cmds.is_empty(), "no ActivateRead while the reader watched");
    }

    #[test]
    fn a_yield_on_one_cpu_lets_the_writer_write_first() {
        // Both threads on one CPU: the reader's yield hands it to the
        // runnable writer, whose batch is there when the yield returns,
        // with no ActivateRead sent.
        let cpu = {
            // SAFETY: a zeroed set is valid; filled for this thread.
            let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            let n = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: as above.
            assert_eq!(unsafe { libc::sched_getaffinity(0, n, &mut set) }, 0);
            (0..libc::CPU_SETSIZE as usize)
                // SAFETY: the index is below CPU_SETSIZE.
                .find(|&c| unsafe { libc::CPU_ISSET(c, &set) })
                .unwrap()
        };
        let pin = move || {
            // SAFETY: a zeroed set with one CPU added; applied to this
            // thread only.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
            }
        };
        let (mut a, mut b) = pipe_pair([0, 0]);
        b.peer_marks = Some((0, 0));
        let mb = Arc::new(Mailbox::new().unwrap());
        b.set_owner(mb.clone());
        // The writer waits, yielding, until the reader found the pipe empty
        // and is about to watch it; then writes its batch at once.
        let watching = Arc::new(AtomicBool::new(false));
        let seen = watching.clone();
        let writer = std::thread::spawn(move || {
            pin();
            while !seen.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            for _ in 0..100 {
                a.write(msg(b"x", false));
                a.flush();
            }
            a
        });
        let reader = std::thread::spawn(move || {
            pin();
            assert!(b.read().is_none(), "nothing written yet");
            watching.store(true, Ordering::Release);
            // Without the yield the writer, on this CPU, could not write
            // before the reader sleeps again: false, and announced. The
            // scheduler may hand the CPU straight back once or twice.
            let got = (0..100).any(|_| b.watch_input(Watch::Yield));
            let mut n = 0;
            while b.read().is_some() {
                n += 1;
            }
            (b, got, n)
        });
        let _a = writer.join().unwrap();
        let (_b, got, n) = reader.join().unwrap();
        assert!(got, "the batch was there when a yield returned");
        assert_eq!(n, 100);
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(
            cmds.is_empty(),
            "{} wake-ups for a watched batch",
            cmds.len()
        );
    }

    #[test]
    fn a_spin_that_finds_nothing_sleeps_announced() {
        let (mut a, mut b) = pipe_pair([0, 0]);
        let mb = Arc::new(Mailbox::new().unwrap());
        b.set_owner(mb.clone());
        assert!(b.read().is_none());
        assert!(
            !b.watch_input(Watch::Spin(10)),
            "a session's pipe is not watched"
        );
        b.peer_marks = Some((0, 0));
        assert!(!b.watch_input(Watch::Spin(10)));
        assert!(!b.watch_input(Watch::Yield));
        assert!(
            !b.watch_input(Watch::Spin(10)),
            "announced again after the first spin"
        );
        a.write(msg(b"y", false));
        a.flush();
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.as_slices().0, [Command::ActivateRead(id)] if *id == b.id()));
    }

    /// A unix socket pair (both ends non-blocking) standing in for a
    /// session's connection; `sndbuf` shrinks the sending end's buffer.
    fn socket_pair(sndbuf: Option<i32>) -> [std::os::fd::OwnedFd; 2] {
        use std::os::fd::FromRawFd;
        let mut fds = [0; 2];
        // SAFETY: a valid array of two ints for socketpair to fill.
        let rc = unsafe {
            libc::socketpair(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK,
                0,
                fds.as_mut_ptr(),
            )
        };
        assert_eq!(rc, 0);
        if let Some(size) = sndbuf {
            // SAFETY: setting an int option on our own socket.
            unsafe {
                libc::setsockopt(
                    fds[0],
                    libc::SOL_SOCKET,
                    libc::SO_SNDBUF,
                    (&size as *const i32).cast(),
                    4,
                )
            };
        }
        // SAFETY: both fds are fresh and ours.
        fds.map(|fd| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
    }

    /// Everything readable on `fd` now.
    fn read_all(fd: &std::os::fd::OwnedFd) -> Vec<u8> {
        use std::os::fd::AsRawFd;
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            // SAFETY: reading into a live buffer of its own length.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n as usize]);
        }
    }

    /// A socket end and a session end whose session lent `fd` while
    /// sleeping on an empty pipe.
    fn lent_pipe(fd: &std::os::fd::OwnedFd) -> (PipeEnd, PipeEnd, OwnerMailbox, DirectHandle) {
        lent_pipe_with_hwm(fd, 0)
    }

    /// [`lent_pipe`] with the socket end's SNDHWM.
    fn lent_pipe_with_hwm(
        fd: &std::os::fd::OwnedFd,
        hwm: u64,
    ) -> (PipeEnd, PipeEnd, OwnerMailbox, DirectHandle) {
        use std::os::fd::AsRawFd;
        let (mut socket_end, mut session_end) = pipe_pair([hwm, 0]);
        let mb: OwnerMailbox = Arc::new(Mailbox::new().unwrap());
        session_end.set_owner(mb.clone());
        let mut m = Msg::new();
        assert!(!session_end.read_into(&mut m));
        assert!(session_end.inbound_asleep());
        let handle = session_end.peer_sink();
        handle.sink().lend(fd.as_raw_fd());
        socket_end.set_direct_ok(true);
        (socket_end, session_end, mb, handle)
    }

    fn encoded(frames: &[(&[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (body, more) in frames {
            crate::zmtp::frame::encode(&msg(body, *more), &mut out);
        }
        out
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's send(2) on a socket pair delivers nothing")]
    fn a_lent_connection_takes_whole_messages_directly_until_reclaimed() {
        let fds = socket_pair(None);
        let (mut socket_end, mut session_end, mb, handle) = lent_pipe(&fds[0]);
        socket_end.write(msg(b"", true));
        socket_end.write(msg(b"hi", false));
        socket_end.flush();
        assert_eq!(read_all(&fds[1]), encoded(&[(b"", true), (b"hi", false)]));
        // Nothing queued, nobody woken.
        let mut m = Msg::new();
        assert!(!session_end.read_into(&mut m));
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(cmds.is_empty());
        // Taken back: the next message queues and wakes the session.
        let back = handle.sink().reclaim();
        assert!(back.leftover.is_empty() && !back.broken);
        socket_end.write(msg(b"q", false));
        socket_end.flush();
        assert!(read_all(&fds[1]).is_empty());
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.data(), b"q");
        mb.drain(&mut cmds);
        assert!(matches!(cmds.front(), Some(Command::ActivateRead(id)) if *id == session_end.id()));
    }

    /// libzmq's session reads every message from the queue and publishes
    /// its read count every LWM messages; a direct send counts towards
    /// that, so the writer's queue figures (PIPES_STATS) match libzmq's.
    #[test]
    #[cfg_attr(miri, ignore = "Miri's send(2) on a socket pair delivers nothing")]
    fn a_direct_send_counts_towards_the_readers_next_publish() {
        let fds = socket_pair(None);
        // SNDHWM 4: the session publishes every 2 messages.
        let (mut socket_end, mut session_end, _mb, handle) = lent_pipe_with_hwm(&fds[0], 4);
        socket_end.write(msg(b"direct", false));
        socket_end.flush();
        assert_eq!(read_all(&fds[1]), encoded(&[(b"direct", false)]));
        handle.sink().reclaim();
        for body in [b"q1", b"q2", b"q3"] {
            assert!(socket_end.check_write());
            socket_end.write(msg(body, false));
        }
        socket_end.flush();
        assert_eq!(socket_end.queued().0, 3);
        let mut m = Msg::new();
        assert!(session_end.read_into(&mut m));
        // The direct message and q1 make two: published.
        assert_eq!(socket_end.queued().0, 2);
        assert!(session_end.read_into(&mut m));
        assert_eq!(socket_end.queued().0, 2, "q2 alone is not two");
        assert!(session_end.read_into(&mut m));
        assert_eq!(socket_end.queued().0, 0);
    }

    /// The read count is published every LWM messages and only then, as
    /// libzmq's: a reader that runs dry does not publish what it read
    /// since, so the writer's mark counts those as queued (a stalled PULL
    /// takes SNDHWM + RCVHWM, not the kernel's buffers on top).
    #[test]
    fn the_read_count_is_published_every_lwm_and_not_when_the_reader_runs_dry() {
        let (mut w, mut r) = pipe_pair([4, 4]); // LWM 2
        let mut m = Msg::new();
        for body in [b"1", b"2", b"3"] {
            assert!(w.check_write());
            w.write(msg(body, false));
        }
        w.flush();
        assert!(r.read_into(&mut m));
        assert_eq!(w.queued().0, 3, "one read is not published");
        assert!(r.read_into(&mut m));
        assert_eq!(w.queued().0, 1, "two are");
        assert!(r.read_into(&mut m));
        assert!(!r.read_into(&mut m), "dry");
        assert_eq!(w.queued().0, 1, "running dry publishes nothing");
        // Four outstanding by the writer's count: at the mark.
        for body in [b"4", b"5", b"6"] {
            assert!(w.check_write());
            w.write(msg(body, false));
        }
        assert!(!w.check_write());
    }

    /// A mark changed on a connected pipe reaches the reader's LWM, and the
    /// reader is woken to publish what it read under the old one: a writer
    /// whose mark went down past the unpublished reads is not stranded.
    #[test]
    fn a_lowered_mark_makes_the_reader_publish_what_it_read() {
        let (mut w, mut r) = pipe_pair([10, 10]); // LWM 5
        let mb = Arc::new(Mailbox::new().unwrap());
        r.set_owner(mb.clone());
        let mut m = Msg::new();
        for body in [b"1", b"2", b"3"] {
            w.write(msg(body, false));
        }
        w.flush();
        while r.read_into(&mut m) {}
        assert_eq!(w.queued().0, 3);
        w.set_hwms(2, 10);
        assert!(!w.check_write(), "3 unpublished reads against a mark of 2");
        // The reader was told, and publishes when it looks.
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.pop_front(), Some(Command::ActivateRead(id)) if id == r.id()));
        assert!(!r.read_into(&mut m));
        assert_eq!(w.queued().0, 0);
        assert!(w.check_write());
        // From now on every message (LWM of a mark of 2 is 1) is published.
        w.write(msg(b"4", false));
        w.flush();
        assert!(r.read_into(&mut m));
        assert_eq!(w.queued().0, 0);
    }

    /// Two direct sends reach the publish point before the next queued
    /// message: the count published leaves that message out, as libzmq's
    /// would (it read the two first).
    #[test]
    #[cfg_attr(miri, ignore = "Miri's send(2) on a socket pair delivers nothing")]
    fn direct_sends_that_reach_the_publish_point_are_published_before_the_next_message() {
        let fds = socket_pair(None);
        let (mut socket_end, mut session_end, _mb, handle) = lent_pipe_with_hwm(&fds[0], 4);
        for body in [b"d1", b"d2"] {
            // Past the pacing rules: a direct send per idle period.
            std::thread::sleep(direct::IDLE + std::time::Duration::from_micros(10));
            socket_end.write(msg(body, false));
            socket_end.flush();
        }
        assert_eq!(
            read_all(&fds[1]),
            encoded(&[(b"d1", false), (b"d2", false)])
        );
        handle.sink().reclaim();
        for body in [b"q1", b"q2", b"q3"] {
            socket_end.write(msg(body, false));
        }
        socket_end.flush();
        let mut m = Msg::new();
        assert!(session_end.read_into(&mut m));
        // d1 and d2 made two: published without q1.
        assert_eq!(socket_end.queued().0, 3);
        assert!(session_end.read_into(&mut m));
        assert_eq!(socket_end.queued().0, 1, "q1 and q2 make the next two");
    }

    #[test]
    fn a_socket_with_several_pipes_or_an_unpublished_message_sends_through_the_queue() {
        let fds = socket_pair(None);
        let (mut socket_end, mut session_end, _mb, _handle) = lent_pipe(&fds[0]);
        socket_end.set_direct_ok(false);
        socket_end.write(msg(b"a", false));
        socket_end.flush();
        assert!(read_all(&fds[1]).is_empty());
        let mut m = Msg::new();
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.data(), b"a");
        // The reader woke (and is not asleep again): no direct send may
        // overtake what it has not taken yet.
        socket_end.set_direct_ok(true);
        socket_end.write(msg(b"b", false));
        socket_end.flush();
        assert!(read_all(&fds[1]).is_empty());
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.data(), b"b");
    }

    /// Fills the connection until the kernel takes no more; the byte count.
    fn fill(fd: &std::os::fd::OwnedFd) -> usize {
        let chunk = [1u8; 4096];
        let mut total = 0;
        loop {
            // SAFETY: writing a live buffer to our own non-blocking socket.
            let n = unsafe {
                libc::write(
                    std::os::fd::AsRawFd::as_raw_fd(fd),
                    chunk.as_ptr().cast(),
                    chunk.len(),
                )
            };
            if n <= 0 {
                return total;
            }
            total += n as usize;
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's send(2) on a socket pair delivers nothing")]
    fn a_direct_send_cut_short_hands_the_rest_to_the_session() {
        let fds = socket_pair(Some(4096));
        let (mut socket_end, mut session_end, mb, handle) = lent_pipe(&fds[0]);
        // A 4 KiB send buffer: a 12 KiB message goes out in part.
        let body = vec![7u8; 12 * 1024];
        socket_end.write(msg(b"head", true));
        socket_end.write(msg(&body, false));
        socket_end.flush();
        let mut wire = read_all(&fds[1]);
        let want = encoded(&[(b"head", true), (&body, false)]);
        assert!(!wire.is_empty() && wire.len() < want.len(), "sent in part");
        // The session is woken and finds the rest, not a queued message.
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.front(), Some(Command::ActivateRead(_))));
        let back = handle.sink().reclaim();
        assert!(!back.broken);
        wire.extend_from_slice(&back.leftover);
        assert_eq!(wire, want);
        let mut m = Msg::new();
        assert!(!session_end.read_into(&mut m));
        // Handed over: the next message queues.
        socket_end.write(msg(b"next", false));
        socket_end.flush();
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.data(), b"next");
    }

    #[test]
    fn a_large_body_behind_a_small_frame_goes_through_the_queue() {
        let fds = socket_pair(None);
        let (mut socket_end, mut session_end, _mb, _handle) = lent_pipe(&fds[0]);
        let big = vec![7u8; 100 * 1024];
        socket_end.write(msg(b"", true));
        socket_end.write(msg(&big, false));
        socket_end.flush();
        assert!(read_all(&fds[1]).is_empty());
        let mut m = Msg::new();
        assert!(session_end.read_into(&mut m));
        assert!(m.more() && m.size() == 0);
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.size(), big.len());
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's send(2) on a socket pair delivers nothing")]
    fn a_full_kernel_buffer_sends_the_message_through_the_queue() {
        let fds = socket_pair(Some(4096));
        let (mut socket_end, mut session_end, mb, handle) = lent_pipe(&fds[0]);
        fill(&fds[0]);
        socket_end.write(msg(b"m", false));
        socket_end.flush();
        let mut m = Msg::new();
        assert!(session_end.read_into(&mut m));
        assert_eq!(m.data(), b"m");
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.front(), Some(Command::ActivateRead(_))));
        let back = handle.sink().reclaim();
        assert!(back.leftover.is_empty() && !back.broken);
    }

    #[test]
    fn a_failed_direct_send_reports_a_broken_connection() {
        let fds = socket_pair(None);
        let (mut socket_end, _session_end, mb, handle) = lent_pipe(&fds[0]);
        let [_, peer] = fds;
        drop(peer);
        socket_end.write(msg(b"lost", false));
        socket_end.flush();
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert!(matches!(cmds.front(), Some(Command::ActivateRead(_))));
        assert!(handle.sink().reclaim().broken);
    }

    #[test]
    fn conflating_direction_keeps_only_the_newest_and_wakes_a_sleeping_reader() {
        let (mut a, mut b) = conflating_pipe_pair([1, 1], [true, false]);
        let mb = Arc::new(Mailbox::new().unwrap());
        b.set_owner(mb.clone());
        assert!(b.read().is_none()); // b sleeps
        for i in 0..10u8 {
            assert!(a.check_write(), "no HWM when conflating");
            a.write(msg(&[i], false));
            a.flush();
        }
        let mut cmds = VecDeque::new();
        mb.drain(&mut cmds);
        assert_eq!(cmds.len(), 1);
        assert_eq!(b.read().unwrap().data(), &[9]);
        assert!(b.read().is_none());
        a.close();
        assert!(b.read().is_none());
        assert!(b.is_terminated());
    }

    #[test]
    fn close_delivers_queued_messages_then_terminates() {
        let (mut a, mut b) = pipe_pair([0, 0]);
        a.write(msg(b"last", false));
        a.flush();
        a.close();
        assert!(b.peer_closed());
        assert_eq!(b.read().unwrap().data(), b"last");
        assert!(b.read().is_none());
        assert!(b.is_terminated());
    }
}
