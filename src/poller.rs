//! The poller behind `zmq_poller_*` (draft API) and the wait loop shared
//! with `zmq_poll`.
//!
//! A poller is a list of items, each a socket or a plain fd with the events
//! asked for and the caller's user data, kept in registration order (which
//! is the order `wait` reports them in, as libzmq's `socket_poller_t`).
//! Sockets are watched through their mailbox fd (`ZMQ_FD`, edge-triggered)
//! and confirmed with their events (`ZMQ_EVENTS`) on every pass, exactly
//! libzmq's contract, so a socket that became ready before the wait is
//! found by the first, zero-timeout pass.
//!
//! The poller holds socket cells, never sockets: a socket closed while
//! registered reports ENOTSOCK from `wait` instead of being touched.
//! The `pollfd` set is rebuilt only when items change.
//!
//! Thread-safe sockets (CLIENT, SERVER ...) have no `ZMQ_FD`: the poller
//! then makes a signaler of its own, which each such socket signals on
//! every command (`SafeWake`), and which `zmq_poller_fd` hands out for an
//! outer event loop, as libzmq's poller does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::handle::Cell;
use crate::mailbox::Signaler;
use crate::pipe::OwnerMailbox;
use crate::socket::Socket;

/// `ZMQ_POLLIN` and friends, as zmq.h numbers them.
pub const POLLIN: i16 = 1;
pub const POLLOUT: i16 = 2;
pub const POLLERR: i16 = 4;
pub const POLLPRI: i16 = 8;
/// The events an item may ask for; anything else is EINVAL.
const VALID_EVENTS: i16 = POLLIN | POLLOUT | POLLERR | POLLPRI;

/// What an item watches.
#[derive(Clone, Copy)]
pub enum Target {
    Socket(&'static Cell<Socket>),
    Fd(i32),
}

impl Target {
    /// The same socket or the same fd.
    pub fn same(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::Socket(a), Target::Socket(b)) => std::ptr::eq(*a, *b),
            (Target::Fd(a), Target::Fd(b)) => a == b,
            _ => false,
        }
    }
}

struct Item {
    target: Target,
    /// A thread-safe socket's mailbox, which signals our signaler.
    safe: Option<OwnerMailbox>,
    /// The caller's pointer, handed back untouched.
    user_data: usize,
    events: i16,
    /// Index of this item's entry in `pollfds`, when it has one.
    slot: Option<usize>,
}

/// One ready item.
#[derive(Clone, Copy)]
pub struct Event {
    pub target: Target,
    pub user_data: usize,
    pub events: i16,
}

/// A set of sockets and fds to wait on (`zmq_poller_t`). Not shared
/// between threads by itself; the C boundary serialises calls.
#[derive(Default)]
pub struct Poller {
    items: Vec<Item>,
    pollfds: Vec<libc::pollfd>,
    stale: bool,
    /// Made when the first thread-safe socket is added.
    signaler: Option<Arc<Signaler>>,
    /// Whether `pollfds[0]` is the signaler.
    signaler_polled: bool,
}

impl Drop for Poller {
    fn drop(&mut self) {
        if let Some(sig) = &self.signaler {
            for item in &self.items {
                if let Some(safe) = item.safe.as_ref().and_then(|m| m.safe()) {
                    safe.remove_poller(sig);
                }
            }
        }
    }
}

// SAFETY: the socket cells are 'static handles whose contents are reached
// only through their own call lock; the pollfds are plain data.
unsafe impl Send for Poller {}

fn check_events(events: i16) -> Result<()> {
    if events & !VALID_EVENTS != 0 {
        return Err(Error::Invalid);
    }
    Ok(())
}

fn check_target(target: &Target) -> Result<()> {
    match target {
        Target::Fd(-1) => Err(Error::Os(libc::EBADF)),
        _ => Ok(()),
    }
}

impl Poller {
    pub fn new() -> Poller {
        Poller::default()
    }

    /// Number of registered items (`zmq_poller_size`).
    pub fn size(&self) -> usize {
        self.items.len()
    }

    fn find(&self, target: &Target) -> Option<usize> {
        self.items.iter().position(|i| i.target.same(target))
    }

