//! The public C types of zmq.h. `zmq_msg_t` and the function typedefs are
//! written into the header by hand (cbindgen.toml) because libzmq declares
//! them with forms cbindgen cannot emit (an alignment attribute of
//! `sizeof(void*)`, and function types rather than function-pointer types);
//! the Rust definitions here have the identical layout.
#![allow(non_camel_case_types)]

use std::ffi::c_void;
use std::os::raw::{c_int, c_short};

/// The caller-allocated message: 64 opaque bytes, pointer aligned.
#[repr(C, align(8))]
pub struct zmq_msg_t {
    pub _opaque: [u8; 64],
}

const _: () = assert!(std::mem::size_of::<zmq_msg_t>() == crate::msg::MSG_T_SIZE);

/// A file descriptor (an `int` on POSIX).
pub type zmq_fd_t = c_int;

/// `typedef void (zmq_free_fn)(void *data, void *hint);`
pub type zmq_free_fn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);
/// `typedef void (zmq_thread_fn)(void *);`
pub type zmq_thread_fn = unsafe extern "C" fn(arg: *mut c_void);
/// `typedef void (zmq_timer_fn)(int timer_id, void *arg);`
pub type zmq_timer_fn = unsafe extern "C" fn(timer_id: c_int, arg: *mut c_void);

/// One entry of `zmq_poll`'s array: a socket, or a plain fd when socket is NULL.
#[repr(C)]
pub struct zmq_pollitem_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub events: c_short,
    pub revents: c_short,
}

/// One ready item reported by `zmq_poller_wait(_all)`.
#[cfg(feature = "draft")]
#[repr(C)]
pub struct zmq_poller_event_t {
    pub socket: *mut c_void,
    pub fd: zmq_fd_t,
    pub user_data: *mut c_void,
    pub events: c_short,
}

/// `struct iovec`, declared opaque in zmq.h (`struct iovec;`).
#[repr(C)]
pub struct iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}
