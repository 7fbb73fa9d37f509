//! The reactor: epoll, wrapped once. Registers file descriptors under a
//! token and reports readiness. Level-triggered, like libzmq's poller, so a
//! handler that stops early is simply called again.
//!
//! Owns: the epoll fd. Knows nothing of what the tokens stand for.

use std::cell::{Cell, RefCell};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

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
}

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

    /// Waits up to `timeout` (`None`: forever) and returns the ready fds.
    pub fn wait(&mut self, timeout: Option<Duration>, out: &mut Vec<Event>) -> Result<()> {
        out.clear();
        let ms = match timeout {
            None => -1,
            // Round up so a 0.5 ms timer does not spin at 0.
            Some(t) => t.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32,
        };
        let cap = self.events.capacity();
        // SAFETY: the buffer has `cap` writable epoll_event slots; the
        // kernel fills at most that many and we set the length to the count.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                self.events.as_mut_ptr(),
                cap as i32,
                ms,
            )
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
}