    /// Registers a socket or fd; EINVAL when it is already registered or
    /// the events are not POLLIN/OUT/ERR/PRI, EBADF for fd -1.
    pub fn add(&mut self, target: Target, user_data: usize, events: i16) -> Result<()> {
        check_target(&target)?;
        check_events(events)?;
        if self.find(&target).is_some() {
            return Err(Error::Invalid);
        }
        self.items.try_reserve(1).map_err(|_| Error::NoMemory)?;
        let safe = match target {
            Target::Socket(cell) => with_live(cell, |s| Ok(s.thread_safe_mailbox().cloned()))?,
            Target::Fd(_) => None,
        };
        if let Some(mailbox) = &safe {
            let sig = match &self.signaler {
                Some(sig) => sig.clone(),
                None => {
                    let sig = Arc::new(Signaler::new().map_err(|_| Error::TooManyFiles)?);
                    self.signaler = Some(sig.clone());
                    sig
                }
            };
            if let Some(w) = mailbox.safe() {
                w.add_poller(sig);
            }
        }
        self.items.push(Item {
            target,
            safe,
            user_data,
            events,
            slot: None,
        });
        self.stale = true;
        Ok(())
    }

    /// Changes the events of a registered item; EINVAL when it is not.
    pub fn modify(&mut self, target: Target, events: i16) -> Result<()> {
        check_target(&target)?;
        check_events(events)?;
        let at = self.find(&target).ok_or(Error::Invalid)?;
        self.items[at].events = events;
        self.stale = true;
        Ok(())
    }

    /// Unregisters an item; EINVAL when it is not registered.
    pub fn remove(&mut self, target: Target) -> Result<()> {
        check_target(&target)?;
        let at = self.find(&target).ok_or(Error::Invalid)?;
        let item = self.items.remove(at);
        if let (Some(sig), Some(w)) = (&self.signaler, item.safe.as_ref().and_then(|m| m.safe())) {
            w.remove_poller(sig);
        }
        self.stale = true;
        Ok(())
    }

    /// The poller's own signal fd (`zmq_poller_fd`): it exists once a
    /// thread-safe socket was added; EINVAL before, as libzmq.
    pub fn fd(&self) -> Result<i32> {
        self.signaler.as_ref().map(|s| s.fd()).ok_or(Error::Invalid)
    }

