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
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

use crate::util::fence;

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
/// Built for the uncontended case, which is every correct program, and
/// *biased*: once one thread has taken it [`BIAS_AFTER`] times in a row, it
/// becomes that thread's, and its calls take it with plain stores and no
/// locked instruction (a flag `busy` set around the call, checked against
/// the bias with an asymmetric fence, see `util::fence`). Another thread
/// that wants it takes the slow lock, revokes the bias (clears it, runs the
/// heavy fence, waits for `busy` to drop) and proceeds; after
/// [`MAX_REVOCATIONS`] the lock stays unbiased for good, so a socket that
/// keeps changing threads pays a locked swap per call (as before) and no
/// syscalls. Unbiased, taking it is one atomic swap and releasing it one
/// plain store. Contention only arises from misuse or from
/// `zmq_close`/`zmq_ctx_*` racing a call, so a waiter simply backs off:
/// spins briefly, yields, then sleeps up to 1 ms.
pub struct CallLock<T> {
    /// The slow lock.
    held: AtomicBool,
    /// The thread the lock is biased to (`fence::thread_token`), or 0.
    bias: AtomicUsize,
    /// The biased thread is inside a call.
    busy: AtomicBool,
    /// The last slow-path holder and how many times in a row it took the
    /// lock (read and written only while `held`).
    last: AtomicUsize,
    streak: AtomicU32,
    revocations: AtomicU32,
    value: UnsafeCell<T>,
}

/// Consecutive slow-path acquisitions by one thread before the lock is
/// biased to it.
pub const BIAS_AFTER: u32 = 16;
/// Revocations after which the lock is never biased again: one. Biasing it
/// again would let the revoked thread's late `busy.store(false)` (it lost
/// the bias between its re-check and that store: preempted there, or the
/// store still in its store buffer) clear the flag of the next owner's call,
/// and a later revoker would then enter beside it. With one bias per lock
/// ever, only that owner writes `busy`, and after its revocation nobody
/// waits on `busy` again. Found by the model check in `handle/model.rs`.
pub const MAX_REVOCATIONS: u32 = 1;

// SAFETY: the value is reached only through a guard. A guard exists either
// with `held` taken (Acquire on taking, Release on dropping), or on the
// biased thread with `busy` set while the bias was its own; a slow-path
// holder clears the bias and waits for `busy` to drop (Acquire, after the
// heavy fence) before touching the value, and a biased caller that finds
// the bias gone backs off (see `lock`).
unsafe impl<T: Send> Sync for CallLock<T> {}
// SAFETY: moving the lock moves the value; T: Send suffices.
unsafe impl<T: Send> Send for CallLock<T> {}

impl<T> CallLock<T> {
    pub const fn new(value: T) -> CallLock<T> {
        CallLock {
            held: AtomicBool::new(false),
            bias: AtomicUsize::new(0),
            busy: AtomicBool::new(false),
            last: AtomicUsize::new(0),
            streak: AtomicU32::new(0),
            revocations: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }

    #[inline]
    pub fn lock(&self) -> CallGuard<'_, T> {
        let me = fence::thread_token();
        if me != 0 && self.bias.load(Ordering::Relaxed) == me {
            self.busy.store(true, Ordering::Relaxed);
            // Pairs with the revoker's heavy fence: either it sees `busy`,
            // or we see the bias it cleared.
            fence::light();
            if self.bias.load(Ordering::Relaxed) == me {
                // Acquire: whatever the last slow-path holder wrote (it
                // released `held` before we could have been biased) or
                // our own earlier calls wrote is visible.
                std::sync::atomic::fence(Ordering::Acquire);
                return CallGuard {
                    lock: self,
                    biased: true,
                };
            }
            self.busy.store(false, Ordering::Release);
        }
        self.lock_slow(me)
    }

