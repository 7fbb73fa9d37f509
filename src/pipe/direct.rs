//! Direct writes: the application thread writing a message to an idle
//! tcp/ipc connection itself, instead of queueing it and waking the I/O
//! thread to write it. Request/reply traffic saves one thread hop per
//! message this way (issue 14); a stream keeps the batched path.
//!
//! Each pipe direction has a [`Sink`]: the write side of the connection,
//! which the session (its owner) may *lend* to the socket end while it has
//! nothing to write itself.
//!
//! - The session lends (`CLOSED -> OPEN`, with the fd) only when its output
//!   is all in the kernel, the socket's queue is empty and its reader is
//!   asleep on it (so the socket's next flush would wake it), and the
//!   connection is plain ZMTP over tcp/ipc (no CURVE box, ws, raw or
//!   RADIO/DISH framing, no conflation).
//! - The socket end takes it (`OPEN -> APP`) at the first frame of a
//!   message when its own queue holds nothing unpublished and the reader is
//!   still asleep: then every earlier message is already in the kernel, so
//!   the direct one cannot overtake any. It encodes the message, sends it
//!   with one non-blocking `send`, and gives the sink back (`APP -> OPEN`).
//!   If the kernel takes none of it, the message goes through the queue as
//!   usual; if it takes part of it, or the send fails, the rest (or the
//!   failure) is handed over (`APP -> CLOSED`) and the session is woken.
//! - The session takes the write side back (`OPEN -> CLOSED`, waiting out
//!   a send in progress) before it queues or writes anything, and before
//!   it closes or replaces the stream. What an interrupted direct send left
//!   goes out first.
//!
//! Which messages go direct: the socket end takes the sink only when the
//! connection delivered something since its last direct send (the epoch
//! the session publishes with each inbound batch: a reply came back), or
//! when its last direct send is at least [`IDLE`] old; and only when its
//! thread's last direct send (on any socket) ended at least [`THREAD_GAP`]
//! ago. A stream therefore sends at most one message directly per idle
//! period of its connection and keeps the I/O thread's batches, a loop over
//! many sockets keeps their I/O threads working in parallel with it, and
//! request/reply sends every request and reply directly. Only a socket's
//! only pipe sends directly (`PipeSet`).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// The session owns the write side.
pub(crate) const CLOSED: u8 = 0;
/// Lent: the socket end may take it.
pub(crate) const OPEN: u8 = 1;
/// The socket end is sending.
pub(crate) const APP: u8 = 2;

/// A message's first frame larger than this never goes direct (a large
/// body is better written by the I/O thread without a copy).
pub(crate) const FIRST_FRAME_MAX: usize = 8 * 1024;
/// Nor does a message whose frames add up to more than this.
pub(crate) const TOTAL_MAX: usize = 16 * 1024;
/// Without a reply in between, direct sends are at least this far apart.
pub(crate) const IDLE: Duration = Duration::from_micros(50);
/// A thread's direct sends (on any socket) are at least this far apart:
/// a loop sending to many sockets goes through their I/O threads, which
/// write in parallel with it, while request/reply (a round trip between
/// sends) still goes direct.
pub(crate) const THREAD_GAP: Duration = Duration::from_micros(5);

