//! The reactor: epoll, wrapped once. Registers file descriptors under a
//! token and reports readiness. Level-triggered, like libzmq's poller, so a
//! handler that stops early is simply called again.
//!
//! Owns: the epoll fd. Knows nothing of what the tokens stand for.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

pub type Token = u64;

/// Readiness of one registered fd.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    /// Error or hang-up: the handler should read to learn what happened.
    pub error: bool,
}

pub struct Reactor {
    epoll: OwnedFd,
    events: Vec<libc::epoll_event>,
    /// The I/O thread serves more than one connection: one with a long
    /// backlog writes a batch per turn ([`Reactor::want_turn`]).
    crowded: Cell<bool>,
    /// Tokens that asked for another turn, in order.
    turns: RefCell<Vec<Token>>,
    /// Handlers holding their output back until a moment
    /// ([`Reactor::hold`]).
    holds: RefCell<Vec<(Instant, Token)>>,
}

/// Timeouts shorter than this are waited with `epoll_pwait2`.
const FINE_TIMEOUT: Duration = Duration::from_millis(1);

/// `epoll_pwait2` (Linux 5.11, timeouts finer than a millisecond) works
/// here; cleared the first time the kernel or a seccomp filter refuses it.
static PWAIT2: AtomicBool = AtomicBool::new(true);

fn interest(read: bool, write: bool) -> u32 {
    let mut ev = 0u32;
    if read {
        ev |= libc::EPOLLIN as u32;
    }
    if write {
        ev |= libc::EPOLLOUT as u32;
    }
    ev
}

