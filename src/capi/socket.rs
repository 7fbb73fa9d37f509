//! zmq.h, sockets: creation, options, endpoints, send/receive, monitor,
//! polling and proxies.
//!
//! The messaging engine is not built yet: `zmq_socket` validates its
//! arguments and then fails with ENOTSUP, so no socket handle exists and every
//! socket argument is refused with ENOTSOCK, as libzmq refuses invalid ones.
//! `zmq_poll` already works for plain file descriptors.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long};

use super::consts::*;
use super::ctx::ctx_arc;
use super::ffi;
use super::msg::msg_mut;
use super::types::{iovec, zmq_msg_t, zmq_pollitem_t};
use crate::error::Error;

/// The socket behind a C handle. No socket can exist yet, so every handle is
/// refused with ENOTSOCK, exactly as libzmq refuses a NULL or closed one.
pub(crate) fn socket_check(_s: *mut c_void) -> Result<(), Error> {
    Err(Error::NotSocket)
}

fn valid_socket_type(t: c_int) -> bool {
    (ZMQ_PAIR..=ZMQ_STREAM).contains(&t) || (12..=20).contains(&t)
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
        Err::<*mut c_void, _>(Error::NotSupported)
    }
}

#[no_mangle]
pub extern "C" fn zmq_close(s: *mut c_void) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_setsockopt(
    s: *mut c_void,
    _option: c_int,
    _optval: *const c_void,
    _optvallen: usize,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_getsockopt(
    s: *mut c_void,
    _option: c_int,
    _optval: *mut c_void,
    _optvallen: *mut usize,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_bind(s: *mut c_void, _addr: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_connect(s: *mut c_void, _addr: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_unbind(s: *mut c_void, _addr: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_disconnect(s: *mut c_void, _addr: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_send(
    s: *mut c_void,
    _buf: *const c_void,
    _len: usize,
    _flags: c_int,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_send_const(
    s: *mut c_void,
    _buf: *const c_void,
    _len: usize,
    _flags: c_int,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_recv(s: *mut c_void, _buf: *mut c_void, _len: usize, _flags: c_int) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_send(msg: *mut zmq_msg_t, s: *mut c_void, _flags: c_int) -> c_int {
    ffi! {
        socket_check(s)?;
        unsafe { msg_mut(msg) }?;
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_recv(msg: *mut zmq_msg_t, s: *mut c_void, _flags: c_int) -> c_int {
    ffi! {
        socket_check(s)?;
        unsafe { msg_mut(msg) }?;
        Ok(0)
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

#[no_mangle]
pub extern "C" fn zmq_sendiov(
    s: *mut c_void,
    _iov: *mut iovec,
    _count: usize,
    _flags: c_int,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_recviov(
    s: *mut c_void,
    _iov: *mut iovec,
    _count: *mut usize,
    _flags: c_int,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_socket_monitor(
    s: *mut c_void,
    _addr: *const c_char,
    _events: c_int,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_proxy(
    frontend: *mut c_void,
    backend: *mut c_void,
    _capture: *mut c_void,
) -> c_int {
    ffi! {
        if frontend.is_null() || backend.is_null() {
            return Err(Error::Fault);
        }
        socket_check(frontend).map(|()| 0)
    }
}

#[no_mangle]
pub extern "C" fn zmq_proxy_steerable(
    frontend: *mut c_void,
    backend: *mut c_void,
    _capture: *mut c_void,
    _control: *mut c_void,
) -> c_int {
    ffi! {
        if frontend.is_null() || backend.is_null() {
            return Err(Error::Fault);
        }
        socket_check(frontend).map(|()| 0)
    }
}

#[no_mangle]
pub extern "C" fn zmq_device(_type: c_int, frontend: *mut c_void, backend: *mut c_void) -> c_int {
    zmq_proxy(frontend, backend, std::ptr::null_mut())
}

/// `zmq_poll`: waits until an item is ready or `timeout` ms pass (-1: forever).
#[no_mangle]
pub unsafe extern "C" fn zmq_poll(
    items: *mut zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
) -> c_int {
    ffi! {
        if nitems < 0 {
            return Err(Error::Invalid);
        }
        if nitems == 0 {
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
        let mut fds = Vec::with_capacity(items.len());
        for item in items.iter() {
            if !item.socket.is_null() {
                socket_check(item.socket)?;
            }
            let mut events = 0;
            if item.events & ZMQ_POLLIN as i16 != 0 { events |= libc::POLLIN; }
            if item.events & ZMQ_POLLOUT as i16 != 0 { events |= libc::POLLOUT; }
            if item.events & ZMQ_POLLPRI as i16 != 0 { events |= libc::POLLPRI; }
            fds.push(libc::pollfd { fd: item.fd, events, revents: 0 });
        }
        let wait = if timeout < 0 { -1 } else { timeout.min(c_int::MAX as c_long) as c_int };
        // SAFETY: fds is a valid array of fds.len() pollfd structures.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait) };
        if rc < 0 {
            return Err(Error::last_os_error());
        }
        let mut ready = 0;
        for (item, fd) in items.iter_mut().zip(&fds) {
            let mut revents = 0i16;
            if fd.revents & libc::POLLIN != 0 { revents |= ZMQ_POLLIN as i16; }
            if fd.revents & libc::POLLOUT != 0 { revents |= ZMQ_POLLOUT as i16; }
            if fd.revents & libc::POLLPRI != 0 { revents |= ZMQ_POLLPRI as i16; }
            if fd.revents & !(libc::POLLIN | libc::POLLOUT | libc::POLLPRI) != 0 { revents |= ZMQ_POLLERR as i16; }
            item.revents = revents;
            if revents != 0 {
                ready += 1;
            }
        }
        Ok(ready)
    }
}

/// Sleeps `ms` milliseconds; a negative value sleeps for good, as libzmq's
/// zmq_poll with no items and an infinite timeout does.
fn sleep_ms(ms: c_long) {
    if ms < 0 {
        loop {
            std::thread::park();
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(ms as u64));
}
