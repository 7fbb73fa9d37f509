//! A cache of freed payload buffers (an `Owner` header plus the bytes), so
//! that a stream of messages allocated by one thread and freed by another
//! recycles the same memory instead of going through malloc each time: glibc
//! then hands heap memory back to the kernel and faults it in again at every
//! swing of the queue (40k page faults per 2M messages of 1 KiB on inproc),
//! and takes the allocating thread's arena lock on both ends.
//!
//! Sizes above [`MIN`] up to [`LOCAL_MAX`] are rounded up to one of four
//! classes per power of two (at most 25 % slack). Each class has a shared
//! *depot* (a locked list, bounded by [`DEPOT_BYTES`] and [`DEPOT_MAX`]
//! buffers) and a per-thread cache of [`LOCAL_SLOTS`] buffers, refilled from
//! and spilled to the depot [`BATCH`] at a time: the common
//! producer/consumer pair takes the depot's lock once per `BATCH` messages
//! instead of per message. A thread's cache goes back to the depot when the
//! thread exits.
//!
//! Larger sizes, up to [`MAX`], are rounded up to 64 bytes only and kept in
//! one depot by exact size ([`LARGE_BYTES`] in all). A class rounding would
//! cost resident memory there: a 64 KiB body in an 80 KiB class touches 17
//! pages of its own, where buffers allocated at their size share the pages
//! at their boundaries (a backlog of 2,000 such messages was 8 MB larger
//! than libzmq's). Everything else goes straight to the allocator.

use std::alloc::{self, Layout};
use std::cell::Cell;

use parking_lot::Mutex;

/// Pooled total sizes are in (MIN, MAX].
pub const MIN: usize = 32;
pub const MAX: usize = 1024 * 1024;
const MIN_LOG: u32 = MIN.trailing_zeros();
const STEPS: usize = 4;
pub(crate) const ALIGN: usize = 16;
/// Bytes one class's depot may keep.
pub const DEPOT_BYTES: usize = 4 * 1024 * 1024;
/// Buffers one class's depot may keep, whatever their size.
pub const DEPOT_MAX: usize = 8192;
/// Sizes up to this have classes (and per-thread caches).
pub const LOCAL_MAX: usize = 16 * 1024;
/// Buffers a thread keeps per class.
pub const LOCAL_SLOTS: usize = 32;
/// Buffers moved between a thread's cache and the depot at once.
pub const BATCH: usize = LOCAL_SLOTS / 2;
/// Larger sizes are rounded up to a multiple of this.
const LARGE_ROUND: usize = 64;
/// Bytes the large depot may keep: no more than glibc's own heap may keep
/// untrimmed (its dynamic mmap threshold grows to 32 MiB on 64-bit, and
/// it trims only past twice that).
/// With 8 MiB, an inproc stream of 64 KiB messages pinned to one CPU (a
/// batch of a few hundred in flight) sent most buffers back to glibc and
/// faulted them in again: 30 % of its time.
pub const LARGE_BYTES: usize = 32 * 1024 * 1024;

/// The class of a total allocation size up to LOCAL_MAX, and that class's
/// size.
fn class(size: usize) -> Option<(usize, usize)> {
    if size <= MIN || size > LOCAL_MAX {
        return None;
    }
    let log = usize::BITS - 1 - (size - 1).leading_zeros(); // floor(log2(size-1)) >= MIN_LOG
    let base = 1usize << log; // base < size <= 2 * base
    let step = base / STEPS;
    let k = (size - base).div_ceil(step); // 1..=STEPS
    let class_size = base + k * step;
    let index = (log - MIN_LOG) as usize * STEPS + (k - 1);
    (index < CLASSES).then_some((index, class_size))
}

/// Number of classes (all of size <= LOCAL_MAX).
const CLASSES: usize = (LOCAL_MAX.trailing_zeros() - 1 - MIN_LOG) as usize * STEPS + STEPS;

fn depot_cap(size: usize) -> usize {
    (DEPOT_BYTES / size).min(DEPOT_MAX)
}

/// The size of a buffer of `layout` the large depot keeps (as made by
/// `class_layout`), if it is one.
fn large_size(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (layout.align() == ALIGN && size > LOCAL_MAX && size <= MAX && size % LARGE_ROUND == 0)
        .then_some(size)
}

