//! zmq.h, sockets: creation, options, endpoints, send/receive, monitor,
//! polling and proxies.
//!
//! Socket handles are cells of a tagged registry (`0xbaddecaf`): NULL,
//! foreign and closed handles give ENOTSOCK. Types and transports not built
//! yet fail with ENOTSUP.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long};
use std::time::{Duration, Instant};

use super::consts::*;
use super::ctx::ctx_arc;
use super::msg::msg_mut;
use super::types::{iovec, zmq_msg_t, zmq_pollitem_t};
use super::{c_bytes, c_str, ffi, sockopt};
use crate::error::Error;
use crate::handle::{Cell, Registry};
use crate::msg::Msg;
use crate::poller;
use crate::socket::Socket;

/// libzmq's socket tag, kept so a core dump reads the same.
const SOCKET_TAG: u32 = 0xbadd_ecaf;

pub(crate) static SOCKETS: Registry<Socket> = Registry::new(SOCKET_TAG);

/// Runs `f` on the socket behind a C handle; ENOTSOCK for NULL, foreign or
/// closed handles. The cell's lock serialises calls from several threads.
pub(crate) fn with_socket<T>(
    s: *mut c_void,
    f: impl FnOnce(&mut Socket) -> Result<T, Error>,
) -> Result<T, Error> {
    // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
    let cell = unsafe { SOCKETS.get(s) }.ok_or(Error::NotSocket)?;
    let mut guard = cell.value().lock();
    f(guard.as_mut().ok_or(Error::NotSocket)?)
}

/// Which timeout a blocking call honours.
#[derive(Clone, Copy)]
pub(crate) enum Io {
    Send,
    Recv,
}

