//! zmq.h, the draft API (`ZMQ_BUILD_DRAFT_API`): message routing ids, groups
//! and buffers work now; socket-level drafts wait for the engine and refuse
//! every socket with ENOTSOCK.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long, c_short};

use super::msg::{msg_init_with, msg_mut};
use super::socket::{with_socket, SOCKETS};
use super::types::{zmq_fd_t, zmq_msg_t, zmq_poller_event_t};
use super::{c_str, ffi};
use crate::error::Error;
use crate::handle::{Cell, Registry};
use crate::msg::Msg;
use crate::poller::{Event, Poller, Target};
use crate::socket::Socket;

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_buffer(
    msg: *mut zmq_msg_t,
    buf: *const c_void,
    size: usize,
) -> c_int {
    ffi! {
                let data = unsafe { super::c_bytes(buf, size, Error::Invalid) }?;
        unsafe { msg_init_with(msg, Msg::from_slice(data)?) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_routing_id(msg: *mut zmq_msg_t, routing_id: u32) -> c_int {
    ffi! { unsafe { msg_mut(msg) }?.set_routing_id(routing_id).map(|()| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_routing_id(msg: *mut zmq_msg_t) -> u32 {
    ffi! { Ok(unsafe { msg_mut(msg) }?.routing_id()) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set_group(msg: *mut zmq_msg_t, group: *const c_char) -> c_int {
    ffi! {
        let m = unsafe { msg_mut(msg) }?;
        // libzmq reads at most ZMQ_GROUP_MAX_LENGTH bytes (strnlen): longer
        // names are cut, not refused.
        let g = unsafe { c_str(group) }?;
        m.set_group(&g[..g.len().min(crate::msg::GROUP_MAX_LENGTH)]).map(|()| 0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_group(msg: *mut zmq_msg_t) -> *const c_char {
    ffi! { Ok(unsafe { msg_mut(msg) }?.group().as_ptr()) }
}

/// The group argument of `zmq_join`/`zmq_leave`: EINVAL for NULL or one
/// longer than ZMQ_GROUP_MAX_LENGTH.
unsafe fn group_arg<'a>(group: *const c_char) -> Result<&'a [u8], Error> {
    // SAFETY: forwarded caller guarantee (a C string or NULL).
    let g = unsafe { c_str(group) }?;
    if g.len() > crate::msg::GROUP_MAX_LENGTH {
        return Err(Error::Invalid);
    }
    Ok(g)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_join(s: *mut c_void, group: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.join(unsafe { group_arg(group) }?, true).map(|()| 0)) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_leave(s: *mut c_void, group: *const c_char) -> c_int {
    ffi! { with_socket(s, |sock| sock.join(unsafe { group_arg(group) }?, false).map(|()| 0)) }
}

/// PEER's connect: returns the routing id of the new connection (0 on
/// error): ENOTSUP for other socket types, EFAULT with ZMQ_IMMEDIATE (no
/// pipe, hence no id, until connected), as libzmq.
#[no_mangle]
pub unsafe extern "C" fn zmq_connect_peer(s: *mut c_void, addr: *const c_char) -> u32 {
    ffi! {
        with_socket(s, |sock| {
            if sock.socket_type() != crate::socket::pattern::kind::PEER {
                return Err(Error::NotSupported);
            }
            if sock.options.immediate {
                return Err(Error::Fault);
            }
            sock.connect(unsafe { c_str(addr) }?)?;
            Ok(sock.last_peer_routing_id())
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket_get_peer_state(
    s: *mut c_void,
    routing_id: *const c_void,
    size: usize,
) -> c_int {
    ffi! {
        with_socket(s, |sock| {
            let id = unsafe { super::c_bytes(routing_id, size, Error::Fault) }?;
            sock.peer_state(id)
        })
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_socket_monitor_versioned(
    s: *mut c_void,
    addr: *const c_char,
    events: u64,
    event_version: c_int,
    type_: c_int,
) -> c_int {
    ffi! { unsafe { super::socket::socket_monitor(s, addr, events, event_version, type_) } }
}

#[no_mangle]
pub extern "C" fn zmq_socket_monitor_pipes_stats(s: *mut c_void) -> c_int {
    ffi! { super::socket::with_socket(s, |sock| sock.monitor_pipes_stats().map(|()| 0)) }
}

// zmq_poller_*: handles are cells of their own registry (libzmq's poller
// tag, 0xCAFEBABE), so NULL, foreign and destroyed pollers give EFAULT.

const POLLER_TAG: u32 = 0xcafe_babe;

static POLLERS: Registry<Poller> = Registry::new(POLLER_TAG);

/// Runs `f` on the poller behind a C handle; EFAULT for NULL, foreign or
/// destroyed ones.
fn with_poller<T>(
    p: *mut c_void,
    f: impl FnOnce(&mut Poller) -> Result<T, Error>,
) -> Result<T, Error> {
    // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
    let cell = unsafe { POLLERS.get(p) }.ok_or(Error::Fault)?;
    let mut guard = cell.value().lock();
    f(guard.as_mut().ok_or(Error::Fault)?)
}

/// The poller target for a socket handle: ENOTSOCK for NULL, foreign or
/// closed sockets (checked after the poller, as libzmq orders it).
fn socket_target(s: *mut c_void) -> Result<Target, Error> {
    // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
    let cell = unsafe { SOCKETS.get(s) }.ok_or(Error::NotSocket)?;
    Ok(Target::Socket(cell))
}

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    ffi! { Ok(POLLERS.insert(Poller::new()) as *const Cell<Poller> as *mut c_void) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    ffi! {
        if poller_p.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: the caller passes a readable, writable pointer slot.
        let p = unsafe { *poller_p };
        // SAFETY: NULL or a handle pointer; foreign pointers are refused by tag.
        let cell = unsafe { POLLERS.get(p) }.ok_or(Error::Fault)?;
        POLLERS.remove(cell).ok_or(Error::Fault)?;
        // SAFETY: as above.
        unsafe { *poller_p = std::ptr::null_mut() };
        Ok(0)
    }
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(poller: *mut c_void) -> c_int {
    ffi! { with_poller(poller, |p| Ok(p.size().min(c_int::MAX as usize) as c_int)) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    poller: *mut c_void,
    socket: *mut c_void,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    ffi! {
        with_poller(poller, |p| p.add(socket_target(socket)?, user_data as usize, events).map(|()| 0))
    }
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(
    poller: *mut c_void,
    socket: *mut c_void,
    events: c_short,
) -> c_int {
    ffi! { with_poller(poller, |p| p.modify(socket_target(socket)?, events).map(|()| 0)) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(poller: *mut c_void, socket: *mut c_void) -> c_int {
    ffi! { with_poller(poller, |p| p.remove(socket_target(socket)?).map(|()| 0)) }
}

/// An event slot with nothing in it, as libzmq leaves unused or failed ones.
const NO_EVENT: zmq_poller_event_t = zmq_poller_event_t {
    socket: std::ptr::null_mut(),
    fd: -1,
    user_data: std::ptr::null_mut(),
    events: 0,
};

fn c_event(e: &Event) -> zmq_poller_event_t {
    match e.target {
        Target::Socket(cell) => zmq_poller_event_t {
            socket: cell as *const Cell<Socket> as *mut c_void,
            fd: -1,
            user_data: e.user_data as *mut c_void,
            events: e.events,
        },
        Target::Fd(fd) => zmq_poller_event_t {
            socket: std::ptr::null_mut(),
            fd,
            user_data: e.user_data as *mut c_void,
            events: e.events,
        },
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait(
    poller: *mut c_void,
    event: *mut zmq_poller_event_t,
    timeout: c_long,
) -> c_int {
    // SAFETY: forwarded caller guarantee: event points to one event slot.
    let rc = unsafe { zmq_poller_wait_all(poller, event, 1, timeout) };
    if rc < 0 && !event.is_null() {
        // SAFETY: as above.
        unsafe { event.write(NO_EVENT) };
    }
    rc.min(0)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_poller_wait_all(
    poller: *mut c_void,
    events: *mut zmq_poller_event_t,
    n_events: c_int,
    timeout: c_long,
) -> c_int {
    ffi! {
        with_poller(poller, |p| {
            if events.is_null() {
                return Err(Error::Fault);
            }
            if n_events < 0 {
                return Err(Error::Invalid);
            }
            let mut found = Vec::new();
            let n = p.wait(&mut found, n_events as usize, timeout)?;
            // SAFETY: the caller passes an array of n_events writable slots.
            let slots = unsafe { std::slice::from_raw_parts_mut(events, n_events as usize) };
            for (i, slot) in slots.iter_mut().enumerate() {
                *slot = found.get(i).map_or(NO_EVENT, c_event);
            }
            Ok(n as c_int)
        })
    }
}

/// The poller's own signal fd, which exists once a thread-safe socket was
/// added (EINVAL before, as libzmq). It becomes readable when one of them
/// may have changed: then `zmq_poller_wait` with a 0 timeout tells which.
#[no_mangle]
pub unsafe extern "C" fn zmq_poller_fd(poller: *mut c_void, fd: *mut zmq_fd_t) -> c_int {
    ffi! {
        with_poller(poller, |p| {
            let value = p.fd()?;
            if fd.is_null() {
                return Err(Error::Fault);
            }
            // SAFETY: the caller passes a writable zmq_fd_t.
            unsafe { fd.write(value) };
            Ok(0)
        })
    }
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    poller: *mut c_void,
    fd: zmq_fd_t,
    user_data: *mut c_void,
    events: c_short,
) -> c_int {
    ffi! { with_poller(poller, |p| p.add(Target::Fd(fd), user_data as usize, events).map(|()| 0)) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(
    poller: *mut c_void,
    fd: zmq_fd_t,
    events: c_short,
) -> c_int {
    ffi! { with_poller(poller, |p| p.modify(Target::Fd(fd), events).map(|()| 0)) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(poller: *mut c_void, fd: zmq_fd_t) -> c_int {
    ffi! { with_poller(poller, |p| p.remove(Target::Fd(fd)).map(|()| 0)) }
}

/// `zmq_ppoll` (draft, libzmq 4.3.5): `zmq_poll` whose waits run with
/// `sigmask` as the thread's signal mask (`ppoll(2)`); NULL is `zmq_poll`.
#[no_mangle]
pub unsafe extern "C" fn zmq_ppoll(
    items: *mut super::types::zmq_pollitem_t,
    nitems: c_int,
    timeout: c_long,
    sigmask: *const libc::sigset_t,
) -> c_int {
    ffi! {
        // SAFETY: NULL or the caller's signal set.
        let mask = unsafe { sigmask.as_ref() };
        // SAFETY: forwarded caller guarantee (an array of nitems items).
        unsafe { super::socket::poll_items(items, nitems, timeout, mask) }
    }
}