/// A cached buffer: a pointer, not an address, so that what the pool
/// keeps stays reachable (Miri's leak check follows pointers only).
#[derive(Clone, Copy)]
struct Buf(*mut u8);

// SAFETY: a cached buffer belongs to the cache holding it, and nobody
// else; handing it to another thread's cache is how the pool works.
unsafe impl Send for Buf {}

const NO_BUF: Buf = Buf(std::ptr::null_mut());

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Mutex<Vec<Buf>> = Mutex::new(Vec::new());
static DEPOT: [Mutex<Vec<Buf>>; CLASSES] = [EMPTY; CLASSES];

/// The large buffers kept: (size, buffer), newest last, and their bytes.
struct Large {
    bufs: Vec<(usize, Buf)>,
    bytes: usize,
}

static LARGE: Mutex<Large> = Mutex::new(Large {
    bufs: Vec::new(),
    bytes: 0,
});

/// The layout to allocate for `layout`: its class size when pooled.
pub fn class_layout(layout: Layout) -> Layout {
    if layout.align() > ALIGN {
        return layout;
    }
    let size = match class(layout.size()) {
        Some((_, size)) => size,
        None if layout.size() > LOCAL_MAX && layout.size() <= MAX => {
            layout.size().next_multiple_of(LARGE_ROUND)
        }
        None => return layout,
    };
    Layout::from_size_align(size, ALIGN).unwrap_or(layout)
}

/// The class of buffers of exactly `layout` (as returned by
/// `class_layout`), and that class's size.
fn slot(layout: Layout) -> Option<(usize, usize)> {
    if layout.align() != ALIGN {
        return None;
    }
    let (index, size) = class(layout.size())?;
    (size == layout.size()).then_some((index, size))
}

/// One thread's cached buffers, for the classes up to LOCAL_MAX.
struct Local {
    count: [u8; CLASSES],
    slots: [[Buf; LOCAL_SLOTS]; CLASSES],
}

impl Local {
    fn pop(&mut self, c: usize) -> Option<Buf> {
        let mut n = self.count[c] as usize;
        if n == 0 {
            let mut depot = DEPOT[c].lock();
            let k = depot.len().min(BATCH);
            if k == 0 {
                return None;
            }
            let from = depot.len() - k;
            self.slots[c][..k].copy_from_slice(&depot[from..]);
            depot.truncate(from);
            n = k;
        }
        n -= 1;
        self.count[c] = n as u8;
        Some(self.slots[c][n])
    }

    /// False when neither this cache nor the depot has room: the caller
    /// frees the buffer.
    fn push(&mut self, c: usize, size: usize, p: Buf) -> bool {
        let mut n = self.count[c] as usize;
        if n == LOCAL_SLOTS {
            let mut depot = DEPOT[c].lock();
            let k = depot_cap(size).saturating_sub(depot.len()).min(BATCH);
            if k == 0 {
                return false;
            }
            depot.extend_from_slice(&self.slots[c][n - k..n]);
            n -= k;
        }
        self.slots[c][n] = p;
        self.count[c] = (n + 1) as u8;
        true
    }
}

/// The calling thread's cache, created on first use; returned to the depot
/// (or freed) when the thread exits.
struct LocalHandle(Cell<*mut Local>);

impl Drop for LocalHandle {
    fn drop(&mut self) {
        let local = self.0.replace(std::ptr::null_mut());
        if local.is_null() {
            return;
        }
        // SAFETY: created by Box::into_raw in `with_local`; this thread's
        // only reference, and the handle is being destroyed.
        let local = unsafe { Box::from_raw(local) };
        for (c, (depot, slots)) in DEPOT.iter().zip(&local.slots).enumerate() {
            let n = local.count[c] as usize;
            if n == 0 {
                continue;
            }
            let size = class_size(c);
            let mut depot = depot.lock();
            let keep = depot_cap(size).saturating_sub(depot.len()).min(n);
            depot.extend_from_slice(&slots[..keep]);
            drop(depot);
            for &p in &slots[keep..n] {
                free(p, size);
            }
        }
    }
}

thread_local! {
    static LOCAL: LocalHandle = const { LocalHandle(Cell::new(std::ptr::null_mut())) };
}