std::thread_local! {
    /// When this thread's last direct send ended.
    static LAST_SEND: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// This thread ended a direct send less than THREAD_GAP before `now`.
pub(crate) fn sent_just_now(now: std::time::Instant) -> bool {
    LAST_SEND
        .with(|t| t.get())
        .is_some_and(|t| now.saturating_duration_since(t) < THREAD_GAP)
}

/// Records the end of a direct send on this thread; its time.
pub(crate) fn sent_now() -> std::time::Instant {
    let now = std::time::Instant::now();
    LAST_SEND.with(|t| t.set(Some(now)));
    now
}

/// The write side of one connection, lent by its session (module doc).
#[derive(Debug, Default)]
pub(crate) struct Sink {
    state: AtomicU8,
    fd: AtomicI32,
    /// Bumped by the session with each batch it delivers to the socket.
    epoch: AtomicU64,
    /// A direct send failed: the connection is broken.
    broken: AtomicBool,
    /// The unsent end of a message a direct send wrote in part.
    leftover: Mutex<Vec<u8>>,
}

/// What the session finds when it takes the write side back.
pub(crate) struct Reclaimed {
    pub leftover: Vec<u8>,
    pub broken: bool,
}

impl Sink {
    /// Lent? (The socket end's per-message check: one relaxed load.)
    #[inline]
    pub(crate) fn is_open(&self) -> bool {
        self.state.load(Ordering::Relaxed) == OPEN
    }

    /// Session: lends the write side of `fd` (see the module doc for when).
    pub(crate) fn lend(&self, fd: RawFd) {
        self.fd.store(fd, Ordering::Relaxed);
        self.state.store(OPEN, Ordering::Release);
    }

    /// Session: takes the write side back, waiting for a send in progress
    /// (one non-blocking syscall) to finish.
    pub(crate) fn reclaim(&self) -> Reclaimed {
        let mut spins = 0u32;
        loop {
            match self
                .state
                .compare_exchange(OPEN, CLOSED, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) | Err(CLOSED) => break,
                Err(_) => {
                    // A send takes microseconds. Spin, then yield; then
                    // sleep, so a sender of lower priority than this thread
                    // (an I/O thread under SCHED_FIFO, ZMQ_THREAD_PRIORITY)
                    // still gets the CPU to finish it.
                    if spins < 64 {
                        std::hint::spin_loop();
                    } else if spins < 128 {
                        std::thread::yield_now();
                    } else {
                        std::thread::sleep(Duration::from_micros(50));
                    }
                    spins = spins.saturating_add(1);
                }
            }
        }
        Reclaimed {
            leftover: std::mem::take(&mut *self.leftover.lock()),
            broken: self.broken.swap(false, Ordering::Acquire),
        }
    }

    /// Session: a batch was delivered to the socket (before it is flushed,
    /// so the socket sees the new epoch with the message).
    #[inline]
    pub(crate) fn set_epoch(&self, epoch: u64) {
        self.epoch.store(epoch, Ordering::Release);
    }

    pub(super) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Socket end: takes the write side if it is lent.
    pub(super) fn take(&self) -> Option<RawFd> {
        self.state
            .compare_exchange(OPEN, APP, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| self.fd.load(Ordering::Relaxed))
    }

    /// Socket end: the send is done; the session may take it back.
    pub(super) fn give_back(&self) {
        self.state.store(OPEN, Ordering::Release);
    }

    /// Socket end: the connection holds part of a message (`rest` must go
    /// out before anything else) or failed; the session takes over.
    pub(super) fn hand_over(&self, rest: &[u8], broken: bool) {
        self.leftover.lock().extend_from_slice(rest);
        if broken {
            self.broken.store(true, Ordering::Relaxed);
        }
        self.state.store(CLOSED, Ordering::Release);
    }
}

/// The outcome of one non-blocking send.
pub(super) enum Sent {
    All,
    /// This many bytes went out, not all.
    Part(usize),
    /// Nothing went out (the kernel's buffer is full).
    WouldBlock,
    Failed,
}

/// Runs a syscall that returns a byte count until a signal does not
/// interrupt it: the count, or the errno.
fn no_eintr(mut call: impl FnMut() -> isize) -> Result<usize, i32> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            e => return Err(e.unwrap_or(0)),
        }
    }
}

/// Sends `buf` on `fd` with one non-blocking `send` (retried on EINTR).
pub(super) fn send(fd: RawFd, buf: &[u8]) -> Sent {
    // SAFETY: `fd` is the connection's socket, which its session keeps open
    // while the sink is taken (it reclaims the sink, waiting for this send,
    // before it closes or replaces the stream); `buf` is a live slice of
    // `buf.len()` bytes.
    let sent = no_eintr(|| unsafe {
        libc::send(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
        )
    });
    match sent {
        Ok(0) | Err(libc::EAGAIN) => Sent::WouldBlock,
        Ok(n) if n >= buf.len() => Sent::All,
        Ok(n) => Sent::Part(n),
        Err(_) => Sent::Failed,
    }
}

// ---------------------------------------------------------------------------
// Direct reads: the application thread, blocked in a receive, reading the
// connection itself (issue 14).
//
// Each pipe's socket end has a [`Source`]: the read side of the connection,
// which the session lends while it has nothing of its own to read.
//
// - The session lends it (`lend`) only for plain ZMTP over tcp/ipc with no
//   heartbeats, its decoder between frames with nothing buffered, nothing
//   held back by the mark, its read interest on and no write interest.
// - The socket end takes it (`take`) only inside a blocking receive that
//   found nothing queued, when its socket sent since its last receive (a
//   reply is awaited, or a stream is lent: below) and has this one pipe.
//   Taking disarms the fd in the I/O thread's epoll, so the same data
//   wakes one thread, not two. It
//   then polls the connection and its own mailbox's eventfd, reads what
//   came, keeps the whole messages of data frames at its start, and hands
//   the rest (a command and what followed it, a partial message) back to
//   the session with the source, waking it to take it as its next input;
//   EOF and errors it leaves in the kernel for the session.
// - Streams of large messages: after a body the session read straight
//   into its message (8 KiB and more), it lends the source *for a stream*,
//   to PULL too, and in the middle of a frame if that frame starts its
//   message: the part-read message goes with the lend (`Partial`, not
//   copied). A receive that waits takes such a source without awaiting a
//   reply, and `read_stream` reads bodies straight into their messages,
//   queueing whole ones until the kernel has no more (or STREAM_BUDGET),
//   waiting on the connection and the mailbox while it has none. A frame
//   it stops in goes back as a `Partial` (the next holder or the session
//   finishes it); an unfinished multi-part message goes back as bytes. On
//   one busy CPU the reading thread is then the receiving one, instead of
//   the I/O thread and it taking turns (a context switch a batch).
// - Giving back (`give_back`) arms the fd again with the interest the
//   session wants now; level-triggered epoll reports whatever is left.
// - The session revokes the lend (`unlend`) before it reads, and whenever
//   it changes its interest (`set_interest`, applied by the holder on give
//   back when it holds it). Before it closes or replaces the stream it
//   waits for a holder to give it back (`reclaim`), waking the socket's
//   mailbox so that the poll returns.
//
// Messages read this way go to the socket end's own queue, which is read
// before the pipe: the pipe was empty when the source was taken and the
// session writes nothing to it while the source is out, so order holds.
// ---------------------------------------------------------------------------

