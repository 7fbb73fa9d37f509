//! Stable C handles for contexts and sockets.
//!
//! A handle is a small heap cell whose first word is a tag. The C boundary
//! checks the tag before use, so a NULL, foreign, closed or terminated handle
//! gives ENOTSOCK/EFAULT instead of undefined behaviour. Cells are never
//! returned to the allocator: a closed cell is tagged dead and recycled for the
//! next handle of its kind, so a stale pointer always points at readable memory
//! (libzmq frees it, and using it crashes). Memory stays bounded by the largest
//! number of live handles a program ever had.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// Tag of a dead (closed or terminated) cell.
pub const DEAD: u32 = 0xdead_c0de;

/// A handle cell: the tag, then the object it stands for.
#[repr(C)]
pub struct Cell<T> {
    tag: AtomicU32,
    value: CallLock<Option<T>>,
}

impl<T> Cell<T> {
    /// The object, while the cell is live.
    pub fn value(&self) -> &CallLock<Option<T>> {
        &self.value
    }
}

/// The lock every API call on a handle takes: it makes concurrent misuse of a
/// non-thread-safe socket (libzmq: undefined behaviour) merely serialised.
///
/// Built for the uncontended case, which is every correct program: taking it
/// is one atomic swap and releasing it one plain store (a mutex would pay a
/// second locked instruction to look for parked waiters). Contention only
/// arises from misuse or from `zmq_close`/`zmq_ctx_*` racing a call, so the
/// waiter simply backs off: spins briefly, yields, then sleeps up to 1 ms.
pub struct CallLock<T> {
    held: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and `held` admits one
// guard at a time (Acquire on taking, Release on dropping).
unsafe impl<T: Send> Sync for CallLock<T> {}
// SAFETY: moving the lock moves the value; T: Send suffices.
unsafe impl<T: Send> Send for CallLock<T> {}

impl<T> CallLock<T> {
    pub const fn new(value: T) -> CallLock<T> {
        CallLock {
            held: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    #[inline]
    pub fn lock(&self) -> CallGuard<'_, T> {
        if self.held.swap(true, Ordering::Acquire) {
            self.lock_contended();
        }
        CallGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut round = 0u32;
        loop {
            if !self.held.load(Ordering::Relaxed) && !self.held.swap(true, Ordering::Acquire) {
                return;
            }
            round += 1;
            if round < 64 {
                std::hint::spin_loop();
            } else if round < 128 {
                std::thread::yield_now();
            } else {
                let us = 10u64 << ((round - 128).min(7));
                std::thread::sleep(Duration::from_micros(us));
            }
        }
    }
}

/// Access to a [`CallLock`]'s value; releases it when dropped.
pub struct CallGuard<'a, T> {
    lock: &'a CallLock<T>,
}

impl<T> std::ops::Deref for CallGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: this guard is the only one (see CallLock's Sync impl).
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> std::ops::DerefMut for CallGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for deref; `&mut self` makes the borrow unique.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for CallGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.lock.held.store(false, Ordering::Release);
    }
}

/// A free list of dead cells of one kind, recycled before allocating.
pub struct Registry<T: 'static> {
    tag: u32,
    free: Mutex<Vec<&'static Cell<T>>>,
}

impl<T: 'static> Registry<T> {
    pub const fn new(tag: u32) -> Registry<T> {
        Registry {
            tag,
            free: Mutex::new(Vec::new()),
        }
    }

    /// A live cell holding `value`; its address is the C handle.
    pub fn insert(&self, value: T) -> &'static Cell<T> {
        let cell = match self.free.lock().pop() {
            Some(cell) => {
                *cell.value.lock() = Some(value);
                cell
            }
            None => Box::leak(Box::new(Cell {
                tag: AtomicU32::new(DEAD),
                value: CallLock::new(Some(value)),
            })),
        };
        // Release: the value written above is visible to whoever sees the tag.
        cell.tag.store(self.tag, Ordering::Release);
        cell
    }

    /// The live cell behind a C handle, or `None` for NULL, foreign or dead ones.
    ///
    /// # Safety
    /// `p` must be NULL or point to at least 4 readable bytes (libzmq makes the
    /// same demand; any handle this registry ever gave out qualifies forever).
    #[inline]
    pub unsafe fn get(&self, p: *const std::ffi::c_void) -> Option<&'static Cell<T>> {
        if p.is_null() || p.align_offset(std::mem::align_of::<Cell<T>>()) != 0 {
            return None;
        }
        // SAFETY: the caller promises readable memory; the tag is read as a
        // plain u32 before anything else is trusted.
        let tag = unsafe { (*p.cast::<AtomicU32>()).load(Ordering::Acquire) };
        if tag != self.tag {
            return None;
        }
        // SAFETY: the tag says this registry created the cell, and cells are
        // never freed, so the 'static reference stays valid.
        Some(unsafe { &*p.cast::<Cell<T>>() })
    }

    /// Marks the cell dead and queues it for reuse; returns its value.
    pub fn remove(&self, cell: &'static Cell<T>) -> Option<T> {
        if cell
            .tag
            .compare_exchange(self.tag, DEAD, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return None; // already removed by another thread
        }
        let value = cell.value.lock().take();
        self.free.lock().push(cell);
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static REG: Registry<u32> = Registry::new(0x1234_5678);

    #[test]
    fn call_lock_serialises_concurrent_callers() {
        let lock = std::sync::Arc::new(CallLock::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        let mut g = lock.lock();
                        // A non-atomic read-modify-write: lost updates would
                        // show if two guards ever overlapped.
                        let v = *g;
                        std::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 80_000);
    }

    #[test]
    fn dead_handles_are_refused_and_recycled() {
        let cell = REG.insert(7);
        let p = cell as *const Cell<u32> as *const std::ffi::c_void;
        // SAFETY: p comes from the registry.
        assert!(unsafe { REG.get(p) }.is_some());
        assert_eq!(REG.remove(cell), Some(7));
        // SAFETY: cells are never freed.
        assert!(unsafe { REG.get(p) }.is_none());
        assert_eq!(REG.remove(cell), None);
        let again = REG.insert(8);
        assert!(std::ptr::eq(again, cell));
        // SAFETY: null is allowed.
        assert!(unsafe { REG.get(std::ptr::null()) }.is_none());
    }
}
