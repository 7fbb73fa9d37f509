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

/// Sends `buf` on `fd` with one non-blocking `send` (retried on EINTR).
pub(super) fn send(fd: RawFd, buf: &[u8]) -> Sent {
    loop {
        // SAFETY: `fd` is the connection's socket, which its session keeps
        // open while the sink is taken (it reclaims the sink, waiting for
        // this send, before it closes or replaces the stream); `buf` is a
        // live slice of `buf.len()` bytes.
        let n = unsafe {
            libc::send(
                fd,
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
        if n > 0 {
            let n = n as usize;
            return if n >= buf.len() {
                Sent::All
            } else {
                Sent::Part(n)
            };
        }
        if n == 0 {
            return Sent::WouldBlock;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return Sent::WouldBlock,
            _ => return Sent::Failed,
        }
    }
}
