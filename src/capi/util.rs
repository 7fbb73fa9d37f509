//! zmq.h, utilities: errors, version, capabilities, Z85 and CURVE keys,
//! atomic counters, timers, stopwatches, sleep and threads.

use std::ffi::c_void;
use std::os::raw::{c_char, c_int, c_long, c_ulong};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use super::consts::{ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH};
use super::types::{zmq_thread_fn, zmq_timer_fn};
use super::{c_str, errno, ffi};
use crate::error::{zmq_error_text, Error};
use crate::util::{timers::Timers, z85};

#[no_mangle]
pub extern "C" fn zmq_errno() -> c_int {
    errno()
}

#[no_mangle]
pub extern "C" fn zmq_strerror(errnum: c_int) -> *const c_char {
    match zmq_error_text(errnum) {
        Some(text) => text.as_ptr().cast(),
        // SAFETY: strerror returns a pointer to a static or thread-local
        // string, as libzmq returns it.
        None => unsafe { libc::strerror(errnum) },
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) {
    ffi! {
        for (p, v) in [(major, ZMQ_VERSION_MAJOR), (minor, ZMQ_VERSION_MINOR), (patch, ZMQ_VERSION_PATCH)] {
            if !p.is_null() {
                // SAFETY: caller passes writable ints (NULL is skipped).
                unsafe { *p = v };
            }
        }
        Ok(())
    }
}

/// Capabilities this build provides, by `zmq_has` name.
/// libzmq 4.3 spells the WebSocket transports in capitals ("WS", "WSS").
const CAPABILITIES: &[&[u8]] = &[b"ipc", b"curve", b"WS", b"WSS"];

/// "draft": the draft API is built (libzmq's ZMQ_BUILD_DRAFT_API).
const DRAFT: bool = cfg!(feature = "draft");

#[no_mangle]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    ffi! {
        let name = unsafe { c_str(capability) }.unwrap_or(b"");
        Ok((CAPABILITIES.contains(&name) || (DRAFT && name == b"draft")) as c_int)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_z85_encode(
    dest: *mut c_char,
    data: *const u8,
    size: usize,
) -> *mut c_char {
    ffi! {
        if dest.is_null() || (data.is_null() && size != 0) {
            return Err(Error::Invalid);
        }
        // SAFETY: caller provides `size` readable bytes.
        let input = if size == 0 { &[][..] } else { unsafe { super::c_slice(data, size) }.ok_or(Error::Invalid)? };
        let text = z85::encode(input).ok_or(Error::Invalid)?;
        // SAFETY: caller provides size*5/4+1 writable bytes, as documented.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
            *dest.add(text.len()) = 0;
        }
        Ok(dest)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    ffi! {
        if dest.is_null() {
            return Err(Error::Invalid);
        }
        let text = unsafe { c_str(string) }?;
        let bytes = z85::decode(text).ok_or(Error::Invalid)?;
        // SAFETY: caller provides strlen*4/5 writable bytes, as documented.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dest, bytes.len()) };
        Ok(dest)
    }
}

/// Writes `key` as 40 Z85 characters and a NUL at `dest`.
///
/// # Safety
/// `dest` is valid for 41 bytes.
unsafe fn write_z85_key(dest: *mut c_char, key: &[u8; 32]) -> Result<(), Error> {
    let text = z85::encode(key).ok_or(Error::Invalid)?;
    // SAFETY: the caller's promise: 41 writable bytes (40 + NUL).
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
        *dest.add(text.len()) = 0;
    }
    Ok(())
}

/// A new CURVE key pair, each key as 40 Z85 characters plus NUL.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> c_int {
    ffi! {
        if z85_public_key.is_null() || z85_secret_key.is_null() {
            return Err(Error::Invalid);
        }
        let (public, secret) = crate::zmtp::curve::keypair().map_err(|_| Error::Os(libc::EIO))?;
        // SAFETY: the caller provides 41 bytes at each, as documented.
        unsafe {
            write_z85_key(z85_public_key, &public)?;
            write_z85_key(z85_secret_key, &secret)?;
        }
        Ok(0)
    }
}

/// The public key of a Z85 secret key, as 40 Z85 characters plus NUL.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> c_int {
    ffi! {
        if z85_public_key.is_null() {
            return Err(Error::Invalid);
        }
        // SAFETY: a NUL-terminated string, as documented.
        let text = unsafe { c_str(z85_secret_key) }?;
        let bytes = z85::decode(text).ok_or(Error::Invalid)?;
        let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| Error::Invalid)?;
        let public = crate::zmtp::curve::public_key(&secret).map_err(|_| Error::Os(libc::EIO))?;
        // SAFETY: the caller provides 41 bytes.
        unsafe { write_z85_key(z85_public_key, &public) }?;
        Ok(0)
    }
}

