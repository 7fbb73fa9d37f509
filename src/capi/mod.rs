//! The C boundary: every `extern "C"` function of zmq.h, one file per section
//! of the header. Nothing here decides messaging behaviour; each function
//! validates what C handed it, calls the core, and maps `Result` onto libzmq's
//! return conventions (-1/NULL plus errno). Every entry point runs inside
//! [`ffi!`], so a panic never unwinds into C.
//!
//! Safety contract of every exported function: the one zmq.h documents for it
//! (pointers are NULL or point to what the prototype says). Within that
//! contract, no input makes a function crash; NULL and invalid handles are
//! refused with an errno.
#![allow(clippy::missing_safety_doc)]

pub mod consts;
pub mod ctx;
#[cfg(feature = "draft")]
pub mod draft;
pub mod msg;
pub mod socket;
pub mod sockopt;
pub mod types;
pub mod util;

use crate::error::Error;

/// Sets the calling thread's `errno`, which is what `zmq_errno` reports.
#[inline]
pub fn set_errno(e: i32) {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

#[inline]
pub fn errno() -> i32 {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() }
}

/// What a C function returns on failure, by its return type.
pub trait FfiDefault {
    fn failed() -> Self;
}

impl FfiDefault for i32 {
    fn failed() -> Self {
        -1
    }
}
impl FfiDefault for () {
    fn failed() -> Self {}
}
impl FfiDefault for usize {
    fn failed() -> Self {
        0
    }
}
impl FfiDefault for u32 {
    fn failed() -> Self {
        0
    }
}
impl FfiDefault for std::os::raw::c_long {
    fn failed() -> Self {
        -1
    }
}
impl FfiDefault for std::os::raw::c_ulong {
    fn failed() -> Self {
        0
    }
}
impl<T> FfiDefault for *mut T {
    fn failed() -> Self {
        std::ptr::null_mut()
    }
}
impl<T> FfiDefault for *const T {
    fn failed() -> Self {
        std::ptr::null()
    }
}

/// Errno reported when a panic is caught: the call failed for a reason inside
/// the library, not because of the caller's input.
pub const PANIC_ERRNO: i32 = libc::EFAULT;

/// Runs the body of a C entry point: `Ok(v)` returns `v`; `Err(e)` sets errno
/// and returns the type's failure value; a panic is caught, reported the same
/// way, and never unwinds into C.
pub fn guard<T: FfiDefault>(body: impl FnOnce() -> Result<T, Error>) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_errno(e.errno());
            T::failed()
        }
        Err(_) => {
            set_errno(PANIC_ERRNO);
            T::failed()
        }
    }
}

/// Declares the body of an `extern "C"` function as a guarded block returning
/// `Result<T, Error>`.
macro_rules! ffi {
    ($($body:tt)*) => {
        $crate::capi::guard(move || -> ::std::result::Result<_, $crate::error::Error> { $($body)* })
    };
}
pub(crate) use ffi;

/// A (pointer, length) argument as bytes: NULL is allowed only with length
/// 0; otherwise `null_error`. A length no buffer can have (over
/// `isize::MAX`) is refused with ENOMEM, what libzmq's allocation of a copy
/// that size ends in.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes.
pub unsafe fn c_bytes<'a>(
    p: *const std::ffi::c_void,
    len: usize,
    null_error: Error,
) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null_error);
    }
    // SAFETY: non-null and, by the caller's contract, `len` readable bytes.
    unsafe { c_slice(p.cast::<u8>(), len) }.ok_or(Error::NoMemory)
}

/// The most of a caller's option buffer a get-option call uses (every
/// option value is far shorter).
pub(crate) const MAX_OPTION_LEN: usize = 64 * 1024;

/// `slice::from_raw_parts` for a caller's (pointer, count): `None` when
/// no object can be that long (over `isize::MAX` bytes), which would make
/// the slice itself undefined behaviour.
///
/// # Safety
/// `p` is non-null and points to `n` readable `T`s whenever `n` is possible.
pub unsafe fn c_slice<'a, T>(p: *const T, n: usize) -> Option<&'a [T]> {
    if n.checked_mul(std::mem::size_of::<T>())? > isize::MAX as usize {
        return None;
    }
    // SAFETY: the caller's promise, for a length a real object can have.
    Some(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Mutable form of [`c_slice`].
///
/// # Safety
/// As [`c_slice`], for writable `T`s the caller does not otherwise use.
pub unsafe fn c_slice_mut<'a, T>(p: *mut T, n: usize) -> Option<&'a mut [T]> {
    if n.checked_mul(std::mem::size_of::<T>())? > isize::MAX as usize {
        return None;
    }
    // SAFETY: as in `c_slice`.
    Some(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

/// A C string argument as bytes, or EINVAL for NULL.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string.
pub unsafe fn c_str<'a>(p: *const std::os::raw::c_char) -> Result<&'a [u8], Error> {
    if p.is_null() {
        return Err(Error::Invalid);
    }
    // SAFETY: caller guarantees a NUL-terminated string.
    Ok(unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes())
}