/// The largest direct read: a message longer than this goes through the
/// session.
pub(crate) const READ_CAP: usize = 8 * 1024;

/// The read side of one connection, lent by its session (see above).
#[derive(Debug, Default)]
pub(crate) struct Source {
    /// Lent and not held: the socket end's lock-free first check.
    open: AtomicBool,
    /// Lent for a stream of large messages: a receive that waits may take
    /// it without awaiting a reply (see the section doc).
    stream: AtomicBool,
    inner: Mutex<SourceInner>,
}

#[derive(Debug, Default)]
struct SourceInner {
    lent: bool,
    /// The socket end holds it: the fd is disarmed in the I/O thread's epoll.
    held: bool,
    fd: RawFd,
    epoll: RawFd,
    token: u64,
    /// The session's interest in the fd, restored on give back.
    read: bool,
    write: bool,
    metadata: Option<std::sync::Arc<crate::metadata::Metadata>>,
    max: Option<u64>,
    /// Bytes the holder read past its last whole message (a partial
    /// message, a command and what followed): the session's next input,
    /// ahead of anything still in the kernel. Not lent again until taken.
    leftover: Vec<u8>,
    /// The first frame of a message, part read, handed between session
    /// and holder without a copy (never together with `leftover`).
    partial: Option<Partial>,
    stream: bool,
}

/// A data frame, the first of its message, whose body is being filled:
/// `filled` of its bytes are written. The session hands it over when it
/// lends the source in the middle of a large message, the holder hands
/// it back when it stops in the middle of one.
#[derive(Debug)]
pub(crate) struct Partial {
    pub msg: crate::msg::Msg,
    pub filled: usize,
}

/// What the socket end needs while it holds the source.
pub(crate) struct Lease {
    pub fd: RawFd,
    pub metadata: Option<std::sync::Arc<crate::metadata::Metadata>>,
    pub max: Option<u64>,
    pub partial: Option<Partial>,
    /// Lent for a stream of large messages (`PipeEnd::read_stream`).
    pub stream: bool,
}

/// Where the session's connection is registered.
pub(crate) struct Registration {
    pub fd: RawFd,
    pub epoll: RawFd,
    pub token: u64,
}

/// What the I/O thread's epoll watches the connection for.
enum Interest {
    Armed { read: bool, write: bool },
    Disarmed,
}

fn epoll_ctl(epoll: RawFd, op: i32, fd: RawFd, token: u64, interest: Interest) -> bool {
    let events = match interest {
        Interest::Disarmed => libc::EPOLLONESHOT as u32,
        Interest::Armed { read, write } => {
            let mut events = 0u32;
            if read {
                events |= libc::EPOLLIN as u32;
            }
            if write {
                events |= libc::EPOLLOUT as u32;
            }
            events
        }
    };
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: a valid event struct; `epoll` is the I/O thread's epoll fd,
    // which lives as long as the session, which waits for the source before
    // it goes (`reclaim`); a stale fd gives an error, not UB.
    unsafe { libc::epoll_ctl(epoll, op, fd, &mut ev) == 0 }
}

impl Source {
    /// Lent and not held (one relaxed load).
    #[inline]
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Lent for a stream of large messages, and not held.
    #[inline]
    pub(crate) fn is_stream(&self) -> bool {
        self.stream.load(Ordering::Relaxed) && self.is_open()
    }

    /// Session: lends the read side (see the section doc for when),
    /// with the frame it is in the middle of, if any (`stream` then). The
    /// fd is registered for reading only. Err gives `partial` back (held:
    /// the session keeps it).
    pub(crate) fn lend(
        &self,
        reg: Registration,
        metadata: Option<std::sync::Arc<crate::metadata::Metadata>>,
        max: Option<u64>,
        partial: Option<Partial>,
        stream: bool,
    ) -> Result<(), Option<Partial>> {
        let mut s = self.inner.lock();
        if s.held || (partial.is_some() && (s.partial.is_some() || !s.leftover.is_empty())) {
            return Err(partial);
        }
        if partial.is_some() {
            s.partial = partial;
        }
        let stream = stream || s.partial.is_some();
        s.stream = stream;
        self.stream.store(stream, Ordering::Relaxed);
        s.lent = true;
        s.fd = reg.fd;
        s.epoll = reg.epoll;
        s.token = reg.token;
        s.read = true;
        s.write = false;
        s.metadata = metadata;
        s.max = max;
        self.open.store(true, Ordering::Release);
        Ok(())
    }