    #[cold]
    fn lock_slow(&self, me: usize) -> CallGuard<'_, T> {
        if self.held.swap(true, Ordering::Acquire) {
            self.lock_contended();
        }
        let owner = self.bias.load(Ordering::Relaxed);
        if owner != 0 && owner != me {
            // Revoke: after the heavy fence the owner either sees the bias
            // gone (and goes the slow way, waiting for `held`) or is inside
            // a call with `busy` visible; wait for it to leave.
            self.bias.store(0, Ordering::Relaxed);
            fence::heavy();
            let mut round = 0u32;
            while self.busy.load(Ordering::Acquire) {
                backoff(&mut round);
            }
            self.revocations.fetch_add(1, Ordering::Relaxed);
            self.streak.store(0, Ordering::Relaxed);
        } else if owner == 0 && me != 0 {
            // Count consecutive calls from one thread; bias it after enough.
            if self.last.load(Ordering::Relaxed) == me {
                let streak = self.streak.load(Ordering::Relaxed) + 1;
                self.streak.store(streak, Ordering::Relaxed);
                if streak >= BIAS_AFTER
                    && self.revocations.load(Ordering::Relaxed) < MAX_REVOCATIONS
                    && fence::available()
                {
                    // Published by the Release of `held` when this guard drops.
                    self.bias.store(me, Ordering::Relaxed);
                }
            } else {
                self.last.store(me, Ordering::Relaxed);
                self.streak.store(1, Ordering::Relaxed);
            }
        }
        CallGuard {
            lock: self,
            biased: false,
        }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut round = 0u32;
        loop {
            if !self.held.load(Ordering::Relaxed) && !self.held.swap(true, Ordering::Acquire) {
                return;
            }
            backoff(&mut round);
        }
    }

    /// True while the lock is biased to some thread (tests, diagnostics).
    pub fn is_biased(&self) -> bool {
        self.bias.load(Ordering::Relaxed) != 0
    }
}

/// Spins briefly, then yields, then sleeps (10 us doubling up to ~1 ms).
fn backoff(round: &mut u32) {
    *round += 1;
    if *round < 64 {
        std::hint::spin_loop();
    } else if *round < 128 {
        std::thread::yield_now();
    } else {
        let us = 10u64 << ((*round - 128).min(7));
        std::thread::sleep(Duration::from_micros(us));
    }
}

/// Access to a [`CallLock`]'s value; releases it when dropped.
pub struct CallGuard<'a, T> {
    lock: &'a CallLock<T>,
    biased: bool,
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
        if self.biased {
            self.lock.busy.store(false, Ordering::Release);
        } else {
            self.lock.held.store(false, Ordering::Release);
        }
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
                let mut g = cell.value.lock();
                *g = Some(value);
                // A new object: the bias history of the old one is moot.
                cell.value.revocations.store(0, Ordering::Relaxed);
                cell.value.streak.store(0, Ordering::Relaxed);
                drop(g);
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
mod model;

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
    fn a_revoked_lock_is_never_biased_again() {
        let lock = std::sync::Arc::new(CallLock::new(0u64));
        let streak = |lock: &CallLock<u64>| {
            for _ in 0..BIAS_AFTER * 4 {
                *lock.lock() += 1;
            }
        };
        streak(&lock);
        if !(crate::util::fence::available() && crate::util::fence::thread_token() != 0) {
            return; // never biased here at all
        }
        assert!(lock.is_biased());
        let other = lock.clone();
        std::thread::spawn(move || *other.lock() += 1)
            .join()
            .unwrap();
        assert!(!lock.is_biased(), "revoked");
        assert_eq!(lock.revocations.load(Ordering::Relaxed), 1);
        streak(&lock);
        assert!(
            !lock.is_biased(),
            "a streak after a revocation keeps it plain"
        );
        assert_eq!(*lock.lock(), BIAS_AFTER as u64 * 8 + 1);
    }

    #[test]
    fn a_lock_used_by_one_thread_becomes_biased_and_revocation_keeps_it_exclusive() {
        let lock = std::sync::Arc::new(CallLock::new(0u64));
        // The registration runs in the background; let it finish first.
        let fenced = crate::util::fence::settle();
        for _ in 0..BIAS_AFTER + 1 {
            *lock.lock() += 1;
        }
        if fenced && crate::util::fence::thread_token() != 0 {
            assert!(lock.is_biased(), "biased after a streak from one thread");
        }
        // The owner keeps calling (fast path) while another thread takes
        // the lock 2000 times (revoking, then taking turns): no update may
        // be lost, which a data race between the two would show.
        let done = std::sync::Arc::new(AtomicU32::new(0));
        let other = {
            let lock = lock.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                for _ in 0..2_000 {
                    let mut g = lock.lock();
                    let v = *g;
                    std::hint::black_box(&v);
                    *g = v + 1;
                    drop(g);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let mut mine = BIAS_AFTER as u64 + 1;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while done.load(Ordering::Relaxed) < 2_000 && std::time::Instant::now() < deadline {
            for _ in 0..100 {
                let mut g = lock.lock();
                let v = *g;
                std::hint::black_box(&v);
                *g = v + 1;
                mine += 1;
            }
        }
        other.join().unwrap();
        assert_eq!(*lock.lock(), mine + 2_000);
        let revoked = lock.revocations.load(Ordering::Relaxed);
        if fenced && crate::util::fence::thread_token() != 0 {
            assert!(revoked >= 1, "the other thread had to revoke the bias");
        }
        assert!(lock.revocations.load(Ordering::Relaxed) <= MAX_REVOCATIONS);
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