// ---- tagged handles ----------------------------------------------------

/// A heap object behind a C handle (counter, stopwatch, thread). The tag
/// comes first, so a pointer that is no such handle (a foreign object, zeroed
/// memory, one already destroyed) is refused with EFAULT instead of being
/// used or freed, which in libzmq crashes.
#[repr(C)]
struct Tagged<T> {
    tag: u32,
    value: T,
}

const COUNTER_TAG: u32 = 0x3c0f_a7e1;
const STOPWATCH_TAG: u32 = 0x5e7a_0b19;
const THREAD_TAG: u32 = 0x7d2c_4e83;

fn new_tagged<T>(tag: u32, value: T) -> *mut c_void {
    Box::into_raw(Box::new(Tagged { tag, value })).cast::<c_void>()
}

/// # Safety
/// `p` is NULL or points to at least 4 readable bytes.
unsafe fn has_tag(p: *mut c_void, tag: u32) -> bool {
    // SAFETY: non-null and readable by the caller's contract; unaligned, as
    // a foreign pointer may be.
    !p.is_null() && unsafe { std::ptr::read_unaligned(p.cast::<u32>()) } == tag
}

/// The object behind a live handle of this kind.
///
/// # Safety
/// As [`has_tag`]; a pointer with the tag came from [`new_tagged`] with `T`.
unsafe fn tagged<'a, T>(p: *mut c_void, tag: u32) -> Result<&'a T, Error> {
    // SAFETY: forwarded contract.
    if !unsafe { has_tag(p, tag) } {
        return Err(Error::Fault);
    }
    // SAFETY: the tag says it is a live Tagged<T>.
    Ok(unsafe { &(*p.cast::<Tagged<T>>()).value })
}

/// Takes a live handle back (its tag cleared, so a second destroy is
/// refused).
///
/// # Safety
/// As [`tagged`]; the handle is not used afterwards.
unsafe fn take_tagged<T>(p: *mut c_void, tag: u32) -> Result<T, Error> {
    // SAFETY: forwarded contract.
    if !unsafe { has_tag(p, tag) } {
        return Err(Error::Fault);
    }
    // SAFETY: the tag says it is a live Tagged<T> from Box::into_raw.
    let mut b = unsafe { Box::from_raw(p.cast::<Tagged<T>>()) };
    b.tag = 0;
    Ok(b.value)
}

// ---- atomic counters ----------------------------------------------------

#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    ffi! { Ok(new_tagged(COUNTER_TAG, AtomicI32::new(0))) }
}

/// # Safety
/// `counter` is NULL or came from `zmq_atomic_counter_new`.
unsafe fn counter<'a>(counter: *mut c_void) -> Result<&'a AtomicI32, Error> {
    // SAFETY: caller guarantee; NULL and foreign pointers are refused.
    unsafe { tagged(counter, COUNTER_TAG) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter_: *mut c_void, value: c_int) {
    ffi! {
        unsafe { counter(counter_) }?.store(value, Ordering::SeqCst);
        Ok(())
    }
}

/// Returns the value before the increment, as libzmq does.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter_: *mut c_void) -> c_int {
    ffi! { Ok(unsafe { counter(counter_) }?.fetch_add(1, Ordering::AcqRel)) }
}