/// Runs `f` on the calling thread's cache; `None` if the thread is exiting
/// (its cache already gone) or the cache cannot be allocated.
#[inline]
fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    LOCAL
        .try_with(|h| {
            let mut local = h.0.get();
            if local.is_null() {
                local = Box::into_raw(Box::new(Local {
                    count: [0; CLASSES],
                    slots: [[NO_BUF; LOCAL_SLOTS]; CLASSES],
                }));
                h.0.set(local);
            }
            // SAFETY: the cache belongs to this thread alone and `f` does
            // not re-enter the pool.
            f(unsafe { &mut *local })
        })
        .ok()
}

/// The size of class `c`.
fn class_size(c: usize) -> usize {
    let base = 1usize << (MIN_LOG as usize + c / STEPS);
    base + (c % STEPS + 1) * (base / STEPS)
}

fn free(p: Buf, size: usize) {
    // SAFETY: pooled buffers were allocated with their class layout, which
    // is valid (checked when it was made).
    unsafe { alloc::dealloc(p.0, Layout::from_size_align_unchecked(size, ALIGN)) }
}

/// The layout to allocate for `layout` (`class_layout`) and a cached
/// buffer of it, if there is one: the class worked out once.
#[inline]
pub fn take_for(layout: Layout) -> (Layout, Option<*mut u8>) {
    if layout.align() <= ALIGN {
        if let Some((c, size)) = class(layout.size()) {
            // SAFETY: ALIGN is a power of two and a class size is at most
            // LOCAL_MAX, far from overflowing when rounded up to it.
            let class = unsafe { Layout::from_size_align_unchecked(size, ALIGN) };
            let p = match with_local(|l| l.pop(c)) {
                Some(p) => p,
                None => DEPOT[c].lock().pop(),
            };
            return (class, p.map(|p| p.0));
        }
    }
    let layout = class_layout(layout);
    (layout, take_large(layout))
}

/// A cached buffer for exactly `layout` (a layout `class_layout` made).
#[cfg(test)]
fn take(layout: Layout) -> Option<*mut u8> {
    let (class, p) = take_for(layout);
    assert_eq!(class, layout);
    p
}

#[cold]
fn take_large(layout: Layout) -> Option<*mut u8> {
    let size = large_size(layout)?;
    let mut large = LARGE.lock();
    // A stream of one size finds it at the end.
    let i = large.bufs.iter().rposition(|&(s, _)| s == size)?;
    let (_, p) = large.bufs.remove(i);
    large.bytes -= size;
    Some(p.0)
}

/// Keeps a buffer of `layout` for reuse; false if the caller must free it.
#[inline]
pub fn give(p: *mut u8, layout: Layout) -> bool {
    let Some((c, size)) = slot(layout) else {
        return give_large(p, layout);
    };
    if let Some(kept) = with_local(|l| l.push(c, size, Buf(p))) {
        return kept;
    }
    let mut depot = DEPOT[c].lock();
    if depot.len() >= depot_cap(size) {
        return false;
    }
    depot.push(Buf(p));
    true
}