/// [`with_socket`] for send and receive calls, which may block. Classic
/// sockets block inside `f` with their lock held (one user at a time).
/// A thread-safe socket is shared by threads that block at once: `f` runs
/// with DONTWAIT, and while it finds nothing to do the thread waits for the
/// socket's next command with the lock released, then tries again, until
/// SNDTIMEO/RCVTIMEO passes (libzmq's `mailbox_safe_t` and condition
/// variable).
pub(crate) fn with_socket_io<T>(
    s: *mut c_void,
    flags: c_int,
    io: Io,
    mut f: impl FnMut(&mut Socket, c_int) -> Result<T, Error>,
) -> Result<T, Error> {
    // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
    let cell = unsafe { SOCKETS.get(s) }.ok_or(Error::NotSocket)?;
    let mut deadline: Option<Option<Instant>> = None;
    loop {
        let mut guard = cell.value().lock();
        let sock = guard.as_mut().ok_or(Error::NotSocket)?;
        let Some(mailbox) = sock.thread_safe_mailbox() else {
            return f(sock, flags);
        };
        let mailbox = mailbox.clone();
        let safe = mailbox.safe().ok_or(Error::Fault)?;
        let seen = safe.generation();
        match f(sock, flags | crate::socket::DONTWAIT) {
            Err(Error::Again) if flags & crate::socket::DONTWAIT == 0 => {
                let ms = match io {
                    Io::Send => sock.options.sndtimeo,
                    Io::Recv => sock.options.rcvtimeo,
                };
                if ms == 0 {
                    return Err(Error::Again);
                }
                let d = *deadline.get_or_insert_with(|| {
                    (ms > 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
                });
                drop(guard);
                if !safe.wait_change(seen, d) {
                    return Err(Error::Again);
                }
            }
            r => return r,
        }
    }
}

/// Validates a socket handle without using it.
pub(crate) fn socket_check(s: *mut c_void) -> Result<(), Error> {
    with_socket(s, |_| Ok(()))
}

fn valid_socket_type(t: c_int) -> bool {
    (ZMQ_PAIR..=ZMQ_STREAM).contains(&t) || (12..=20).contains(&t)
}

/// A send/recv size as libzmq returns it: clipped to INT_MAX.
fn size_result(n: usize) -> c_int {
    n.min(c_int::MAX as usize) as c_int
}

/// The bytes of a C string argument; EINVAL for NULL.
unsafe fn endpoint<'a>(addr: *const c_char) -> Result<&'a [u8], Error> {
    // SAFETY: forwarded caller guarantee.
    unsafe { c_str(addr) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket(context: *mut c_void, type_: c_int) -> *mut c_void {
    ffi! {
        let ctx = unsafe { ctx_arc(context) }?;
        if ctx.is_terminating() {
            return Err(Error::Terminated);
        }
        if !valid_socket_type(type_) {
            return Err(Error::Invalid);
        }
        let socket = Socket::new(ctx, type_)?;
        Ok(SOCKETS.insert(socket) as *const Cell<Socket> as *mut c_void)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    ffi! {
        // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
        let cell = unsafe { SOCKETS.get(s) }.ok_or(Error::NotSocket)?;
        let socket = SOCKETS.remove(cell).ok_or(Error::NotSocket)?;
        socket.close();
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    ffi! {
        with_socket(s, |sock| {
            // libzmq: ETERM once the socket has seen its context terminate,
            // before the option is even looked at.
            sock.check_live()?;
            let value = if optval.is_null() {
                if optvallen != 0 {
                    return Err(Error::Invalid);
                }
                None
            } else {
                // SAFETY: the caller provides optvallen readable bytes.
                Some(unsafe { super::c_slice(optval.cast::<u8>(), optvallen) }.ok_or(Error::Invalid)?)
            };
            sockopt::set(sock, option, value).map(|()| 0)
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    ffi! {
        with_socket(s, |sock| {
            sock.check_live()?;
            // zmq_getsockopt(3): an invalid option_value is EINVAL (libzmq
            // crashes on a NULL option_len).
            if optvallen.is_null() {
                return Err(Error::Fault);
            }
            if optval.is_null() {
                return Err(Error::Invalid);
            }
            // SAFETY: the caller provides *optvallen writable bytes.
            // No option value is near 64 KiB: a larger claimed buffer is
            // used only that far (a slice longer than isize::MAX would be
            // undefined behaviour before any check could run).
            let len = unsafe { *optvallen }.min(super::MAX_OPTION_LEN);
            let out = unsafe { std::slice::from_raw_parts_mut(optval.cast::<u8>(), len) };
            let written = sockopt::get(sock, option, out)?;
            // SAFETY: checked non-null above.
            unsafe { *optvallen = written };
            Ok(0)
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_bind(s: *mut c_void, addr: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.bind(unsafe { endpoint(addr) }?).map(|()| 0)) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_connect(s: *mut c_void, addr: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.connect(unsafe { endpoint(addr) }?).map(|()| 0)) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_unbind(s: *mut c_void, addr: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.unbind(unsafe { endpoint(addr) }?).map(|()| 0)) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_disconnect(s: *mut c_void, addr: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.disconnect(unsafe { endpoint(addr) }?).map(|()| 0)) }
}

/// Sends an owned message; returns its size.
fn send_msg(sock: &mut Socket, msg: Msg, flags: c_int) -> Result<c_int, Error> {
    let n = msg.size();
    sock.send(msg, flags).map_err(|(e, _)| e)?;
    Ok(size_result(n))
}

#[no_mangle]
pub unsafe extern "C" fn zmq_send(
    s: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Send, |sock, flags| {
            let data = unsafe { c_bytes(buf, len, Error::Fault) }?;
            // Built in place and sent by reference (see Socket::send_from).
            let mut msg = Msg::new();
            msg.reset_with_size(data.len(), 0)?;
            msg.data_mut().copy_from_slice(data);
            sock.send_from(&mut msg, flags)?;
            Ok(size_result(data.len()))
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_send_const(
    s: *mut c_void,
    buf: *const c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Send, |sock, flags| {
            if buf.is_null() && len != 0 {
                return Err(Error::Fault);
            }
            // SAFETY: zmq_send_const's contract: the buffer outlives the send.
            let msg = unsafe { Msg::from_user_buffer(buf as *mut c_void, len, None, std::ptr::null_mut()) };
            send_msg(sock, msg, flags)
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recv(
    s: *mut c_void,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Recv, |sock, flags| {
            if buf.is_null() && len != 0 {
                return Err(Error::Fault);
            }
            let mut msg = Msg::new();
            sock.recv_into(&mut msg, flags)?;
            let n = msg.size().min(len);
            if n > 0 {
                // SAFETY: the caller provides len writable bytes; n <= len.
                unsafe { std::ptr::copy_nonoverlapping(msg.data().as_ptr(), buf.cast::<u8>(), n) };
            }
            // The full size is reported even when truncated, as libzmq does.
            Ok(size_result(msg.size()))
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Send, |sock, flags| {
            let m = unsafe { msg_mut(msg) }?;
            let n = m.size();
            // On success the message is consumed and left empty; on failure
            // it stays with the caller.
            sock.send_from(m, flags)?;
            Ok(size_result(n))
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, flags: c_int) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Recv, |sock, flags| {
            let m = unsafe { msg_mut(msg) }?;
            sock.recv_into(m, flags)?;
            Ok(size_result(m.size()))
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_sendmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: same contract.
    unsafe { zmq_msg_send(msg, s, flags) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_recvmsg(s: *mut c_void, msg: *mut zmq_msg_t, flags: c_int) -> c_int {
    // SAFETY: same contract.
    unsafe { zmq_msg_recv(msg, s, flags) }
}

/// Sends `count` buffers, each with `flags` except the last, which goes
/// without SNDMORE (libzmq's rule: pass ZMQ_SNDMORE for one multipart
/// message). Returns the last part's size, as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_sendiov(
    s: *mut c_void,
    iov: *mut iovec,
    count: usize,
    flags: c_int,
) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Send, |sock, flags| {
            if count == 0 || iov.is_null() {
                return Err(Error::Invalid);
            }
            // SAFETY: the caller provides count iovecs.
            let parts = unsafe { super::c_slice(iov, count) }.ok_or(Error::Invalid)?;
            let mut last = 0;
            for (i, part) in parts.iter().enumerate() {
                let data = if part.iov_len == 0 || part.iov_base.is_null() {
                    &[][..]
                } else {
                    // SAFETY: each iovec describes readable memory.
                    unsafe { super::c_slice(part.iov_base.cast::<u8>(), part.iov_len) }
                        .ok_or(Error::NoMemory)?
                };
                let f = if i + 1 < count { flags } else { flags & !crate::socket::SNDMORE };
                last = send_msg(sock, Msg::from_slice(data)?, f)?;
            }
            Ok(last)
        })
    }
}

/// Receives up to `*count` parts of a message into buffers allocated with
/// malloc (the caller frees them); sets `*count` to the parts received and
/// returns that count, as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_recviov(
    s: *mut c_void,
    iov: *mut iovec,
    count: *mut usize,
    flags: c_int,
) -> c_int {
    ffi! {
        with_socket_io(s, flags, Io::Recv, |sock, flags| {
            if iov.is_null() || count.is_null() {
                return Err(Error::Invalid);
            }
            // SAFETY: the caller provides *count iovecs.
            let max = unsafe { *count };
            if max == 0 {
                return Err(Error::Invalid);
            }
            let mut received = 0;
            let mut more = true;
            while more && received < max {
                let msg = sock.recv(flags)?;
                more = msg.more();
                // SAFETY: malloc of at least one byte; ownership passes to C.
                let buf = unsafe { libc::malloc(msg.size().max(1)) };
                if buf.is_null() {
                    return Err(Error::NoMemory);
                }
                // SAFETY: buf has msg.size() writable bytes.
                unsafe { std::ptr::copy_nonoverlapping(msg.data().as_ptr(), buf.cast::<u8>(), msg.size()) };
                // SAFETY: received < *count, within the caller's array; only
                // the entries filled are touched (*count is a capacity, and
                // may be larger than any array, as in libzmq).
                unsafe { iov.add(received).write(iovec { iov_base: buf, iov_len: msg.size() }) };
                received += 1;
            }
            // SAFETY: checked non-null above.
            unsafe { *count = received };
            Ok(size_result(received))
        })
    }
}

/// `zmq_socket_monitor[_versioned]`: NULL `addr` stops the monitor.
pub(crate) unsafe fn socket_monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    version: c_int,
    type_: c_int,
) -> Result<c_int, Error> {
    with_socket(s, |sock| {
        let addr = if addr.is_null() {
            None
        } else {
            Some(unsafe { endpoint(addr) }?)
        };
        sock.monitor(addr, events, version, type_).map(|()| 0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor(
    s: *mut c_void,
    addr: *const c_char,
    events: c_int,
) -> c_int {
    // libzmq widens the int mask to 64 bits: a negative one is EINVAL for v1.
    ffi! { unsafe { socket_monitor(s, addr, events as i64 as u64, 1, ZMQ_PAIR) } }
}

/// The cell behind a socket handle; ENOTSOCK for foreign or closed ones.
fn socket_cell(s: *mut c_void) -> Result<&'static Cell<Socket>, Error> {
    // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
    let cell = unsafe { SOCKETS.get(s) }.ok_or(Error::NotSocket)?;
    socket_check(s)?;
    Ok(cell)
}

/// An optional socket argument (NULL: none).
fn optional_cell(s: *mut c_void) -> Result<Option<&'static Cell<Socket>>, Error> {
    if s.is_null() {
        return Ok(None);
    }
    socket_cell(s).map(Some)
}

fn run_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> Result<c_int, Error> {
    if frontend.is_null() || backend.is_null() {
        return Err(Error::Fault);
    }
    crate::proxy::run(crate::proxy::ProxySockets {
        frontend: socket_cell(frontend)?,
        backend: socket_cell(backend)?,
        capture: optional_cell(capture)?,
        control: optional_cell(control)?,
    })?;
    Ok(0)
}

#[no_mangle]
pub extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
) -> c_int {
    ffi! { run_proxy(frontend, backend, capture, std::ptr::null_mut()) }
}

#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    capture: *mut c_void,
    control: *mut c_void,
) -> c_int {
    ffi! { run_proxy(frontend, backend, capture, control) }
}

/// libzmq runs every device type as a proxy.
#[no_mangle]
pub extern "C" fn zmq_device(_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    zmq_proxy(frontend, backend, std::ptr::null_mut())
}

/// `zmq_poll`: waits until an item is ready or `timeout` ms pass (-1: forever).
/// Sockets are polled through their `ZMQ_FD` and confirmed with
/// `ZMQ_EVENTS`, exactly libzmq's edge-triggered contract.
#[no_mangle]
pub unsafe extern "C" fn zmq_poll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
) -> c_int {
    // SAFETY: forwarded caller guarantee.
    ffi! { unsafe { poll_items(items, nitems, timeout, None) } }
}

/// `zmq_poll`, and `zmq_ppoll` (draft) with the signal mask its waits use
/// (`ppoll(2)`: signals blocked elsewhere may arrive while it waits, and
/// end it with EINTR).
pub(crate) unsafe fn poll_items(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    sigmask: Option<&libc::sigset_t>,
) -> Result<c_int, Error> {
    {
        if nitems < 0 {
            return Err(Error::Invalid);
        }
        if nitems == 0 {
            if let Some(mask) = sigmask {
                let ts = libc::timespec {
                    tv_sec: (timeout.max(0) / 1000) as libc::time_t,
                    tv_nsec: ((timeout.max(0) % 1000) * 1_000_000) as libc::c_long,
                };
                let tsp = if timeout < 0 {
                    std::ptr::null()
                } else {
                    &ts as *const _
                };
                // SAFETY: no fds; the mask and timespec outlive the call.
                if unsafe { libc::ppoll(std::ptr::null_mut(), 0, tsp, mask) } < 0 {
                    return Err(Error::last_os_error());
                }
                return Ok(0);
            }
            if timeout != 0 {
                sleep_ms(timeout);
            }
            return Ok(0);
        }
        if items.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: the caller passes an array of nitems items.
        let items = unsafe { std::slice::from_raw_parts_mut(items, nitems as usize) };
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(items.len());
        for item in items.iter() {
            let (fd, events) = if item.socket.is_null() {
                (item.fd, poller::fd_events(item.events))
            } else {
                let (fd, safe) = with_socket(item.socket, |sock| {
                    Ok((sock.fd(), sock.thread_safe_mailbox().is_some()))
                })?;
                if safe {
                    // Thread-safe sockets have no ZMQ_FD: poll everything
                    // through a poller, as libzmq does.
                    return poll_with_poller(items, timeout);
                }
                (fd, if item.events != 0 { libc::POLLIN } else { 0 })
            };
            fds.push(libc::pollfd {
                fd,
                events,
                revents: 0,
            });
        }
        // Plain fds report the latest poll(2) results; sockets always
        // answer from their ZMQ_EVENTS.
        let ready = poller::wait_loop(&mut fds, timeout, sigmask, |fds| {
            let mut ready = 0;
            for (item, fd) in items.iter_mut().zip(fds) {
                let revents = if item.socket.is_null() {
                    poller::zmq_events(fd.revents)
                } else {
                    let (has_in, has_out) = with_socket(item.socket, |sock| sock.events())?;
                    let mut revents = 0;
                    if has_in {
                        revents |= poller::POLLIN;
                    }
                    if has_out {
                        revents |= poller::POLLOUT;
                    }
                    revents & item.events
                };
                item.revents = revents;
                if revents != 0 {
                    ready += 1;
                }
            }
            Ok(ready)
        })?;
        Ok(ready as c_int)
    }
}

/// `zmq_poll` over a [`poller::Poller`], for item lists with a thread-safe
/// socket. An item listed twice is registered once with both event masks.
fn poll_with_poller(items: &mut [zmq_pollitem_t], timeout: c_long) -> Result<c_int, Error> {
    use poller::{Poller, Target};
    let mut p = Poller::new();
    let mut targets: Vec<(Target, i16)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter_mut().enumerate() {
        item.revents = 0;
        let target = if item.socket.is_null() {
            Target::Fd(item.fd)
        } else {
            // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
            Target::Socket(unsafe { SOCKETS.get(item.socket) }.ok_or(Error::NotSocket)?)
        };
        match targets.iter().position(|(t, _)| t.same(&target)) {
            Some(k) => {
                let events = targets[k].1 | item.events;
                targets[k].1 = events;
                p.modify(target, events)?;
            }
            None => {
                p.add(target, i, item.events)?;
                targets.push((target, item.events));
            }
        }
    }
    let mut found = Vec::new();
    match p.wait(&mut found, items.len(), timeout) {
        Ok(_) => {}
        Err(Error::Again) => return Ok(0),
        Err(e) => return Err(e),
    }
    let mut ready = 0;
    for item in items.iter_mut() {
        let hit = found
            .iter()
            .find(|e| match (e.target, item.socket.is_null()) {
                (Target::Socket(c), false) => {
                    std::ptr::eq(c as *const _ as *const c_void, item.socket)
                }
                (Target::Fd(fd), true) => fd == item.fd,
                _ => false,
            });
        if let Some(e) = hit {
            item.revents = e.events & item.events;
            if item.revents != 0 {
                ready += 1;
            }
        }
    }
    Ok(ready)
}

/// Sleeps `ms` milliseconds; a negative value sleeps for good, as libzmq's
/// zmq_poll with no items and an infinite timeout does.
fn sleep_ms(ms: c_long) {
    if ms < 0 {
        loop {
            std::thread::park();
        }
    }
    std::thread::sleep(Duration::from_millis(ms as u64));
}