/// Returns 1 while the counter is still non-zero after the decrement, else 0.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter_: *mut c_void) -> c_int {
    ffi! { Ok((unsafe { counter(counter_) }?.fetch_sub(1, Ordering::AcqRel) - 1 != 0) as c_int) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter_: *mut c_void) -> c_int {
    ffi! { Ok(unsafe { counter(counter_) }?.load(Ordering::SeqCst)) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    ffi! {
        if counter_p.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: caller passes the address of a counter pointer.
        let p = unsafe { *counter_p };
        if !p.is_null() {
            // SAFETY: created by zmq_atomic_counter_new (checked by tag).
            unsafe { take_tagged::<AtomicI32>(p, COUNTER_TAG) }?;
        }
        // SAFETY: as above.
        unsafe { *counter_p = std::ptr::null_mut() };
        Ok(())
    }
}

// ---- timers ----------------------------------------------------------------

const TIMERS_TAG: u32 = 0x9b3a_1f27;

/// A timer set behind a C handle; the tag catches foreign and destroyed ones.
#[repr(C)]
struct TimersHandle {
    tag: u32,
    timers: Timers,
}

/// # Safety
/// `p` is NULL or came from `zmq_timers_new`.
unsafe fn timers<'a>(p: *mut c_void) -> Result<&'a mut Timers, Error> {
    // SAFETY: caller guarantee; NULL and wrong tags are refused.
    let h = unsafe { p.cast::<TimersHandle>().as_mut() }.ok_or(Error::Fault)?;
    if h.tag != TIMERS_TAG {
        return Err(Error::Fault);
    }
    Ok(&mut h.timers)
}

#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    ffi! {
        let h = Box::new(TimersHandle { tag: TIMERS_TAG, timers: Timers::new() });
        Ok(Box::into_raw(h).cast::<c_void>())
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    ffi! {
        if timers_p.is_null() {
            return Err(Error::Fault);
        }
        // SAFETY: caller passes the address of a timers handle.
        let p = unsafe { *timers_p };
        unsafe { timers(p) }?;
        // SAFETY: validated; created by Box in zmq_timers_new.
        let mut h = unsafe { Box::from_raw(p.cast::<TimersHandle>()) };
        h.tag = 0;
        drop(h);
        unsafe { *timers_p = std::ptr::null_mut() };
        Ok(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_add(
    timers_: *mut c_void,
    interval: usize,
    handler: Option<zmq_timer_fn>,
    arg: *mut c_void,
) -> c_int {
    ffi! {
        let t = unsafe { timers(timers_) }?;
        let handler = handler.ok_or(Error::Fault)?;
        Ok(t.add(interval, handler, arg))
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_cancel(timers_: *mut c_void, timer_id: c_int) -> c_int {
    ffi! { unsafe { timers(timers_) }?.cancel(timer_id).map(|()| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_set_interval(
    timers_: *mut c_void,
    timer_id: c_int,
    interval: usize,
) -> c_int {
    ffi! { unsafe { timers(timers_) }?.set_interval(timer_id, interval).map(|()| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_reset(timers_: *mut c_void, timer_id: c_int) -> c_int {
    ffi! { unsafe { timers(timers_) }?.reset(timer_id).map(|()| 0) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_timeout(timers_: *mut c_void) -> c_long {
    ffi! { Ok(unsafe { timers(timers_) }?.timeout() as c_long) }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_timers_execute(timers_: *mut c_void) -> c_int {
    ffi! {
        let (now, due) = unsafe { timers(timers_) }?.due();
        for id in due {
            // Re-borrow per timer: a handler may cancel or reset timers of this
            // set, so no borrow is held while it runs.
            let Some((handler, arg)) = unsafe { timers(timers_) }?.fire(id, now) else { continue };
            // SAFETY: the application registered this handler for this arg.
            unsafe { handler(id, arg) };
        }
        Ok(0)
    }
}

// ---- stopwatch, sleep, threads ---------------------------------------------

#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    ffi! { Ok(new_tagged(STOPWATCH_TAG, Instant::now())) }
}

/// Microseconds since `zmq_stopwatch_start`.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    ffi! {
        // SAFETY: caller passes a stopwatch; foreign pointers are refused.
        let start = unsafe { tagged::<Instant>(watch, STOPWATCH_TAG) }?;
        Ok(start.elapsed().as_micros() as c_ulong)
    }
}

/// Microseconds since start; frees the stopwatch.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    ffi! {
        // SAFETY: same contract.
        let start = unsafe { take_tagged::<Instant>(watch, STOPWATCH_TAG) }?;
        Ok(start.elapsed().as_micros() as c_ulong)
    }
}

#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    ffi! {
        std::thread::sleep(Duration::from_secs(seconds.max(0) as u64));
        Ok(())
    }
}

/// Carries the C function and argument across to the new thread.
struct ThreadStart {
    func: zmq_thread_fn,
    arg: *mut c_void,
}
// SAFETY: the application hands `arg` to its own function on another thread,
// exactly as it would with pthread_create.
unsafe impl Send for ThreadStart {}

#[no_mangle]
pub unsafe extern "C" fn zmq_threadstart(
    func: Option<zmq_thread_fn>,
    arg: *mut c_void,
) -> *mut c_void {
    ffi! {
        let start = ThreadStart { func: func.ok_or(Error::Invalid)?, arg };
        let handle = std::thread::Builder::new()
            .name("ZMQapp".into())
            .spawn(move || {
                // As libzmq's zmq_threadstart: the thread takes no signals.
                crate::util::signals::block_all();
                let start = start;
                // A panic cannot come from C code; guard anyway so an unwind
                // never crosses the C function's frame boundary.
                // SAFETY: the application's own function and argument.
                let _ = std::panic::catch_unwind(|| unsafe { (start.func)(start.arg) });
            })
            .map_err(Error::from)?;
        Ok(new_tagged(THREAD_TAG, handle))
    }
}

#[no_mangle]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    ffi! {
        // SAFETY: created by zmq_threadstart (checked by tag); joined and
        // freed once.
        let handle = unsafe { take_tagged::<std::thread::JoinHandle<()>>(thread, THREAD_TAG) }?;
        let _ = handle.join();
        Ok(())
    }
}
