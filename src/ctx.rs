//! Context: the options shared by its sockets and the lifecycle that ends them.
//!
//! Owns context options (`zmq_ctx_set/get`), the table of open sockets (so
//! that shutdown can reach them), the inproc endpoint registry, and the
//! terminate/shutdown state: shutdown first (blocked calls return ETERM),
//! then wait until every socket is closed. I/O threads arrive with tcp/ipc.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::io::thread::IoThreadHandle;
use crate::msg::MSG_T_SIZE;
use crate::pipe::{Command, OwnerMailbox, PipeEnd};

/// Context option numbers (zmq.h).
pub mod opt {
    pub const IO_THREADS: i32 = 1;
    pub const MAX_SOCKETS: i32 = 2;
    pub const SOCKET_LIMIT: i32 = 3;
    pub const THREAD_PRIORITY: i32 = 3;
    pub const THREAD_SCHED_POLICY: i32 = 4;
    pub const MAX_MSGSZ: i32 = 5;
    pub const MSG_T_SIZE: i32 = 6;
    pub const THREAD_AFFINITY_CPU_ADD: i32 = 7;
    pub const THREAD_AFFINITY_CPU_REMOVE: i32 = 8;
    pub const THREAD_NAME_PREFIX: i32 = 9;
    pub const ZERO_COPY_RECV: i32 = 10;
    pub const IPV6: i32 = 42;
    pub const BLOCKY: i32 = 70;
}

/// Most sockets a context can be configured for (`ZMQ_SOCKET_LIMIT`).
pub const SOCKET_LIMIT: i32 = 65535;
/// Longest thread name prefix accepted (Linux thread names are 16 bytes).
const THREAD_NAME_PREFIX_MAX: usize = 16;

/// Context options with libzmq's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtxOptions {
    pub io_threads: i32,
    pub max_sockets: i32,
    pub max_msgsz: i32,
    pub ipv6: bool,
    pub blocky: bool,
    pub zero_copy_recv: bool,
    pub thread_priority: i32,
    pub thread_sched_policy: i32,
    pub thread_affinity_cpus: BTreeSet<i32>,
    pub thread_name_prefix: Vec<u8>,
}

impl Default for CtxOptions {
    fn default() -> Self {
        CtxOptions {
            io_threads: 1,
            max_sockets: 1023,
            max_msgsz: i32::MAX,
            ipv6: false,
            blocky: true,
            zero_copy_recv: true,
            thread_priority: -1,
            thread_sched_policy: -1,
            thread_affinity_cpus: BTreeSet::new(),
            thread_name_prefix: Vec::new(),
        }
    }
}

impl CtxOptions {
    /// Applies one option given as raw bytes (`zmq_ctx_set_ext`); integer
    /// options need exactly `sizeof(int)` bytes, as in libzmq.
    pub fn set(&mut self, option: i32, value: &[u8]) -> Result<()> {
        let int = <[u8; 4]>::try_from(value).ok().map(i32::from_ne_bytes);
        let non_negative = int.filter(|v| *v >= 0);
        match option {
            opt::MAX_SOCKETS => {
                // With epoll there is no descriptor ceiling to clip to (libzmq's
                // clipped_maxsocket is the identity there).
                self.max_sockets = int.filter(|v| *v >= 1).ok_or(Error::Invalid)?;
            }
            opt::IO_THREADS => self.io_threads = non_negative.ok_or(Error::Invalid)?,
            opt::IPV6 => self.ipv6 = non_negative.ok_or(Error::Invalid)? != 0,
            opt::BLOCKY => self.blocky = non_negative.ok_or(Error::Invalid)? != 0,
            opt::MAX_MSGSZ => self.max_msgsz = non_negative.ok_or(Error::Invalid)?,
            opt::ZERO_COPY_RECV => self.zero_copy_recv = non_negative.ok_or(Error::Invalid)? != 0,
            opt::THREAD_SCHED_POLICY => {
                self.thread_sched_policy = non_negative.ok_or(Error::Invalid)?
            }
            opt::THREAD_PRIORITY => self.thread_priority = non_negative.ok_or(Error::Invalid)?,
            opt::THREAD_AFFINITY_CPU_ADD => {
                self.thread_affinity_cpus
                    .insert(non_negative.ok_or(Error::Invalid)?);
            }
            opt::THREAD_AFFINITY_CPU_REMOVE => {
                if !self
                    .thread_affinity_cpus
                    .remove(&non_negative.ok_or(Error::Invalid)?)
                {
                    return Err(Error::Invalid);
                }
            }
            opt::THREAD_NAME_PREFIX => {
                self.thread_name_prefix = match int {
                    Some(v) => v.to_string().into_bytes(),
                    None if !value.is_empty() && value.len() <= THREAD_NAME_PREFIX_MAX => {
                        value.to_vec()
                    }
                    None => return Err(Error::Invalid),
                }
            }
            _ => return Err(Error::Invalid),
        }
        Ok(())
    }