    /// Rebuilds the pollfd set: one entry per item that asks for events.
    fn rebuild(&mut self) -> Result<()> {
        self.pollfds.clear();
        self.signaler_polled = false;
        if let Some(sig) = &self.signaler {
            if self.items.iter().any(|i| i.safe.is_some() && i.events != 0) {
                self.pollfds.push(libc::pollfd {
                    fd: sig.fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                self.signaler_polled = true;
            }
        }
        for item in self.items.iter_mut() {
            item.slot = None;
            if item.events == 0 || item.safe.is_some() {
                continue;
            }
            let (fd, events) = match item.target {
                Target::Socket(cell) => (socket_fd(cell)?, libc::POLLIN),
                Target::Fd(fd) => (fd, fd_events(item.events)),
            };
            item.slot = Some(self.pollfds.len());
            self.pollfds.push(libc::pollfd {
                fd,
                events,
                revents: 0,
            });
        }
        self.stale = false;
        Ok(())
    }

    /// Waits up to `timeout_ms` (negative: forever) until at least one item
    /// is ready, and reports up to `max` of them into `out` (cleared first),
    /// in registration order. EAGAIN when the time runs out; EFAULT for an
    /// endless wait on nothing (libzmq refuses to sleep forever); EINTR on a
    /// signal; ENOTSOCK/ETERM from a socket that was closed or terminated.
    pub fn wait(&mut self, out: &mut Vec<Event>, max: usize, timeout_ms: i64) -> Result<usize> {
        out.clear();
        if self.items.is_empty() && timeout_ms < 0 {
            return Err(Error::Fault);
        }
        if self.stale {
            self.rebuild()?;
        }
        if self.pollfds.is_empty() {
            if timeout_ms < 0 {
                return Err(Error::Fault);
            }
            if timeout_ms > 0 {
                std::thread::sleep(Duration::from_millis(timeout_ms as u64));
            }
            return Err(Error::Again);
        }
        let items = &self.items;
        let signaler = self.signaler.as_deref().filter(|_| self.signaler_polled);
        let found = wait_loop(&mut self.pollfds, timeout_ms, None, |fds| {
            // Consume the signal before looking, so a command that comes
            // while we look signals again.
            if let Some(sig) = signaler {
                if fds[0].revents & libc::POLLIN != 0 {
                    sig.reset();
                }
            }
            out.clear();
            for item in items.iter() {
                if out.len() >= max {
                    break;
                }
                let events = match item.target {
                    // libzmq asks every socket, even one registered with no
                    // events, so a closed one is noticed.
                    Target::Socket(cell) => item.events & socket_events(cell)?,
                    Target::Fd(_) => match item.slot {
                        Some(slot) => zmq_events(fds[slot].revents),
                        None => 0,
                    },
                };
                if events != 0 {
                    out.push(Event {
                        target: item.target,
                        user_data: item.user_data,
                        events,
                    });
                }
            }
            Ok(out.len())
        })?;
        if found == 0 {
            return Err(Error::Again);
        }
        Ok(found)
    }
}

fn with_live<T>(cell: &Cell<Socket>, f: impl FnOnce(&mut Socket) -> Result<T>) -> Result<T> {
    let mut guard = cell.value().lock();
    f(guard.as_mut().ok_or(Error::NotSocket)?)
}

fn socket_fd(cell: &Cell<Socket>) -> Result<i32> {
    with_live(cell, |s| Ok(s.fd()))
}

/// A socket's `ZMQ_EVENTS` as POLLIN/POLLOUT bits.
fn socket_events(cell: &Cell<Socket>) -> Result<i16> {
    with_live(cell, |s| {
        let (has_in, has_out) = s.events()?;
        Ok(if has_in { POLLIN } else { 0 } | if has_out { POLLOUT } else { 0 })
    })
}

/// zmq poll events to poll(2) events for a plain fd.
pub fn fd_events(events: i16) -> i16 {
    let mut ev = 0;
    if events & POLLIN != 0 {
        ev |= libc::POLLIN;
    }
    if events & POLLOUT != 0 {
        ev |= libc::POLLOUT;
    }
    if events & POLLPRI != 0 {
        ev |= libc::POLLPRI;
    }
    ev
}

/// poll(2) results to zmq poll events: anything but IN/OUT/PRI is POLLERR.
pub fn zmq_events(revents: i16) -> i16 {
    let mut ev = 0;
    if revents & libc::POLLIN != 0 {
        ev |= POLLIN;
    }
    if revents & libc::POLLOUT != 0 {
        ev |= POLLOUT;
    }
    if revents & libc::POLLPRI != 0 {
        ev |= POLLPRI;
    }
    if revents & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 {
        ev |= POLLERR;
    }
    ev
}

/// The wait both `zmq_poll` and the poller use: a zero-timeout `poll(2)`
/// first, then real waits until `check` finds something or the deadline
/// passes. `check` sees the fds' results of the latest pass and returns how
/// many items are ready; a socket's readiness comes from its events, not its
/// fd, since the fd only signals changes. Returns 0 when the time ran out.
pub fn wait_loop(
    fds: &mut [libc::pollfd],
    timeout_ms: i64,
    sigmask: Option<&libc::sigset_t>,
    mut check: impl FnMut(&[libc::pollfd]) -> Result<usize>,
) -> Result<usize> {
    let deadline =
        (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
    let mut first = true;
    loop {
        let wait = if first {
            0
        } else {
            match deadline {
                None => -1,
                Some(d) => {
                    // Round up so a wait never ends a fraction of a
                    // millisecond early and loops once more for nothing.
                    let left = d.saturating_duration_since(Instant::now());
                    left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
                }
            }
        };
        for f in fds.iter_mut() {
            f.revents = 0;
        }
        let rc = match sigmask {
            // SAFETY: fds is a valid, exclusively borrowed array of
            // fds.len() pollfd structures.
            None => unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait) },
            Some(mask) => {
                let ts = libc::timespec {
                    tv_sec: (wait / 1000) as libc::time_t,
                    tv_nsec: ((wait % 1000) * 1_000_000) as libc::c_long,
                };
                let tsp = if wait < 0 {
                    std::ptr::null()
                } else {
                    &ts as *const _
                };
                // SAFETY: as above; the mask and timespec outlive the call.
                unsafe { libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, tsp, mask) }
            }
        };
        if rc < 0 {
            return Err(Error::last_os_error());
        }
        let ready = check(fds)?;
        if ready > 0 || timeout_ms == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(ready);
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe_fds() -> (i32, i32) {
        let mut fds = [0i32; 2];
        // SAFETY: fds has room for the two descriptors pipe(2) writes.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    fn close(fd: i32) {
        // SAFETY: closing a descriptor this test opened.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn add_twice_and_unknown_items_are_einval() {
        let mut p = Poller::new();
        assert_eq!(p.add(Target::Fd(5), 0, POLLIN), Ok(()));
        assert_eq!(p.add(Target::Fd(5), 0, POLLIN), Err(Error::Invalid));
        assert_eq!(p.modify(Target::Fd(6), POLLIN), Err(Error::Invalid));
        assert_eq!(p.remove(Target::Fd(6)), Err(Error::Invalid));
        assert_eq!(
            p.add(Target::Fd(-1), 0, POLLIN),
            Err(Error::Os(libc::EBADF))
        );
        assert_eq!(p.add(Target::Fd(7), 0, i16::MAX), Err(Error::Invalid));
        assert_eq!(p.size(), 1);
        assert_eq!(p.remove(Target::Fd(5)), Ok(()));
        assert_eq!(p.size(), 0);
    }

    #[test]
    fn empty_poller_times_out_or_refuses_to_wait_forever() {
        let mut p = Poller::new();
        let mut out = Vec::new();
        assert_eq!(p.wait(&mut out, 1, 0), Err(Error::Again));
        assert_eq!(p.wait(&mut out, 1, -1), Err(Error::Fault));
        p.add(Target::Fd(0), 0, 0).unwrap();
        assert_eq!(p.wait(&mut out, 1, 0), Err(Error::Again));
        assert_eq!(p.wait(&mut out, 1, -1), Err(Error::Fault));
    }

    #[test]
    fn fds_report_in_registration_order_up_to_max() {
        let (r1, w1) = pipe_fds();
        let (r2, w2) = pipe_fds();
        let mut p = Poller::new();
        p.add(Target::Fd(r2), 2, POLLIN).unwrap();
        p.add(Target::Fd(r1), 1, POLLIN).unwrap();
        p.add(Target::Fd(w1), 3, POLLOUT).unwrap();
        let mut out = Vec::new();
        // Only the write end is ready.
        assert_eq!(p.wait(&mut out, 8, 0), Ok(1));
        assert_eq!(out[0].user_data, 3);
        assert_eq!(out[0].events, POLLOUT);
        for w in [w1, w2] {
            // SAFETY: writing one byte from a valid buffer to our pipe.
            assert_eq!(unsafe { libc::write(w, b"x".as_ptr().cast(), 1) }, 1);
        }
        assert_eq!(p.wait(&mut out, 8, 100), Ok(3));
        let order: Vec<usize> = out.iter().map(|e| e.user_data).collect();
        assert_eq!(order, vec![2, 1, 3]);
        assert_eq!(p.wait(&mut out, 2, 100), Ok(2));
        p.modify(Target::Fd(w1), 0).unwrap();
        p.remove(Target::Fd(r2)).unwrap();
        assert_eq!(p.wait(&mut out, 8, 100), Ok(1));
        assert_eq!(out[0].user_data, 1);
        for fd in [r1, w1, r2, w2] {
            close(fd);
        }
    }

    #[test]
    fn a_hung_up_fd_reports_pollerr() {
        let (r, w) = pipe_fds();
        close(w);
        let mut p = Poller::new();
        p.add(Target::Fd(r), 0, POLLIN).unwrap();
        let mut out = Vec::new();
        assert_eq!(p.wait(&mut out, 1, 100), Ok(1));
        assert_ne!(out[0].events & POLLERR, 0);
        close(r);
    }

    #[test]
    fn timeout_is_honoured() {
        let (r, w) = pipe_fds();
        let mut p = Poller::new();
        p.add(Target::Fd(r), 0, POLLIN).unwrap();
        let mut out = Vec::new();
        let t = Instant::now();
        assert_eq!(p.wait(&mut out, 1, 30), Err(Error::Again));
        assert!(t.elapsed() >= Duration::from_millis(30));
        close(r);
        close(w);
    }
}