#[cold]
fn give_large(p: *mut u8, layout: Layout) -> bool {
    let Some(size) = large_size(layout) else {
        return false;
    };
    let mut large = LARGE.lock();
    if large.bytes + size > LARGE_BYTES {
        return false;
    }
    large.bytes += size;
    large.bufs.push((size, Buf(p)));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_the_range_with_little_slack() {
        let mut last = 0;
        for size in (MIN + 1..=LOCAL_MAX)
            .step_by(97)
            .chain([MIN + 1, LOCAL_MAX, 4096, 4096 + 40])
        {
            let (i, c) = class(size).unwrap();
            assert!(c >= size && c <= size + size / 4 + 1, "{size} -> {c}");
            assert!(i < CLASSES);
            assert_eq!(class(c).unwrap(), (i, c), "a class size is its own class");
            assert_eq!(class_size(i), c);
            last = last.max(i);
        }
        assert_eq!(last, CLASSES - 1);
        assert_eq!(class_size(CLASSES - 1), LOCAL_MAX);
        assert!(class(MIN).is_none() && class(LOCAL_MAX + 1).is_none());
        // Larger sizes keep their size, rounded to 64 bytes; the largest
        // pooled one and anything above MAX are left alone.
        let big = |n: usize| class_layout(Layout::from_size_align(n, 8).unwrap()).size();
        assert_eq!(big(65536 + 40), 65536 + 64);
        assert_eq!(big(LOCAL_MAX + 1), LOCAL_MAX + 64);
        assert_eq!(big(MAX), MAX);
        assert_eq!(big(MAX + 1), MAX + 1);
        let is_large = |n: usize| large_size(Layout::from_size_align(n, ALIGN).unwrap()).is_some();
        assert!(is_large(65536 + 64) && !is_large(65536 + 40) && !is_large(MAX + 64));
    }

    fn fill_until_refused(layout: Layout) -> Vec<*mut u8> {
        let mut kept = Vec::new();
        loop {
            // SAFETY: non-zero size.
            let p = unsafe { alloc::alloc(layout) };
            if !give(p, layout) {
                // SAFETY: refused, so still ours.
                unsafe { alloc::dealloc(p, layout) };
                return kept;
            }
            kept.push(p);
        }
    }

    fn drain(layout: Layout) -> usize {
        let mut n = 0;
        while let Some(p) = take(layout) {
            // SAFETY: pooled buffers have this layout.
            unsafe { alloc::dealloc(p, layout) };
            n += 1;
        }
        n
    }

    #[test]
    fn large_buffers_are_reused_by_exact_size_and_the_depot_is_bounded() {
        // Sizes no other test uses.
        let layout = class_layout(Layout::from_size_align(300_000, 8).unwrap());
        let other = class_layout(Layout::from_size_align(300_100, 8).unwrap());
        assert_ne!(layout, other);
        // SAFETY: non-zero sizes.
        let (a, b) = unsafe { (alloc::alloc(layout), alloc::alloc(other)) };
        assert!(give(a, layout) && give(b, other));
        // Each size finds its own buffer, whatever was kept after it.
        assert_eq!(take(layout), Some(a));
        assert_eq!(take(layout), None);
        assert_eq!(take(other), Some(b));
        // SAFETY: taken back, ours again.
        unsafe { (alloc::dealloc(a, layout), alloc::dealloc(b, other)) };
        // Other tests' large messages come and go meanwhile (the depot is
        // shared): bounds only.
        let kept = fill_until_refused(layout);
        assert!(kept.len() * layout.size() <= LARGE_BYTES && !kept.is_empty());
        let more = fill_until_refused(other);
        assert!(LARGE.lock().bytes <= LARGE_BYTES);
        assert!((kept.len() + more.len()) * layout.size() <= LARGE_BYTES);
        assert_eq!(drain(layout), kept.len());
        assert_eq!(drain(other), more.len());
    }

    #[test]
    fn small_buffers_cross_threads_through_the_depot_and_stay_bounded() {
        // A class no other test uses (tests share the depot).
        let layout = class_layout(Layout::from_size_align(700, 8).unwrap());
        assert!(layout.size() <= LOCAL_MAX);
        // Producer/consumer: one thread frees, another allocates.
        let freed: Vec<usize> = std::thread::spawn(move || {
            let mut v = Vec::new();
            for _ in 0..(LOCAL_SLOTS * 3) {
                // SAFETY: non-zero size.
                let p = unsafe { alloc::alloc(layout) };
                assert!(give(p, layout));
                v.push(p as usize);
            }
            v
        })
        .join()
        .unwrap();
        // The freeing thread exited: its cache went to the depot, so this
        // thread gets every buffer back, and nothing twice.
        let got: Vec<usize> = std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(p) = take(layout) {
                got.push(p as usize);
            }
            got
        })
        .join()
        .unwrap();
        let mut a = freed.clone();
        let mut b = got.clone();
        a.sort_unstable();
        b.sort_unstable();
        b.dedup();
        assert_eq!(a, b);
        assert_eq!(got.len(), freed.len());
        for p in got {
            // SAFETY: allocated above with this layout.
            unsafe { alloc::dealloc(p as *mut u8, layout) };
        }
        // Bounded: the thread cache plus the depot's cap, then refusals.
        let kept = std::thread::spawn(move || {
            let kept = fill_until_refused(layout);
            let n = kept.len();
            assert_eq!(drain(layout), n);
            n
        })
        .join()
        .unwrap();
        assert!(kept <= LOCAL_SLOTS + depot_cap(layout.size()), "{kept}");
        assert!(kept >= depot_cap(layout.size()));
    }
}