    /// Reads one integer option (`zmq_ctx_get`).
    pub fn get(&self, option: i32) -> Result<i32> {
        Ok(match option {
            opt::MAX_SOCKETS => self.max_sockets,
            opt::SOCKET_LIMIT => SOCKET_LIMIT,
            opt::IO_THREADS => self.io_threads,
            opt::IPV6 => self.ipv6 as i32,
            opt::BLOCKY => self.blocky as i32,
            opt::MAX_MSGSZ => self.max_msgsz,
            opt::MSG_T_SIZE => MSG_T_SIZE as i32,
            opt::ZERO_COPY_RECV => self.zero_copy_recv as i32,
            opt::THREAD_SCHED_POLICY => self.thread_sched_policy,
            opt::THREAD_NAME_PREFIX => {
                // libzmq answers atoi() of the prefix.
                let s = String::from_utf8_lossy(&self.thread_name_prefix);
                let digits: String = s
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect();
                digits.parse().unwrap_or(0)
            }
            _ => return Err(Error::Invalid),
        })
    }

    /// Reads an option as bytes (`zmq_ctx_get_ext`): integers, or the thread
    /// name prefix as a string. Returns the number of bytes written.
    pub fn get_ext(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        if option == opt::THREAD_NAME_PREFIX && out.len() != 4 {
            let p = &self.thread_name_prefix;
            if out.len() < p.len() {
                return Err(Error::Invalid);
            }
            out[..p.len()].copy_from_slice(p);
            return Ok(p.len());
        }
        let out: &mut [u8; 4] = out.try_into().map_err(|_| Error::Invalid)?;
        *out = self.get(option)?.to_ne_bytes();
        Ok(4)
    }
}

/// Identifies a socket within its context.
pub type SocketId = u64;

/// What an inproc endpoint name stands for.
#[derive(Debug)]
enum InprocEntry {
    /// Bound by a socket; connecting sockets hand it their pipe's far end.
    Bound {
        socket: SocketId,
        mailbox: OwnerMailbox,
        hwm: InprocPeer,
    },
    /// Connected to before anyone bound it: the far ends wait here.
    Pending(Vec<PendingPipe>),
}

/// What a socket contributes to an inproc pipe: its high-water marks and
/// the routing id the other side sees (ROUTER addresses peers by it).
#[derive(Debug, Clone, Default)]
pub struct InprocPeer {
    pub sndhwm: u64,
    pub rcvhwm: u64,
    pub routing_id: Vec<u8>,
    /// The socket takes its peers' routing ids (ROUTER, REP, unless
    /// ROUTER_RAW): only then does its end of the pipe carry one.
    pub recv_routing_id: bool,
    /// ZMQ_CONFLATE, where effective for the socket type.
    pub conflate: bool,
    /// ZMQ_HELLO_MSG, if the socket type sends one (else empty).
    pub hello_msg: Vec<u8>,
    /// ZMQ_DISCONNECT_MSG, if the socket type takes one (else empty).
    pub disconnect_msg: Vec<u8>,
}

