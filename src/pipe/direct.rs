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
//   reply is awaited) and has this one pipe. Taking disarms the fd in the
//   I/O thread's epoll, so the same data wakes one thread, not two. It
//   then polls the connection and its own mailbox's eventfd, reads what
//   came, keeps the whole messages of data frames at its start, and hands
//   the rest (a command and what followed it, a partial message) back to
//   the session with the source, waking it to take it as its next input;
//   EOF and errors it leaves in the kernel for the session.
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
}

/// What the socket end needs while it holds the source.
pub(crate) struct Lease {
    pub fd: RawFd,
    pub metadata: Option<std::sync::Arc<crate::metadata::Metadata>>,
    pub max: Option<u64>,
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

    /// Session: lends the read side (see the section doc for when). The
    /// fd is registered for reading only.
    pub(crate) fn lend(
        &self,
        reg: Registration,
        metadata: Option<std::sync::Arc<crate::metadata::Metadata>>,
        max: Option<u64>,
    ) {
        let mut s = self.inner.lock();
        if s.held {
            return;
        }
        s.lent = true;
        s.fd = reg.fd;
        s.epoll = reg.epoll;
        s.token = reg.token;
        s.read = true;
        s.write = false;
        s.metadata = metadata;
        s.max = max;
        self.open.store(true, Ordering::Release);
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
        })
    }

    /// Socket end: gives the read side back, the fd armed again with
    /// the interest the session wants now; `leftover` (bytes read past the
    /// last whole message) goes to the session, which must then be woken
    /// to take it.
    pub(super) fn give_back(&self, leftover: &[u8]) {
        let mut s = self.inner.lock();
        if !s.held {
            return;
        }
        if !leftover.is_empty() {
            s.leftover.extend_from_slice(leftover);
            s.lent = false;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8], more: bool, command: bool, out: &mut Vec<u8>) {
        let mut h = [0u8; crate::zmtp::frame::MAX_HEADER];
        let n = crate::zmtp::frame::encode_header(body.len(), more, command, &mut h);
        out.extend_from_slice(&h[..n]);
        out.extend_from_slice(body);
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
        );
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
            back.give_back(b"");
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