impl Reactor {
    pub fn new() -> Result<Reactor> {
        // SAFETY: plain syscall; the fd is owned below.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(Error::last_os_error());
        }
        // SAFETY: fresh descriptor we own.
        let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Reactor {
            epoll,
            events: Vec::with_capacity(256),
            crowded: Cell::new(false),
            turns: RefCell::new(Vec::new()),
            holds: RefCell::new(Vec::new()),
        })
    }

    /// Says whether the I/O thread serves more than one connection.
    pub fn set_crowded(&self, crowded: bool) {
        self.crowded.set(crowded);
    }

    /// A handler that did one batch of work and has more asks to go on
    /// after everything else ready now (false: it may go on at once, the
    /// thread has nothing else to serve).
    pub fn want_turn(&self, token: Token) -> bool {
        if !self.crowded.get() {
            return false;
        }
        self.turns.borrow_mut().push(token);
        true
    }

    /// Moves the tokens that asked for a turn into `out`.
    pub fn take_turns(&self, out: &mut Vec<Token>) {
        out.append(&mut self.turns.borrow_mut());
    }

    /// Some handler waits for a turn: the next wait must not block.
    pub fn turns_pending(&self) -> bool {
        !self.turns.borrow().is_empty()
    }

    /// A handler asks to be resumed at `until` (`resume_out`, as after a
    /// turn), not before: a session whose pipe's writer streams close
    /// behind it lets a batch build up (`Session::pump_out`).
    pub fn hold(&self, token: Token, until: Instant) {
        self.holds.borrow_mut().push((until, token));
    }

    /// When the earliest hold ends.
    pub fn next_hold(&self) -> Option<Instant> {
        self.holds.borrow().iter().map(|h| h.0).min()
    }

    /// Moves the tokens whose hold ended by `now` into `out`.
    pub fn take_ended_holds(&self, now: Instant, out: &mut Vec<Token>) {
        self.holds.borrow_mut().retain(|&(until, token)| {
            if until <= now {
                out.push(token);
                false
            } else {
                true
            }
        });
    }

    fn ctl(&self, op: i32, fd: RawFd, token: Token, read: bool, write: bool) -> Result<()> {
        let mut ev = libc::epoll_event {
            events: interest(read, write),
            u64: token,
        };
        // SAFETY: valid epoll fd and event struct; fd validity is the
        // caller's (a closed fd gives EBADF, not UB).
        let rc = unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), op, fd, &mut ev) };
        if rc < 0 {
            return Err(Error::last_os_error());
        }
        Ok(())
    }

    /// Watches `fd` for readability, edge-triggered: one event per time it
    /// becomes (or, for an eventfd, is written while) readable, so the
    /// handler need not consume it (a mailbox skips its eventfd read).
    pub fn add_edge_read(&self, fd: RawFd, token: Token) -> Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32 | libc::EPOLLET as u32,
            u64: token,
        };
        // SAFETY: as in `ctl`.
        let rc =
            unsafe { libc::epoll_ctl(self.epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
        if rc < 0 {
            return Err(Error::last_os_error());
        }
        Ok(())
    }

    /// The epoll fd, for a socket end that holds a connection's read side
    /// (`pipe::direct`) and registers it again when it gives it back.
    pub fn raw_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    pub fn add(&self, fd: RawFd, token: Token, read: bool, write: bool) -> Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, read, write)
    }

    pub fn modify(&self, fd: RawFd, token: Token, read: bool, write: bool) -> Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, read, write)
    }

    pub fn remove(&self, fd: RawFd) {
        // Errors only mean the fd was already gone.
        let _ = self.ctl(libc::EPOLL_CTL_DEL, fd, 0, false, false);
    }

    /// epoll_wait with the timeout in whole milliseconds, rounded up so a
    /// 0.5 ms timer does not spin at 0.
    fn epoll_wait(&mut self, timeout: Option<Duration>, cap: usize) -> libc::c_int {
        let ms = match timeout {
            None => -1,
            Some(t) => t.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32,
        };
        // SAFETY: the buffer has `cap` writable epoll_event slots; the
        // kernel fills at most that many and the caller sets the length to
        // the count.
        unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                self.events.as_mut_ptr(),
                cap as i32,
                ms,
            )
        }
    }

    /// Waits up to `timeout` (`None`: forever) and returns the ready fds.
    /// Timeouts under [`FINE_TIMEOUT`] are kept to the microsecond (holds
    /// of tens of microseconds); longer ones round up to a millisecond.
    pub fn wait(&mut self, timeout: Option<Duration>, out: &mut Vec<Event>) -> Result<()> {
        out.clear();
        let cap = self.events.capacity();
        let n = match timeout {
            Some(t) if !t.is_zero() && t < FINE_TIMEOUT && PWAIT2.load(Ordering::Relaxed) => {
                let ts = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: t.subsec_nanos() as libc::c_long,
                };
                // SAFETY: as for `epoll_wait`; `ts` outlives the call and
                // a null signal mask means the thread's own, as epoll_wait.
                let n = unsafe {
                    libc::syscall(
                        libc::SYS_epoll_pwait2,
                        self.epoll.as_raw_fd(),
                        self.events.as_mut_ptr(),
                        cap as libc::c_int,
                        &ts as *const libc::timespec,
                        std::ptr::null::<libc::sigset_t>(),
                        0usize,
                    )
                };
                if n < 0
                    && matches!(
                        std::io::Error::last_os_error().raw_os_error(),
                        Some(libc::ENOSYS) | Some(libc::EPERM)
                    )
                {
                    PWAIT2.store(false, Ordering::Relaxed);
                    self.epoll_wait(Some(t), cap)
                } else {
                    n as libc::c_int
                }
            }
            t => self.epoll_wait(t, cap),
        };
        if n < 0 {
            let e = Error::last_os_error();
            return if e == Error::Interrupted {
                Ok(())
            } else {
                Err(e)
            };
        }
        // SAFETY: the kernel initialised the first n entries.
        unsafe { self.events.set_len(n as usize) };
        for ev in &self.events {
            let bits = ev.events;
            out.push(Event {
                token: ev.u64,
                readable: bits & libc::EPOLLIN as u32 != 0,
                writable: bits & libc::EPOLLOUT as u32 != 0,
                error: bits & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::net::UnixStream;

    #[test]
    fn reports_readable_fd_under_its_token_and_times_out_otherwise() {
        let mut r = Reactor::new().unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        r.add(b.as_raw_fd(), 7, true, false).unwrap();
        let mut evs = Vec::new();
        r.wait(Some(Duration::from_millis(1)), &mut evs).unwrap();
        assert!(evs.is_empty());
        a.write_all(b"x").unwrap();
        r.wait(Some(Duration::from_secs(5)), &mut evs).unwrap();
        assert_eq!(evs.len(), 1);
        assert!(evs[0].token == 7 && evs[0].readable);
        r.remove(b.as_raw_fd());
    }

    #[test]
    fn holds_end_in_time_order_and_only_when_due() {
        let r = Reactor::new().unwrap();
        assert_eq!(r.next_hold(), None);
        let t0 = Instant::now();
        r.hold(3, t0 + Duration::from_micros(30));
        r.hold(4, t0 + Duration::from_micros(10));
        assert_eq!(r.next_hold(), Some(t0 + Duration::from_micros(10)));
        let mut out = Vec::new();
        r.take_ended_holds(t0, &mut out);
        assert!(out.is_empty());
        r.take_ended_holds(t0 + Duration::from_micros(20), &mut out);
        assert_eq!(out, [4]);
        assert_eq!(r.next_hold(), Some(t0 + Duration::from_micros(30)));
        r.take_ended_holds(t0 + Duration::from_micros(30), &mut out);
        assert_eq!(out, [4, 3]);
        assert_eq!(r.next_hold(), None);
    }

    /// A hold of tens of microseconds must not become a millisecond (the
    /// timeout epoll_wait would round it up to). Where epoll_pwait2 is
    /// refused the wait falls back to that, and the test only checks that
    /// it still times out.
    #[test]
    fn a_timeout_under_a_millisecond_is_kept() {
        let mut r = Reactor::new().unwrap();
        let mut evs = Vec::new();
        // The best of several waits: a loaded machine can delay any one.
        let best = (0..20)
            .map(|_| {
                let t = Instant::now();
                r.wait(Some(Duration::from_micros(50)), &mut evs).unwrap();
                assert!(evs.is_empty());
                t.elapsed()
            })
            .min()
            .unwrap();
        assert!(best >= Duration::from_micros(50), "{best:?}");
        if PWAIT2.load(Ordering::Relaxed) {
            assert!(best < Duration::from_micros(900), "{best:?}");
        }
    }
}