/// The binder's end of a pipe created by an early connect (its
/// `routing_id` already names the connecting socket).
#[derive(Debug)]
pub struct PendingPipe {
    pub end: PipeEnd,
    /// The connecting socket's SNDHWM and RCVHWM, for the binder to size
    /// the pipe with both sockets' marks.
    pub peer_hwm: (u64, u64),
}

/// The result of looking up an inproc endpoint to connect to.
#[derive(Debug)]
pub enum InprocTarget {
    Bound {
        mailbox: OwnerMailbox,
        hwm: InprocPeer,
    },
    NotBound,
}

/// A ZeroMQ context.
#[derive(Default)]
pub struct Ctx {
    options: Mutex<CtxOptions>,
    /// Set by shutdown/term: new sockets are refused and blocking calls end
    /// with ETERM.
    terminating: AtomicBool,
    /// Open sockets by id, with the mailbox that reaches each; term waits
    /// for this to become empty.
    sockets: Mutex<HashMap<SocketId, OwnerMailbox>>,
    all_closed: Condvar,
    next_socket_id: AtomicU64,
    inproc: Mutex<HashMap<Vec<u8>, InprocEntry>>,
    /// I/O threads, started by the first tcp/ipc endpoint.
    io_threads: Mutex<Vec<IoThreadHandle>>,
    /// Round-robin cursor over the I/O threads.
    next_io: AtomicU64,
}

impl Ctx {
    pub fn new() -> Ctx {
        // Starts the membarrier registration (in the background) now, so
        // that sockets' call locks can be biased by the time a thread has
        // made enough calls (see `util::fence::available`).
        crate::util::fence::available();
        Ctx::default()
    }

    pub fn set_option(&self, option: i32, value: &[u8]) -> Result<()> {
        self.options.lock().set(option, value)
    }

    pub fn get_option(&self, option: i32) -> Result<i32> {
        self.options.lock().get(option)
    }

    pub fn get_option_ext(&self, option: i32, out: &mut [u8]) -> Result<usize> {
        self.options.lock().get_ext(option, out)
    }

    pub fn options(&self) -> CtxOptions {
        self.options.lock().clone()
    }

    pub fn is_terminating(&self) -> bool {
        self.terminating.load(Ordering::Acquire)
    }

    /// `zmq_ctx_shutdown`: from now on new sockets get ETERM and blocked calls
    /// on existing sockets return ETERM. Idempotent.
    pub fn shutdown(&self) {
        if self.terminating.swap(true, Ordering::AcqRel) {
            return;
        }
        for mailbox in self.sockets.lock().values() {
            mailbox.send(Command::Stop);
        }
    }

    /// `zmq_ctx_term`: shuts down, waits until every socket of this context
    /// has been closed, then lets the I/O threads finish sending what closed
    /// sockets left queued and stops them.
    pub fn terminate(&self) {
        self.shutdown();
        {
            let mut sockets = self.sockets.lock();
            while !sockets.is_empty() {
                self.all_closed.wait(&mut sockets);
            }
        }
        let threads = std::mem::take(&mut *self.io_threads.lock());
        for mut t in threads {
            t.stop();
        }
    }

    /// The mailbox of an I/O thread for a socket with this `ZMQ_AFFINITY`
    /// (a bitmap of allowed threads, 0 = any). The `ZMQ_IO_THREADS` threads
    /// start on first use; sockets are spread over the allowed ones round
    /// robin. With no I/O threads, tcp and ipc are impossible: EMTHREAD.
    pub fn io_thread(&self, affinity: u64) -> Result<OwnerMailbox> {
        let count = self.options.lock().io_threads.max(0) as usize;
        let mut threads = self.io_threads.lock();
        if threads.is_empty() {
            for i in 0..count {
                threads.push(IoThreadHandle::spawn(format!("ZMQbg/IO/{i}"))?);
            }
        }
        let allowed: Vec<usize> = (0..threads.len())
            .filter(|i| affinity == 0 || (*i < 64 && affinity & (1 << i) != 0))
            .collect();
        if allowed.is_empty() {
            return Err(Error::NoThread);
        }
        let pick = allowed[self.next_io.fetch_add(1, Ordering::Relaxed) as usize % allowed.len()];
        Ok(threads[pick].mailbox.clone())
    }

