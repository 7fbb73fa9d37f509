//! zmq.h, messages: `zmq_msg_*` (send/recv are in `socket.rs`).

use std::ffi::c_void;
use std::os::raw::{c_char, c_int};

use super::consts::{ZMQ_MORE, ZMQ_SHARED, ZMQ_SRCFD};
use super::types::{zmq_free_fn, zmq_msg_t};
use super::{c_str, ffi};
use crate::error::Error;
use crate::msg::{self, Msg};

/// The message at `p`, or EFAULT if it is NULL, closed or never initialised.
///
/// # Safety
/// `p` is NULL or points to a `zmq_msg_t`.
pub(crate) unsafe fn msg_ref<'a>(p: *const zmq_msg_t) -> Result<&'a Msg, Error> {
    // SAFETY: forwarded caller guarantee.
    unsafe { msg::check(p.cast()) }.ok_or(Error::Fault)
}

/// Mutable form of [`msg_ref`].
///
/// # Safety
/// As [`msg_ref`]; the caller has exclusive use of the message.
pub(crate) unsafe fn msg_mut<'a>(p: *mut zmq_msg_t) -> Result<&'a mut Msg, Error> {
    // SAFETY: forwarded caller guarantee.
    unsafe { msg::check_mut(p.cast()) }.ok_or(Error::Fault)
}

/// Writes a fresh message into caller memory, or EFAULT for NULL.
///
/// # Safety
/// `p` is NULL or points to a writable `zmq_msg_t`.
pub(crate) unsafe fn msg_init_with(p: *mut zmq_msg_t, m: Msg) -> Result<c_int, Error> {
    if p.is_null() {
        return Err(Error::Fault);
    }
    // SAFETY: non-null, and the caller provides a zmq_msg_t.
    unsafe { msg::write(p.cast(), m) };
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init(msg: *mut zmq_msg_t) -> c_int {
    ffi! { unsafe { msg_init_with(msg, Msg::new()) } }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_size(msg: *mut zmq_msg_t, size: usize) -> c_int {
    ffi! {
        if msg.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: non-null, and the caller provides a zmq_msg_t.
        unsafe { msg::init_size(msg.cast(), size) }?;
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_init_data(
    msg: *mut zmq_msg_t,
    data: *mut c_void,
    size: usize,
    ffn: Option<zmq_free_fn>,
    hint: *mut c_void,
) -> c_int {
    ffi! {
        // A NULL message is refused before the buffer is adopted, so the
        // free function is not called for a failed init.
        if msg.is_null() {
            return Err(Error::Fault);
        }
        // libzmq asserts here; a NULL buffer with a size is refused instead.
        if data.is_null() && size != 0 {
            return Err(Error::Invalid);
        }
        // SAFETY: the caller owns `data` for `size` bytes until ffn releases it.
        let m = unsafe { Msg::from_user_buffer(data, size, ffn, hint) };
        unsafe { msg_init_with(msg, m) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_close(msg: *mut zmq_msg_t) -> c_int {
    ffi! {
        unsafe { msg_mut(msg) }?;
        // SAFETY: validated just above.
        unsafe { msg::close(msg.cast()) };
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_move(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    ffi! {
        let s = unsafe { msg_mut(src) }?;
        if dest == src {
            return Ok(0);
        }
        let d = unsafe { msg_mut(dest) }?;
        *d = s.take();
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_copy(dest: *mut zmq_msg_t, src: *mut zmq_msg_t) -> c_int {
    ffi! {
        unsafe { msg_ref(src) }?;
        if dest == src {
            return Ok(0);
        }
        // The destination is checked before the source is touched: a failed
        // copy leaves the source exactly as it was (not marked shared).
        unsafe { msg_ref(dest) }?;
        let copy = unsafe { msg_mut(src) }?.share();
        *unsafe { msg_mut(dest) }? = copy;
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_data(msg: *mut zmq_msg_t) -> *mut c_void {
    ffi! { Ok(unsafe { msg_mut(msg) }?.data_ptr().cast()) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_size(msg: *const zmq_msg_t) -> usize {
    ffi! { Ok(unsafe { msg_ref(msg) }?.size()) }
}

/// Property lookups behave as libzmq's, which reads them without
/// validating the message: an unknown property is EINVAL whatever the
/// message, and a closed or zeroed message has no flags set. Unlike libzmq,
/// a NULL message never crashes.
#[no_mangle]
pub unsafe extern "C" fn zmq_msg_more(msg: *const zmq_msg_t) -> c_int {
    // SAFETY: same contract.
    unsafe { zmq_msg_get(msg, ZMQ_MORE) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_get(msg: *const zmq_msg_t, property: c_int) -> c_int {
    ffi! {
        let m = unsafe { msg_ref(msg) }.ok();
        match property {
            ZMQ_MORE => Ok(m.is_some_and(Msg::more) as c_int),
            // The source fd travels as the "__fd" property, as in libzmq;
            // without it the answer is -1 with EINVAL.
            ZMQ_SRCFD => m
                .and_then(|m| m.property(b"__fd"))
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .ok_or(Error::Invalid),
            ZMQ_SHARED => Ok(m.is_some_and(Msg::is_shared) as c_int),
            _ => Err(Error::Invalid),
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_set(
    _msg: *mut zmq_msg_t,
    _property: c_int,
    _optval: c_int,
) -> c_int {
    // No settable properties, as in libzmq.
    ffi! { Err::<c_int, _>(Error::Invalid) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_msg_gets(
    msg: *const zmq_msg_t,
    property: *const c_char,
) -> *const c_char {
    ffi! {
        // An invalid message has no metadata: EINVAL, as libzmq answers.
        let m = unsafe { msg_ref(msg) }.map_err(|_| Error::Invalid)?;
        let name = unsafe { c_str(property) }?;
        m.property(name).map(|v| v.as_ptr()).ok_or(Error::Invalid)
    }
}