    /// Session: revokes the lend before reading. False while the socket end
    /// holds it: the session must not read (the holder reads, and gives it
    /// back with the fd armed again).
    pub(crate) fn unlend(&self) -> bool {
        let mut s = self.inner.lock();
        s.lent = false;
        self.open.store(false, Ordering::Relaxed);
        !s.held
    }

    /// Session: its interest in the fd changes. Revokes the lend; if the
    /// socket end holds the source the change waits for its give back
    /// (returns None: the session wakes the holder), else `apply` makes it
    /// now, under the lock, so that a take cannot interleave (returns what
    /// `apply` did).
    pub(crate) fn set_interest(
        &self,
        read: bool,
        write: bool,
        apply: impl FnOnce() -> bool,
    ) -> Option<bool> {
        let mut s = self.inner.lock();
        s.lent = false;
        self.open.store(false, Ordering::Relaxed);
        s.read = read;
        s.write = write;
        if s.held {
            return None;
        }
        Some(apply())
    }

    /// Session, once `unlend` said it may read: the frame a holder (or the
    /// session itself, when it lent) left part read; it comes first.
    pub(crate) fn take_partial(&self) -> Option<Partial> {
        self.inner.lock().partial.take()
    }

    /// Session, once `unlend` said it may read: the bytes a holder read and
    /// handed back, which come before anything in the kernel.
    pub(crate) fn take_leftover(&self) -> Vec<u8> {
        let mut s = self.inner.lock();
        if s.leftover.is_empty() {
            return Vec::new();
        }
        std::mem::take(&mut s.leftover)
    }

    /// Session: takes the read side back for good (the stream is about to
    /// close or be replaced), waiting for a holder to give it back; `wake`
    /// makes the holder's poll return.
    pub(crate) fn reclaim(&self, wake: impl Fn()) {
        {
            let mut s = self.inner.lock();
            s.lent = false;
            self.open.store(false, Ordering::Relaxed);
            s.metadata = None;
            s.leftover = Vec::new();
            s.partial = None;
            if !s.held {
                return;
            }
        }
        wake();
        let mut spins = 0u32;
        loop {
            if !self.inner.lock().held {
                return;
            }
            if spins < 64 {
                std::hint::spin_loop();
            } else if spins < 128 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
            spins = spins.saturating_add(1);
        }
    }

    /// Socket end: takes the read side if it is lent, disarming the fd in
    /// the I/O thread's epoll.
    pub(super) fn take(&self) -> Option<Lease> {
        let mut s = self.inner.lock();
        if !s.lent || s.held || !s.read || s.write {
            return None;
        }
        // Disarmed rather than removed (a modify is cheaper than a removal
        // and an add): one-shot with no events, so an error or hang-up
        // (which epoll reports regardless) wakes the I/O thread once, not
        // in a loop, while this end reads.
        if !epoll_ctl(
            s.epoll,
            libc::EPOLL_CTL_MOD,
            s.fd,
            s.token,
            Interest::Disarmed,
        ) {
            return None;
        }
        s.held = true;
        self.open.store(false, Ordering::Relaxed);
        Some(Lease {
            fd: s.fd,
            metadata: s.metadata.clone(),
            max: s.max,
            partial: s.partial.take(),
            stream: s.stream,
        })
    }

    /// Socket end: gives the read side back, the fd armed again with
    /// the interest the session wants now; `leftover` (bytes read past the
    /// last whole message) goes to the session, which must then be woken
    /// to take it; `partial` (never with `leftover`) stays with the source,
    /// for the next holder or the session's next read; `stream`: lend it
    /// on for a stream of large messages.
    pub(super) fn give_back(&self, leftover: &[u8], partial: Option<Partial>, stream: bool) {
        let mut s = self.inner.lock();
        if !s.held {
            return;
        }
        if !leftover.is_empty() {
            s.leftover.extend_from_slice(leftover);
            s.lent = false;
        }
        s.partial = partial;
        s.stream = stream || s.partial.is_some();
        self.stream.store(s.stream, Ordering::Relaxed);
        let interest = Interest::Armed {
            read: s.read,
            write: s.write,
        };
        epoll_ctl(s.epoll, libc::EPOLL_CTL_MOD, s.fd, s.token, interest);
        s.held = false;
        self.open.store(s.lent, Ordering::Release);
    }
}

/// What a direct read found.
pub(crate) enum Read {
    /// Messages are queued on the socket end (or the pipe had some).
    Got,
    /// Nothing for a direct read (not lent, a command, a partial or long
    /// message, EOF): wait the usual way.
    Nothing,
    /// The wait timed out.
    TimedOut,
    /// A signal interrupted the wait.
    Interrupted,
}

