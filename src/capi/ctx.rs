//! zmq.h, contexts: `zmq_ctx_*` and the legacy `zmq_init`/`zmq_term`.

use std::ffi::c_void;
use std::os::raw::c_int;
use std::sync::Arc;

use super::ffi;
use crate::ctx::{opt, Ctx};
use crate::error::Error;
use crate::handle::{Cell, Registry};

/// libzmq's context tag, kept so a core dump reads the same.
const CTX_TAG: u32 = 0xabad_cafe;

pub(crate) static CONTEXTS: Registry<Arc<Ctx>> = Registry::new(CTX_TAG);

/// The context behind a C handle, or EFAULT.
///
/// # Safety
/// `p` is NULL or a pointer the caller got from this library (or any readable
/// memory: foreign pointers are refused by tag).
pub(crate) unsafe fn ctx_cell(p: *mut c_void) -> Result<&'static Cell<Arc<Ctx>>, Error> {
    // SAFETY: forwarded caller guarantee.
    unsafe { CONTEXTS.get(p) }.ok_or(Error::Fault)
}

/// The context behind a C handle, or EFAULT.
///
/// # Safety
/// As [`ctx_cell`].
pub(crate) unsafe fn ctx_arc(p: *mut c_void) -> Result<Arc<Ctx>, Error> {
    // SAFETY: forwarded caller guarantee.
    unsafe { ctx_cell(p) }?
        .value()
        .lock()
        .clone()
        .ok_or(Error::Fault)
}

#[no_mangle]
pub extern "C" fn zmq_ctx_new() -> *mut c_void {
    ffi! {
        let cell = CONTEXTS.insert(Arc::new(Ctx::new()));
        Ok(cell as *const Cell<Arc<Ctx>> as *mut c_void)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_term(context: *mut c_void) -> c_int {
    ffi! {
        let cell = unsafe { ctx_cell(context) }?;
        let ctx = cell.value().lock().clone().ok_or(Error::Fault)?;
        ctx.terminate();
        // A concurrent term of the same context may have won: both succeed.
        CONTEXTS.remove(cell);
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_shutdown(context: *mut c_void) -> c_int {
    ffi! {
        unsafe { ctx_arc(context) }?.shutdown();
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int {
    ffi! {
        unsafe { ctx_arc(context) }?.set_option(option, &optval.to_ne_bytes())?;
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int {
    ffi! { unsafe { ctx_arc(context) }?.get_option(option) }
}

#[no_mangle]
pub extern "C" fn zmq_init(io_threads: c_int) -> *mut c_void {
    ffi! {
        if io_threads < 0 {
            return Err(Error::Invalid);
        }
        let ctx = Ctx::new();
        ctx.set_option(opt::IO_THREADS, &io_threads.to_ne_bytes())?;
        Ok(CONTEXTS.insert(Arc::new(ctx)) as *const Cell<Arc<Ctx>> as *mut c_void)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_term(context: *mut c_void) -> c_int {
    // SAFETY: same contract.
    unsafe { zmq_ctx_term(context) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_destroy(context: *mut c_void) -> c_int {
    // SAFETY: same contract.
    unsafe { zmq_ctx_term(context) }
}

#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_set_ext(
    context: *mut c_void,
    option: c_int,
    optval: *const c_void,
    optvallen: usize,
) -> c_int {
    ffi! {
        let ctx = unsafe { ctx_arc(context) }?;
        // Option values are small: an impossible length is EINVAL, as in libzmq.
        let value = unsafe { super::c_bytes(optval, optvallen, Error::Invalid) }
            .map_err(|_| Error::Invalid)?;
        ctx.set_option(option, value)?;
        Ok(0)
    }
}

#[cfg(feature = "draft")]
#[no_mangle]
pub unsafe extern "C" fn zmq_ctx_get_ext(
    context: *mut c_void,
    option: c_int,
    optval: *mut c_void,
    optvallen: *mut usize,
) -> c_int {
    ffi! {
        let ctx = unsafe { ctx_arc(context) }?;
        if optval.is_null() || optvallen.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: caller provides *optvallen writable bytes.
        // As in zmq_getsockopt: the buffer is used up to MAX_OPTION_LEN.
        let len = unsafe { *optvallen }.min(super::MAX_OPTION_LEN);
        let out = unsafe { std::slice::from_raw_parts_mut(optval.cast::<u8>(), len) };
        let written = ctx.get_option_ext(option, out)?;
        // SAFETY: checked non-null above.
        unsafe { *optvallen = written };
        Ok(0)
    }
}