    /// Accounts for a new socket, refusing it past `ZMQ_MAX_SOCKETS` (EMFILE)
    /// or once the context is shutting down (ETERM).
    pub fn register_socket(&self, mailbox: OwnerMailbox) -> Result<SocketId> {
        if self.is_terminating() {
            return Err(Error::Terminated);
        }
        let max = self.options.lock().max_sockets as usize;
        let mut sockets = self.sockets.lock();
        if sockets.len() >= max {
            return Err(Error::TooManyFiles);
        }
        let id = self.next_socket_id.fetch_add(1, Ordering::Relaxed) + 1;
        sockets.insert(id, mailbox);
        Ok(id)
    }

    /// The counterpart of [`Ctx::register_socket`], once a socket is gone.
    pub fn unregister_socket(&self, id: SocketId) {
        self.inproc
            .lock()
            .retain(|_, e| !matches!(e, InprocEntry::Bound { socket, .. } if *socket == id));
        let mut sockets = self.sockets.lock();
        sockets.remove(&id);
        if sockets.is_empty() {
            self.all_closed.notify_all();
        }
    }

    /// Binds an inproc name. Returns the far ends of pipes that connecting
    /// sockets created before the bind, for the binder to attach.
    pub fn inproc_bind(
        &self,
        name: &[u8],
        socket: SocketId,
        mailbox: OwnerMailbox,
        hwm: InprocPeer,
    ) -> Result<Vec<PendingPipe>> {
        let mut map = self.inproc.lock();
        let pending = match map.remove(name) {
            Some(InprocEntry::Bound {
                socket: s,
                mailbox: m,
                hwm: h,
            }) => {
                map.insert(
                    name.to_vec(),
                    InprocEntry::Bound {
                        socket: s,
                        mailbox: m,
                        hwm: h,
                    },
                );
                return Err(Error::Os(libc::EADDRINUSE));
            }
            Some(InprocEntry::Pending(p)) => p,
            None => Vec::new(),
        };
        map.insert(
            name.to_vec(),
            InprocEntry::Bound {
                socket,
                mailbox,
                hwm,
            },
        );
        Ok(pending)
    }

    /// Unbinds an inproc name bound by `socket`; ENOENT otherwise.
    pub fn inproc_unbind(&self, name: &[u8], socket: SocketId) -> Result<()> {
        let mut map = self.inproc.lock();
        match map.get(name) {
            Some(InprocEntry::Bound { socket: s, .. }) if *s == socket => {
                map.remove(name);
                Ok(())
            }
            _ => Err(Error::Os(libc::ENOENT)),
        }
    }

    /// The socket bound to an inproc name, if any: its mailbox and marks.
    /// Nothing is parked when the name is unbound (the ZAP handler lookup).
    pub fn inproc_lookup(&self, name: &[u8]) -> Option<(OwnerMailbox, InprocPeer)> {
        match self.inproc.lock().get(name) {
            Some(InprocEntry::Bound { mailbox, hwm, .. }) => Some((mailbox.clone(), hwm.clone())),
            _ => None,
        }
    }