/// Polls `fd` and `wake_fd` (the socket's mailbox) for up to `timeout_ms`
/// (-1: for ever). Some(true): the connection is readable; Some(false):
/// the mailbox is (or the poll failed); None: timed out. Err on EINTR.
pub(super) fn poll2(fd: RawFd, wake_fd: RawFd, timeout_ms: i32) -> Result<Option<bool>, ()> {
    let mut pfd = [
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake_fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: two valid pollfds.
    let rc = unsafe { libc::poll(pfd.as_mut_ptr(), 2, timeout_ms) };
    if rc < 0 {
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            return Err(());
        }
        return Ok(Some(false));
    }
    if rc == 0 {
        return Ok(None);
    }
    if pfd[1].revents != 0 {
        return Ok(Some(false));
    }
    Ok(Some(pfd[0].revents != 0))
}

/// One non-blocking `recv` into `buf` with `flags` (retried on EINTR): the
/// byte count, 0 for EOF, None for nothing there or an error.
pub(super) fn recv(fd: RawFd, buf: &mut [u8], flags: i32) -> Option<usize> {
    // SAFETY: `fd` is the connection's socket, which its session keeps open
    // while the source is held (it waits in `Source::reclaim` before it
    // closes the stream); `buf` is writable for its length.
    no_eintr(|| unsafe {
        libc::recv(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags | libc::MSG_DONTWAIT,
        )
    })
    .ok()
}

/// One frame header at the start of `buf`: (flags, header length, body
/// size), or None if it is not all there.
#[inline]
pub(super) fn frame_header(buf: &[u8]) -> Option<(u8, usize, u64)> {
    let flags = *buf.first()?;
    if flags & crate::zmtp::frame::FLAG_LONG != 0 {
        let size: [u8; 8] = buf.get(1..9)?.try_into().ok()?;
        Some((flags, 9, u64::from_be_bytes(size)))
    } else {
        Some((flags, 2, u64::from(*buf.get(1)?)))
    }
}

/// The length of the whole messages of data frames at the start of `buf`
/// (0 if none): it stops at a command frame, a frame with reserved flags
/// set, one over `max`, and one not all in `buf`.
pub(super) fn whole_messages(buf: &[u8], max: Option<u64>) -> usize {
    let mut pos = 0;
    let mut end = 0;
    while let Some((flags, header, size)) = frame_header(&buf[pos..]) {
        if flags & !(crate::zmtp::frame::FLAG_MORE | crate::zmtp::frame::FLAG_LONG) != 0
            || max.is_some_and(|m| size > m)
            || size > (buf.len() - pos - header) as u64
        {
            break;
        }
        pos += header + size as usize;
        if flags & crate::zmtp::frame::FLAG_MORE == 0 {
            end = pos;
        }
    }
    end
}

/// A frame at least this large is "large": the session reads its body
/// straight into the message (`DIRECT_READ_MIN`), and a source lent after
/// one is lent for a stream.
pub(crate) const LARGE_FRAME: u64 = 8 * 1024;
/// A stream read returns once it queued this many bytes of whole messages
/// (the rest waits in the kernel, for the session or the next receive).
const STREAM_BUDGET: usize = 1024 * 1024;
/// What a read that completes a body also takes of what follows: the next
/// frame's header and the start of its body.
const STREAM_TAIL: usize = 4 * 1024;

/// Where a stream read stopped: the outcome, the bytes read past the last
/// whole message that go back to the session, the frame left part read
/// (first of its message; never with leftover bytes), and whether the
/// source should stay lent for a stream.
pub(crate) struct Stopped {
    pub outcome: Read,
    pub leftover: Vec<u8>,
    pub partial: Option<Partial>,
    pub stream: bool,
}

/// One non-blocking `recvmsg` into `a`, then `b` (retried on EINTR): the
/// byte count (0 for EOF) or the errno.
fn recv2(fd: RawFd, a: &mut [u8], b: &mut [u8]) -> Result<usize, i32> {
    let mut iov = [
        libc::iovec {
            iov_base: a.as_mut_ptr().cast(),
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        },
    ];
    // SAFETY: an all-zero msghdr is valid (no name, no control data).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    hdr.msg_iov = iov.as_mut_ptr();
    hdr.msg_iovlen = if b.is_empty() { 1 } else { 2 };
    // SAFETY: `fd` is the connection's socket, kept open while the source
    // is held (as in `recv`); the iovecs cover writable buffers of their
    // lengths and outlive the call.
    no_eintr(|| unsafe { libc::recvmsg(fd, &mut hdr, libc::MSG_DONTWAIT) })
}

/// The milliseconds left until `deadline` for a poll (-1: none; rounded
/// up, so a poll does not return just before it).
pub(super) fn poll_ms(deadline: Option<std::time::Instant>) -> Option<i32> {
    match deadline {
        None => Some(-1),
        Some(d) => {
            let left = d.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            Some(left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32)
        }
    }
}

