//! zmq.h, the draft API (`ZMQ_BUILD_DRAFT_API`): message routing ids, groups
//! and buffers work now; socket-level drafts wait for the engine and refuse
//! every socket with ENOTSOCK.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long, c_short};

use super::msg::{msg_init_with, msg_mut};
use super::socket::socket_check;
use super::types::{zmq_fd_t, zmq_msg_t, zmq_poller_event_t};
use super::{c_str, ffi};
use crate::error::Error;
use crate::msg::Msg;

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

#[no_mangle]
pub extern "C" fn zmq_join(s: *mut c_void, _group: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_leave(s: *mut c_void, _group: *const c_char) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_connect_peer(s: *mut c_void, _addr: *const c_char) -> u32 {
    ffi! { socket_check(s).map(|()| 0) }
}

#[no_mangle]
pub extern "C" fn zmq_socket_get_peer_state(
    s: *mut c_void,
    _routing_id: *const c_void,
    _size: usize,
) -> c_int {
    ffi! { socket_check(s).map(|()| 0) }
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

// The poller arrives with the engine; until then it cannot be created.

#[no_mangle]
pub extern "C" fn zmq_poller_new() -> *mut c_void {
    ffi! { Err::<*mut c_void, _>(Error::NotSupported) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_destroy(poller_p: *mut *mut c_void) -> c_int {
    ffi! {
        if poller_p.is_null() { return Err(Error::Fault); }
        Err(Error::Fault)
    }
}

#[no_mangle]
pub extern "C" fn zmq_poller_size(_poller: *mut c_void) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_add(
    _poller: *mut c_void,
    _socket: *mut c_void,
    _user_data: *mut c_void,
    _events: c_short,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify(
    _poller: *mut c_void,
    _socket: *mut c_void,
    _events: c_short,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove(_poller: *mut c_void, _socket: *mut c_void) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait(
    _poller: *mut c_void,
    _event: *mut zmq_poller_event_t,
    _timeout: c_long,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_wait_all(
    _poller: *mut c_void,
    _events: *mut zmq_poller_event_t,
    _n_events: c_int,
    _timeout: c_long,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_fd(_poller: *mut c_void, _fd: *mut zmq_fd_t) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_add_fd(
    _poller: *mut c_void,
    _fd: zmq_fd_t,
    _user_data: *mut c_void,
    _events: c_short,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_modify_fd(
    _poller: *mut c_void,
    _fd: zmq_fd_t,
    _events: c_short,
) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}

#[no_mangle]
pub extern "C" fn zmq_poller_remove_fd(_poller: *mut c_void, _fd: zmq_fd_t) -> c_int {
    ffi! { Err::<c_int, _>(Error::Fault) }
}