    /// Looks up where an inproc connect goes. When nobody has bound the name
    /// yet, `park` is called to produce the binder's end of a new pipe, which
    /// waits here until a bind (connect-before-bind works, as in libzmq).
    pub fn inproc_connect(&self, name: &[u8], park: impl FnOnce() -> PendingPipe) -> InprocTarget {
        let mut map = self.inproc.lock();
        match map.get_mut(name) {
            Some(InprocEntry::Bound { mailbox, hwm, .. }) => InprocTarget::Bound {
                mailbox: mailbox.clone(),
                hwm: hwm.clone(),
            },
            Some(InprocEntry::Pending(list)) => {
                list.push(park());
                InprocTarget::NotBound
            }
            None => {
                map.insert(name.to_vec(), InprocEntry::Pending(vec![park()]));
                InprocTarget::NotBound
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i32) -> [u8; 4] {
        v.to_ne_bytes()
    }

    #[test]
    fn defaults_match_libzmq() {
        let o = CtxOptions::default();
        assert_eq!(o.get(opt::IO_THREADS), Ok(1));
        assert_eq!(o.get(opt::MAX_SOCKETS), Ok(1023));
        assert_eq!(o.get(opt::SOCKET_LIMIT), Ok(65535));
        assert_eq!(o.get(opt::MAX_MSGSZ), Ok(i32::MAX));
        assert_eq!(o.get(opt::MSG_T_SIZE), Ok(64));
        assert_eq!(o.get(opt::BLOCKY), Ok(1));
        assert_eq!(o.get(opt::IPV6), Ok(0));
    }

    #[test]
    fn negative_values_and_wrong_lengths_are_invalid() {
        let mut o = CtxOptions::default();
        assert_eq!(o.set(opt::IO_THREADS, &int(-1)), Err(Error::Invalid));
        assert_eq!(o.set(opt::MAX_SOCKETS, &int(0)), Err(Error::Invalid));
        assert_eq!(o.set(opt::IO_THREADS, &[1, 0]), Err(Error::Invalid));
        assert_eq!(o.set(12345, &int(1)), Err(Error::Invalid));
        assert_eq!(
            o.set(opt::THREAD_AFFINITY_CPU_REMOVE, &int(3)),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn thread_name_prefix_accepts_int_or_short_string() {
        let mut o = CtxOptions::default();
        o.set(opt::THREAD_NAME_PREFIX, &int(42)).unwrap();
        assert_eq!(o.get(opt::THREAD_NAME_PREFIX), Ok(42));
        o.set(opt::THREAD_NAME_PREFIX, b"zmqtest").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(o.get_ext(opt::THREAD_NAME_PREFIX, &mut buf), Ok(7));
        assert_eq!(
            o.set(opt::THREAD_NAME_PREFIX, &[b'x'; 17]),
            Err(Error::Invalid)
        );
    }

    fn mailbox() -> OwnerMailbox {
        std::sync::Arc::new(crate::mailbox::Mailbox::new().unwrap())
    }

    #[test]
    fn term_stops_open_sockets_refuses_new_ones_and_waits_for_close() {
        let ctx = std::sync::Arc::new(Ctx::new());
        let mb = mailbox();
        let id = ctx.register_socket(mb.clone()).unwrap();
        let c2 = ctx.clone();
        let t = std::thread::spawn(move || c2.terminate());
        let mut cmds = std::collections::VecDeque::new();
        assert!(mb
            .recv(&mut cmds, Some(std::time::Duration::from_secs(10)))
            .unwrap());
        assert!(matches!(cmds[0], Command::Stop));
        assert_eq!(ctx.register_socket(mailbox()), Err(Error::Terminated));
        ctx.unregister_socket(id);
        t.join().unwrap();
    }

    #[test]
    fn inproc_bind_twice_is_eaddrinuse_and_early_connects_wait_for_bind() {
        let ctx = Ctx::new();
        let (a, b) = crate::pipe::pipe_pair([0, 0]);
        let parked = ctx.inproc_connect(b"x", || PendingPipe {
            end: b,
            peer_hwm: (0, 0),
        });
        assert!(matches!(parked, InprocTarget::NotBound));
        let pending = ctx
            .inproc_bind(b"x", 1, mailbox(), InprocPeer::default())
            .unwrap();
        assert_eq!(pending.len(), 1);
        drop(a);
        assert_eq!(
            ctx.inproc_bind(b"x", 2, mailbox(), InprocPeer::default())
                .err(),
            Some(Error::Os(libc::EADDRINUSE))
        );
        assert_eq!(ctx.inproc_unbind(b"x", 2), Err(Error::Os(libc::ENOENT)));
        ctx.inproc_unbind(b"x", 1).unwrap();
    }
}