/// Direct reads of a stream of large messages (`Lease::stream`, or a lease
/// with a part-read frame): reads the connection, the bodies of frames
/// that are not all there straight into their messages (one copy, by the
/// kernel), and queues whole messages on `queue`, until the kernel has no
/// more after at least one whole message (or STREAM_BUDGET bytes of them).
/// With none yet it waits for the connection (and `wake_fd`, the socket's
/// mailbox) until `deadline`. It stops, as the small reader does, at a
/// command frame, reserved flags or a frame over the size limit (those
/// bytes go back to the session), at EOF and errors (left in the kernel).
/// A frame it stops in is handed back as a `Partial` when it starts its
/// message; else the unfinished message goes back as bytes.
pub(crate) fn read_stream(
    lease: &mut Lease,
    wake_fd: RawFd,
    deadline: Option<std::time::Instant>,
    queue: &mut std::collections::VecDeque<crate::msg::Msg>,
    rbuf: &mut Vec<u8>,
) -> Stopped {
    use crate::msg::{flags as msg_flags, Msg};
    use crate::zmtp::frame::{FLAG_LONG, FLAG_MORE};
    if rbuf.len() < READ_CAP {
        rbuf.resize(READ_CAP, 0);
    }
    let mut partial = lease.partial.take();
    let (mut start, mut end) = (0usize, 0usize);
    let first = queue.len();
    // The frames of the message in progress start at `msg_first`.
    let mut msg_first = first;
    let mut queued = 0usize;
    let mut large = lease.stream;
    let push = |queue: &mut std::collections::VecDeque<Msg>, mut m: Msg, msg_first: &mut usize| {
        m.set_metadata(lease.metadata.clone());
        let more = m.more();
        queue.push_back(m);
        if !more {
            *msg_first = queue.len();
        }
    };
    let outcome = 'read: loop {
        // What is buffered: whole frames are queued, a frame that is not
        // all there gets its message, to be read into.
        while partial.is_none() {
            let Some((flags, header, size)) = frame_header(&rbuf[start..end]) else {
                break;
            };
            if flags & !(FLAG_MORE | FLAG_LONG) != 0 || lease.max.is_some_and(|m| size > m) {
                break 'read Read::Nothing;
            }
            let Ok(size) = usize::try_from(size) else {
                break 'read Read::Nothing;
            };
            let more = flags & FLAG_MORE != 0;
            let body = start + header;
            let avail = end - body;
            let mut m = Msg::new();
            let fl = if more { msg_flags::MORE } else { 0 };
            if m.reset_with_size(size, fl).is_err() {
                // No memory: this frame and what follows go to the session.
                break 'read Read::Nothing;
            }
            large = size as u64 >= LARGE_FRAME;
            if size <= avail {
                m.data_mut().copy_from_slice(&rbuf[body..body + size]);
                start = body + size;
                queued += size;
                push(queue, m, &mut msg_first);
            } else {
                m.data_mut()[..avail].copy_from_slice(&rbuf[body..end]);
                partial = Some(Partial {
                    msg: m,
                    filled: avail,
                });
                start = 0;
                end = 0;
            }
        }
        if msg_first > first && queued >= STREAM_BUDGET {
            break 'read Read::Got;
        }
        let read = if let Some(p) = partial.as_mut() {
            let size = p.msg.size();
            let body = &mut p.msg.data_mut()[p.filled..];
            let want = body.len();
            match recv2(lease.fd, body, &mut rbuf[..STREAM_TAIL]) {
                Ok(n) => {
                    p.filled += n.min(want);
                    end = n.saturating_sub(want);
                    if p.filled == size {
                        if let Some(done) = partial.take() {
                            queued += size;
                            push(queue, done.msg, &mut msg_first);
                        }
                    }
                    Ok(n)
                }
                Err(e) => Err(e),
            }
        } else {
            if start > 0 {
                rbuf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            }
            if end == rbuf.len() {
                // A header longer than the buffer cannot be: not ZMTP.
                break 'read Read::Nothing;
            }
            let r = recv2(lease.fd, &mut rbuf[end..], &mut []);
            if let Ok(n) = r {
                end += n;
            }
            r
        };
        match read {
            Ok(0) => {
                break 'read if msg_first > first {
                    Read::Got
                } else {
                    Read::Nothing
                }
            }
            Ok(_) => {}
            Err(e) if e == libc::EAGAIN || e == libc::EWOULDBLOCK => {
                if msg_first > first {
                    break 'read Read::Got;
                }
                let Some(ms) = poll_ms(deadline) else {
                    break 'read Read::TimedOut;
                };
                match poll2(lease.fd, wake_fd, ms) {
                    Err(()) => break 'read Read::Interrupted,
                    Ok(None) => break 'read Read::TimedOut,
                    Ok(Some(false)) => break 'read Read::Nothing,
                    Ok(Some(true)) => {}
                }
            }
            Err(_) => {
                break 'read if msg_first > first {
                    Read::Got
                } else {
                    Read::Nothing
                }
            }
        }
    };
    let mut leftover = Vec::new();
    if queue.len() > msg_first {
        // A message begun but not finished: its frames, the part-read one
        // and what followed go back to the session as the bytes they came
        // as (rare: a multi-part message cut by the kernel's buffer).
        for m in queue.drain(msg_first..) {
            crate::zmtp::frame::encode(&m, &mut leftover);
        }
        if let Some(p) = partial.take() {
            let mut h = [0u8; crate::zmtp::frame::MAX_HEADER];
            let n = crate::zmtp::frame::encode_header(p.msg.size(), p.msg.more(), false, &mut h);
            leftover.extend_from_slice(&h[..n]);
            leftover.extend_from_slice(&p.msg.data()[..p.filled]);
        }
    }
    leftover.extend_from_slice(&rbuf[start..end]);
    let stream = large || partial.is_some();
    Stopped {
        outcome: if msg_first > first && !matches!(outcome, Read::Interrupted | Read::TimedOut) {
            Read::Got
        } else {
            outcome
        },
        leftover,
        partial,
        stream,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8], more: bool, command: bool, out: &mut Vec<u8>) {
        let mut h = [0u8; crate::zmtp::frame::MAX_HEADER];
        let n = crate::zmtp::frame::encode_header(body.len(), more, command, &mut h);
        out.extend_from_slice(&h[..n]);
        out.extend_from_slice(body);
    }

    fn stream_lease(fd: RawFd, partial: Option<Partial>) -> Lease {
        Lease {
            fd,
            metadata: None,
            max: Some(1 << 20),
            partial,
            stream: true,
        }
    }

    fn soon(ms: u64) -> Option<std::time::Instant> {
        Some(std::time::Instant::now() + Duration::from_millis(ms))
    }

    #[test]
    fn a_stream_read_queues_whole_messages_and_hands_on_the_frame_it_stops_in() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (_quiet, wake) = std::os::unix::net::UnixStream::pair().unwrap();
        let big: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
        let mut wire = Vec::new();
        frame(&big, false, false, &mut wire);
        frame(b"ab", true, false, &mut wire);
        frame(&big[..9000], false, false, &mut wire);
        let mut third = Vec::new();
        frame(&big, false, false, &mut third);
        (&a).write_all(&wire).unwrap();
        (&a).write_all(&third[..5000]).unwrap();
        let (mut q, mut rbuf) = (std::collections::VecDeque::new(), Vec::new());
        let mut lease = stream_lease(b.as_raw_fd(), None);
        let s = read_stream(&mut lease, wake.as_raw_fd(), soon(1000), &mut q, &mut rbuf);
        assert!(matches!(s.outcome, Read::Got));
        assert!(s.leftover.is_empty() && s.stream);
        let got: Vec<(Vec<u8>, bool)> =
            q.drain(..).map(|m| (m.data().to_vec(), m.more())).collect();
        assert_eq!(
            got,
            vec![
                (big.clone(), false),
                (b"ab".to_vec(), true),
                (big[..9000].to_vec(), false)
            ]
        );
        // The third message's first 5,000 bytes (a 9-byte header) are in
        // the frame handed on; the next holder finishes it, and leaves a
        // command and what follows it to the session.
        let p = s.partial.expect("a frame part read");
        assert_eq!((p.msg.size(), p.filled), (20_000, 5000 - 9));
        assert_eq!(&p.msg.data()[..p.filled], &big[..p.filled]);
        let mut after = Vec::new();
        frame(b"\x04PING", false, true, &mut after);
        frame(b"z", false, false, &mut after);
        (&a).write_all(&third[5000..]).unwrap();
        (&a).write_all(&after).unwrap();
        let mut lease = stream_lease(b.as_raw_fd(), Some(p));
        let s = read_stream(&mut lease, wake.as_raw_fd(), soon(1000), &mut q, &mut rbuf);
        assert!(matches!(s.outcome, Read::Got));
        assert!(s.partial.is_none());
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].data(), &big[..]);
        assert_eq!(s.leftover, after);
    }

    #[test]
    fn a_stream_read_gives_an_unfinished_message_back_as_its_bytes() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (_quiet, wake) = std::os::unix::net::UnixStream::pair().unwrap();
        let big = vec![5u8; 30_000];
        let mut wire = Vec::new();
        frame(b"head", true, false, &mut wire);
        frame(&big, false, false, &mut wire);
        (&a).write_all(&wire[..12_000]).unwrap();
        let (mut q, mut rbuf) = (std::collections::VecDeque::new(), Vec::new());
        let mut lease = stream_lease(b.as_raw_fd(), None);
        let s = read_stream(&mut lease, wake.as_raw_fd(), soon(30), &mut q, &mut rbuf);
        assert!(matches!(s.outcome, Read::TimedOut));
        assert!(q.is_empty() && s.partial.is_none());
        assert_eq!(s.leftover, &wire[..12_000]);
        // A frame over the size limit is the session's too.
        let mut over = Vec::new();
        frame(&[1u8; 64], false, false, &mut over);
        (&a).write_all(&over).unwrap();
        let mut lease = stream_lease(b.as_raw_fd(), None);
        lease.max = Some(63);
        let s = read_stream(&mut lease, wake.as_raw_fd(), soon(30), &mut q, &mut rbuf);
        assert!(matches!(s.outcome, Read::Nothing));
        assert_eq!(s.leftover, over);
    }

    #[test]
    fn a_stream_read_stops_at_eof_keeping_the_frame_it_began() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (_quiet, wake) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut wire = Vec::new();
        frame(&[9u8; 10_000], false, false, &mut wire);
        (&a).write_all(&wire[..100]).unwrap();
        drop(a);
        let (mut q, mut rbuf) = (std::collections::VecDeque::new(), Vec::new());
        let mut lease = stream_lease(b.as_raw_fd(), None);
        let s = read_stream(&mut lease, wake.as_raw_fd(), soon(1000), &mut q, &mut rbuf);
        assert!(matches!(s.outcome, Read::Nothing));
        assert!(q.is_empty() && s.leftover.is_empty());
        assert_eq!(s.partial.map(|p| p.filled), Some(100 - 9));
    }

    #[test]
    fn whole_messages_stop_at_partial_frames_commands_and_the_size_limit() {
        let mut b = Vec::new();
        frame(b"a", false, false, &mut b);
        let one = b.len();
        frame(&[7u8; 300], true, false, &mut b);
        frame(b"", false, false, &mut b);
        let two = b.len();
        // Every cut inside the second message leaves only the first.
        for cut in one..two {
            assert_eq!(whole_messages(&b[..cut], None), one, "cut at {cut}");
        }
        assert_eq!(whole_messages(&b, None), two);
        assert_eq!(whole_messages(&b[..one - 1], None), 0);
        // A frame over the limit stops it (the session reports it).
        assert_eq!(whole_messages(&b, Some(299)), one);
        assert_eq!(whole_messages(&b, Some(300)), two);
        // A command (PING) and what follows stay for the session.
        let mut c = b.clone();
        frame(b"\x04PING\x00\x00", false, true, &mut c);
        frame(b"z", false, false, &mut c);
        assert_eq!(whole_messages(&c, None), two);
        // Reserved flag bits too.
        let mut r = b.clone();
        r.extend_from_slice(&[0x08, 1, b'x']);
        assert_eq!(whole_messages(&r, None), two);
        // A long size that cannot be in the buffer, however large.
        let mut l = b.clone();
        l.push(crate::zmtp::frame::FLAG_LONG);
        l.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(whole_messages(&l, None), two);
        assert_eq!(whole_messages(&[], None), 0);
    }

    #[test]
    fn whole_messages_never_overruns_arbitrary_bytes() {
        // Random buffers (xorshift, fixed seed), biased towards short and
        // long headers: the end found is always a frame boundary inside
        // the buffer, and re-parsing up to it finds the same end.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let len = (next() % 64) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    match r % 4 {
                        0 => (r >> 8) as u8 & 0x03,
                        1 => (r >> 8) as u8 % 8,
                        _ => (r >> 8) as u8,
                    }
                })
                .collect();
            let max = (next() % 2 == 0).then(|| next() % 40);
            let end = whole_messages(&buf, max);
            assert!(end <= buf.len());
            assert_eq!(whole_messages(&buf[..end], max), end);
        }
    }

    #[test]
    fn a_taken_source_is_not_lent_again_until_given_back_and_reclaim_waits_for_it() {
        // SAFETY: plain syscalls on fds this test owns.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(epoll >= 0);
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        use std::os::fd::AsRawFd;
        let fd = b.as_raw_fd();
        assert!(epoll_ctl(
            epoll,
            libc::EPOLL_CTL_ADD,
            fd,
            9,
            Interest::Armed {
                read: true,
                write: false
            }
        ));
        let src = std::sync::Arc::new(Source::default());
        assert!(src.take().is_none(), "not lent yet");
        src.lend(
            Registration {
                fd,
                epoll,
                token: 9,
            },
            None,
            None,
            None,
            false,
        )
        .unwrap();
        assert!(src.is_open());
        let lease = src.take().expect("lent");
        assert_eq!(lease.fd, fd);
        assert!(!src.is_open() && src.take().is_none(), "held");
        // Data arrives: the disarmed fd wakes nobody in the epoll.
        use std::io::Write;
        (&a).write_all(b"x").unwrap();
        let mut ev = [libc::epoll_event { events: 0, u64: 0 }; 4];
        // SAFETY: a valid buffer of 4 events.
        let n = unsafe { libc::epoll_wait(epoll, ev.as_mut_ptr(), 4, 0) };
        assert_eq!(n, 0);
        // The session cannot read meanwhile, and wants it back.
        assert!(!src.unlend());
        let back = src.clone();
        let giver = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            back.give_back(b"", None, false);
        });
        src.reclaim(|| {});
        giver.join().unwrap();
        assert!(!src.is_open(), "reclaimed, not lent");
        // Given back armed: the waiting byte is reported again.
        // SAFETY: as above.
        let n = unsafe { libc::epoll_wait(epoll, ev.as_mut_ptr(), 4, 1000) };
        assert_eq!(n, 1);
        assert_eq!({ ev[0].u64 }, 9);
        // SAFETY: our own epoll fd.
        unsafe { libc::close(epoll) };
    }
}
