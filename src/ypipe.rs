//! `YPipe`: the lock-free single-producer/single-consumer queue under every
//! pipe (libzmq's ypipe idea, our own code).
//!
//! - Unbounded: a linked list of fixed-size chunks; one spent chunk is kept
//!   as a spare so a steady flow allocates nothing.
//! - The writer `write`s privately and `flush`es to publish a batch: one
//!   atomic store per batch. Items written as *incomplete* (frames of a
//!   multipart message before its last) are never published on their own:
//!   a flush stops at the last complete item, so a reader sees a multipart
//!   message whole or not at all, and `rollback` can drop a torn one.
//! - Wake-ups are elided: the reader announces it is going to sleep when it
//!   finds the queue empty; `flush` reports whether the reader must be woken,
//!   which is true at most once per sleep. Pipes turn that into an
//!   activation command, so a busy stream costs no syscalls.
//! - A stalled reader is noticed: a writer that links [`STALL_CHUNKS`] new
//!   chunks in a row without finding a spare (the reader finished none
//!   meanwhile) reports a yield as due, once per that many chunks.
//!
//! Owns: the queue memory and the writer/reader protocol. Knows nothing of
//! messages, high-water marks or who sleeps where.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::Arc;

/// Slots per chunk (libzmq's message pipe granularity).
const CHUNK: usize = 256;

/// Chunks a writer links in a row, with its reader finishing none, before
/// it reports a yield as due ([`Writer::take_yield_due`]): 4,096 items.
/// A queue bounded below that (a high-water mark of 1,000) never gets here.
pub const STALL_CHUNKS: u32 = 16;

struct Chunk<T> {
    slots: [UnsafeCell<MaybeUninit<T>>; CHUNK],
    /// Set by the writer before any slot of the next chunk is published.
    next: AtomicPtr<Chunk<T>>,
}

impl<T> Chunk<T> {
    /// A chunk whose slots are left as the allocator gives them: nothing
    /// writes its 256 slots (16 KiB of messages) until they are used, so
    /// an idle pipe keeps only the pages it touched (a thousand idle
    /// connections showed the difference in RSS).
    fn alloc() -> *mut Chunk<T> {
        let layout = std::alloc::Layout::new::<Chunk<T>>();
        // SAFETY: the layout has a non-zero size (256 slots and a pointer).
        let p = unsafe { std::alloc::alloc(layout) }.cast::<Chunk<T>>();
        if p.is_null() {
            // What Box::new does when memory runs out.
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: `p` is valid for writes of a Chunk; the slots are
        // MaybeUninit (any bytes are a valid value), so `next` is the only
        // field to initialise. The chunk is freed with Box::from_raw, whose
        // global-allocator layout is this one.
        unsafe { ptr::addr_of_mut!((*p).next).write(AtomicPtr::new(ptr::null_mut())) };
        p
    }
}

/// State shared by both ends.
struct Shared<T> {
    /// Number of items ever published by `flush` (Release) and seen by the
    /// reader (Acquire): slots below it are initialised and owned by the reader.
    committed: AtomicU64,
    /// The reader found the queue empty and waits for a wake-up.
    reader_asleep: AtomicBool,
    /// A chunk the reader finished with, for the writer to reuse.
    spare: AtomicPtr<Chunk<T>>,
    /// The reader's chunk; on drop, unread items start here.
    head: AtomicPtr<Chunk<T>>,
    /// Where each end stopped, recorded when it is dropped, so that the last
    /// owner can drop exactly the items that were written and never read.
    reader_pos: AtomicU64,
    read_total: AtomicU64,
    written_total: AtomicU64,
}

// SAFETY: slots are handed from the single writer to the single reader through
// `committed` (Release/Acquire), so each T is touched by one thread at a time.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above; shared access goes through atomics only.
unsafe impl<T: Send> Sync for Shared<T> {}

/// Creates a queue and returns its two ends.
pub fn ypipe<T: Send>() -> (Writer<T>, Reader<T>) {
    let first = Chunk::<T>::alloc();
    let shared = Arc::new(Shared {
        committed: AtomicU64::new(0),
        reader_asleep: AtomicBool::new(false),
        spare: AtomicPtr::new(ptr::null_mut()),
        head: AtomicPtr::new(first),
        reader_pos: AtomicU64::new(0),
        read_total: AtomicU64::new(0),
        written_total: AtomicU64::new(0),
    });
    (
        Writer {
            shared: shared.clone(),
            chunk: first,
            pos: 0,
            written: 0,
            flushed: 0,
            complete: 0,
            complete_chunk: first,
            complete_pos: 0,
            stalled: 0,
            yield_due: false,
        },
        Reader {
            shared,
            chunk: first,
            pos: 0,
            read: 0,
            visible: 0,
        },
    )
}

/// The producing end. Not `Clone`: exactly one writer.
pub struct Writer<T: Send> {
    shared: Arc<Shared<T>>,
    chunk: *mut Chunk<T>,
    pos: usize,
    written: u64,
    flushed: u64,
    /// Items up to here are complete (publishable), and where that point is.
    complete: u64,
    complete_chunk: *mut Chunk<T>,
    complete_pos: usize,
    /// New chunks linked in a row without a spare to reuse.
    stalled: u32,
    yield_due: bool,
}

// SAFETY: the writer's raw pointers are only used by whichever single thread
// owns the Writer; moving it between threads is fine.
unsafe impl<T: Send> Send for Writer<T> {}

impl<T: Send> Writer<T> {
    /// Appends `value` privately; the reader sees it after the next `flush`
    /// that follows a complete item. `incomplete` marks a frame whose
    /// message continues.
    #[inline]
    pub fn write(&mut self, value: T, incomplete: bool) {
        let slot = self.next_slot();
        // SAFETY: `next_slot` returns a slot only the writer can reach.
        unsafe { (*slot).write(value) };
        self.commit_slot(incomplete);
    }

    /// Like `write`, but moves the item out of `src` straight into its slot
    /// (leaving `T::default()` behind), without an intermediate copy: the
    /// per-message path hands 64-byte messages down by reference.
    #[inline]
    pub fn write_take(&mut self, src: &mut T, incomplete: bool)
    where
        T: Default,
    {
        let slot = self.next_slot();
        // SAFETY: the slot is uninitialised and only the writer reaches it;
        // `src` is valid and is re-initialised right after its bits moved.
        unsafe {
            ptr::copy_nonoverlapping(src as *const T, (*slot).as_mut_ptr(), 1);
            ptr::write(src, T::default());
        }
        self.commit_slot(incomplete);
    }

    /// The next free slot, linking a new chunk when the tail one is full.
    #[inline]
    fn next_slot(&mut self) -> *mut MaybeUninit<T> {
        if self.pos == CHUNK {
            let spare = self.shared.spare.swap(ptr::null_mut(), Ordering::Acquire);
            let next = if spare.is_null() {
                // No spare: the reader has finished no chunk since we took
                // the last one.
                self.stalled += 1;
                if self.stalled % STALL_CHUNKS == 0 {
                    self.yield_due = true;
                }
                Chunk::alloc()
            } else {
                self.stalled = 0;
                spare
            };
            // SAFETY: `next` is a fresh or recycled chunk nobody else uses;
            // resetting its link before publication.
            unsafe { (*next).next.store(ptr::null_mut(), Ordering::Relaxed) };
            // SAFETY: `self.chunk` is the live tail chunk, owned by the queue.
            // Release: the reader follows `next` only after it has acquired a
            // `committed` that covers a slot of `next`, which is stored later.
            unsafe { (*self.chunk).next.store(next, Ordering::Release) };
            self.chunk = next;
            self.pos = 0;
        }
        // Slot `pos` of the tail chunk is at or beyond `committed`, so the
        // reader does not touch it; we are the only writer.
        // SAFETY: `self.chunk` is the live tail chunk.
        unsafe { (*self.chunk).slots[self.pos].get() }
    }

    /// True once per [`STALL_CHUNKS`] chunks written while the reader
    /// finished none: the reader is far behind, and if it waits for this
    /// thread's CPU, the writer should give it up (see `PipeEnd::flush`).
    #[inline]
    pub fn take_yield_due(&mut self) -> bool {
        std::mem::take(&mut self.yield_due)
    }

    /// Accounts for the item just written into `next_slot`'s slot.
    #[inline]
    fn commit_slot(&mut self, incomplete: bool) {
        self.pos += 1;
        self.written += 1;
        if !incomplete {
            self.complete = self.written;
            self.complete_chunk = self.chunk;
            self.complete_pos = self.pos;
        }
    }

    /// Drops the items written after the last complete one (a multipart
    /// message cut short, e.g. by a disconnect). They were never published.
    pub fn rollback(&mut self) {
        let mut chunk = self.complete_chunk;
        let mut pos = self.complete_pos;
        while self.written > self.complete {
            if pos == CHUNK {
                // SAFETY: more items exist, so the writer linked a next chunk.
                chunk = unsafe { (*chunk).next.load(Ordering::Relaxed) };
                pos = 0;
            }
            // SAFETY: slots between the complete point and the write position
            // hold initialised, unpublished items only the writer can reach.
            unsafe { (*(*chunk).slots[pos].get()).assume_init_drop() };
            pos += 1;
            self.written -= 1;
        }
        // Free chunks linked after the complete point: the reader never
        // follows a link past published items.
        // SAFETY: `complete_chunk` is live; its successors hold no items now.
        let mut next = unsafe {
            (*self.complete_chunk)
                .next
                .swap(ptr::null_mut(), Ordering::Relaxed)
        };
        while !next.is_null() {
            // SAFETY: an unpublished chunk owned by the writer alone.
            let after = unsafe { (*next).next.load(Ordering::Relaxed) };
            drop(unsafe { Box::from_raw(next) });
            next = after;
        }
        self.chunk = self.complete_chunk;
        self.pos = self.complete_pos;
    }

    /// Publishes every complete item written so far. Returns true when the
    /// reader was asleep and must be woken (at most once per sleep).
    #[inline]
    pub fn flush(&mut self) -> bool {
        if self.complete == self.flushed {
            return false;
        }
        self.flushed = self.complete;
        // SeqCst store then SeqCst load: paired with the reader's SeqCst store
        // of `reader_asleep` then load of `committed`, at least one side sees
        // the other's write, so a sleeping reader is never missed.
        self.shared.committed.store(self.complete, Ordering::SeqCst);
        self.shared.reader_asleep.load(Ordering::SeqCst)
            && self.shared.reader_asleep.swap(false, Ordering::SeqCst)
    }
}

/// A writer's view of whether its reader has taken everything published
/// (`Writer::watch`), kept after the writer itself is out of reach.
pub struct SleepWatch<T: Send>(Arc<Shared<T>>);

impl<T: Send> SleepWatch<T> {
    /// As [`Writer::reader_asleep`].
    #[inline]
    pub fn reader_asleep(&self) -> bool {
        self.0.reader_asleep.load(Ordering::SeqCst)
    }

    /// Watches the queue `w` writes.
    #[inline]
    pub fn watches(&self, w: &Writer<T>) -> bool {
        Arc::ptr_eq(&self.0, &w.shared)
    }
}

impl<T: Send> Writer<T> {
    /// A handle that tells whether the reader has taken everything.
    pub fn watch(&self) -> SleepWatch<T> {
        SleepWatch(self.shared.clone())
    }

    /// Everything written so far has been published (no item, complete or
    /// not, waits for a `flush`).
    #[inline]
    pub fn all_flushed(&self) -> bool {
        self.written == self.flushed
    }

    /// The reader announced sleep and no flush has woken it since: it has
    /// taken every published item.
    #[inline]
    pub fn reader_asleep(&self) -> bool {
        self.shared.reader_asleep.load(Ordering::SeqCst)
    }
}

/// The consuming end. Not `Clone`: exactly one reader.
pub struct Reader<T: Send> {
    shared: Arc<Shared<T>>,
    chunk: *mut Chunk<T>,
    pos: usize,
    read: u64,
    /// Cached `committed`: items up to here can be read without atomics.
    visible: u64,
}

// SAFETY: as for Writer.
unsafe impl<T: Send> Send for Reader<T> {}

impl<T: Send> Reader<T> {
    /// True if an item is ready, without announcing sleep.
    #[inline]
    pub fn has_next(&mut self) -> bool {
        if self.read < self.visible {
            return true;
        }
        self.visible = self.shared.committed.load(Ordering::Acquire);
        self.read < self.visible
    }

    /// Takes the next item, if one is published.
    #[inline]
    pub fn read(&mut self) -> Option<T> {
        if !self.has_next() {
            return None;
        }
        let slot = self.take_slot();
        // SAFETY: `take_slot` hands out an initialised slot exactly once.
        Some(unsafe { (*slot).assume_init_read() })
    }

    /// Like `read`, but swaps the item into `dst` (no intermediate copy);
    /// what `dst` held before is dropped. False when nothing is published.
    #[inline]
    pub fn read_into(&mut self, dst: &mut T) -> bool {
        if !self.has_next() {
            return false;
        }
        let slot = self.take_slot();
        // SAFETY: the slot is initialised and now ours alone (`take_slot`);
        // after the swap it holds dst's old value, dropped in place once.
        unsafe {
            ptr::swap_nonoverlapping((*slot).as_mut_ptr(), dst as *mut T, 1);
            (*slot).assume_init_drop();
        }
        true
    }

    /// Items published and not yet read (a snapshot).
    pub fn pending(&self) -> u64 {
        self.shared.committed.load(Ordering::Acquire) - self.read
    }

    /// The next published item, left in the queue.
    #[inline]
    pub fn peek(&mut self) -> Option<&T> {
        if !self.has_next() {
            return None;
        }
        // SAFETY: as in `take_slot`: the next item is below `committed`, so
        // it is initialised and its chunk (the head, or the head's `next`
        // once the head is spent, stored before the item was published) is
        // live; the writer never touches a published slot, and the shared
        // borrow ends before this reader consumes it (`&mut self`).
        unsafe {
            let (chunk, pos) = if self.pos == CHUNK {
                ((*self.chunk).next.load(Ordering::Acquire), 0)
            } else {
                (self.chunk, self.pos)
            };
            Some((*(*chunk).slots[pos].get()).assume_init_ref())
        }
    }

    /// The slot of the next published item, which the caller must consume
    /// exactly once; `has_next` returned true.
    #[inline]
    fn take_slot(&mut self) -> *mut MaybeUninit<T> {
        if self.pos == CHUNK {
            // SAFETY: `committed` covers a slot of the next chunk, and the
            // writer stored `next` before that (Release, acquired above).
            let next = unsafe { (*self.chunk).next.load(Ordering::Acquire) };
            let done = self.chunk;
            self.shared.head.store(next, Ordering::Release);
            self.chunk = next;
            self.pos = 0;
            // Offer the spent chunk for reuse; free the previous spare.
            let old = self.shared.spare.swap(done, Ordering::AcqRel);
            if !old.is_null() {
                // SAFETY: a spare chunk holds no live items and nobody else
                // references it once swapped out.
                drop(unsafe { Box::from_raw(old) });
            }
        }
        // Slot `pos` is below `committed`, initialised by the writer and
        // published with Release; the caller takes it out exactly once.
        // SAFETY: `self.chunk` is the live head chunk.
        let slot = unsafe { (*self.chunk).slots[self.pos].get() };
        self.pos += 1;
        self.read += 1;
        slot
    }

    /// Like `read_or_sleep`, into `dst` (see `read_into`).
    #[inline]
    pub fn read_into_or_sleep(&mut self, dst: &mut T) -> bool {
        self.has_next_or_sleep() && self.read_into(dst)
    }

    /// Like `has_next`, but when the queue is empty announces that the reader
    /// is going to sleep (see `read_or_sleep`), so the next flush wakes it.
    #[inline]
    pub fn has_next_or_sleep(&mut self) -> bool {
        if self.has_next() {
            return true;
        }
        self.shared.reader_asleep.store(true, Ordering::SeqCst);
        self.visible = self.shared.committed.load(Ordering::SeqCst);
        if self.read < self.visible {
            self.shared.reader_asleep.store(false, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Like `read`, but when the queue is empty announces that the reader is
    /// going to sleep, so that the next `flush` asks for a wake-up. Returns an
    /// item if one slipped in meanwhile.
    #[inline]
    pub fn read_or_sleep(&mut self) -> Option<T> {
        // Announcing and re-checking (see `flush`): a flush that ran before
        // the announcement is seen by the re-check.
        if self.has_next_or_sleep() {
            return self.read();
        }
        None
    }

    /// Takes back an announced sleep, so flushes stop asking for a wake-up:
    /// for a reader that will watch the queue itself for a while. False
    /// when a flush already took the announcement (its wake-up is on the
    /// way) or there was none.
    pub fn cancel_sleep(&self) -> bool {
        self.shared
            .reader_asleep
            .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// This reader announced sleep (it found the queue empty) and no flush
    /// has woken it since.
    pub fn is_asleep(&self) -> bool {
        self.shared.reader_asleep.load(Ordering::SeqCst)
    }

    /// Items read so far.
    pub fn read_count(&self) -> u64 {
        self.read
    }
}

impl<T: Send> Drop for Writer<T> {
    fn drop(&mut self) {
        // Relaxed: the Arc drop that follows orders this before Shared::drop.
        self.shared
            .written_total
            .store(self.written, Ordering::Relaxed);
    }
}

impl<T: Send> Drop for Reader<T> {
    fn drop(&mut self) {
        self.shared.read_total.store(self.read, Ordering::Relaxed);
        self.shared
            .reader_pos
            .store(self.pos as u64, Ordering::Relaxed);
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Both ends are gone: drop the items written but never read (flushed
        // or not), then free every chunk.
        let mut chunk = *self.head.get_mut();
        let mut idx = *self.reader_pos.get_mut() as usize;
        let mut remaining = *self.written_total.get_mut() - *self.read_total.get_mut();
        while !chunk.is_null() {
            while remaining > 0 && idx < CHUNK {
                // SAFETY: these slots were written and never read.
                unsafe { (*(*chunk).slots[idx].get()).assume_init_drop() };
                idx += 1;
                remaining -= 1;
            }
            // SAFETY: chunks form a list owned by this queue.
            let next = unsafe { (*chunk).next.load(Ordering::Acquire) };
            // SAFETY: allocated by Chunk::alloc; freed once here.
            drop(unsafe { Box::from_raw(chunk) });
            chunk = next;
            idx = 0;
        }
        let spare = *self.spare.get_mut();
        if !spare.is_null() {
            // SAFETY: the spare holds no items.
            drop(unsafe { Box::from_raw(spare) });
        }
    }
}

#[cfg(test)]
mod model;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn incomplete_items_are_published_only_with_their_last_item() {
        let (mut w, mut r) = ypipe();
        w.write(1, true);
        w.write(2, true);
        w.flush();
        assert_eq!(r.read(), None);
        w.write(3, false);
        w.flush();
        assert_eq!((r.read(), r.read(), r.read()), (Some(1), Some(2), Some(3)));
    }

    #[test]
    fn rollback_drops_a_torn_message_even_across_chunks() {
        let (mut w, mut r) = ypipe::<Box<u32>>();
        w.write(Box::new(0), false);
        for i in 0..(CHUNK as u32 * 2) {
            w.write(Box::new(i), true);
        }
        w.rollback();
        w.write(Box::new(7), false);
        w.flush();
        assert_eq!(*r.read().unwrap(), 0);
        assert_eq!(*r.read().unwrap(), 7);
        assert!(r.read().is_none());
    }

    #[test]
    fn items_appear_only_after_flush_in_order() {
        let (mut w, mut r) = ypipe();
        w.write(1, false);
        w.write(2, false);
        assert_eq!(r.read(), None);
        w.flush();
        assert_eq!(r.read(), Some(1));
        assert_eq!(r.read(), Some(2));
        assert_eq!(r.read(), None);
    }

    /// A writer reports a yield as due once per STALL_CHUNKS chunks it
    /// links while the reader finishes none; a reader that keeps up, even
    /// a chunk or two behind, never makes one due.
    #[test]
    fn a_stalled_reader_makes_a_yield_due_once_per_stall_chunks() {
        let (mut w, mut r) = ypipe();
        let per_stall = CHUNK * STALL_CHUNKS as usize;
        let mut due_at = Vec::new();
        // The first chunk is the queue's own: linking starts after it.
        for i in 0..CHUNK + 3 * per_stall {
            w.write(i, false);
            if w.take_yield_due() {
                due_at.push(i);
            }
        }
        assert_eq!(
            due_at,
            [1, 2, 3].map(|k| k * per_stall),
            "one yield per {STALL_CHUNKS} chunks, at the write that links the chunk"
        );
        w.flush();
        while r.read().is_some() {}
        // Now a reader that follows two chunks behind.
        for i in 0..20 * per_stall {
            w.write(i, false);
            assert!(!w.take_yield_due(), "due at {i}");
            if i >= 2 * CHUNK {
                w.flush();
                r.read();
            }
        }
    }

    #[test]
    fn flush_asks_for_wakeup_once_per_sleep() {
        let (mut w, mut r) = ypipe();
        assert_eq!(r.read_or_sleep(), None);
        w.write(1, false);
        assert!(w.flush(), "reader slept: wake it");
        w.write(2, false);
        assert!(!w.flush(), "already woken");
        assert_eq!(r.read_or_sleep(), Some(1));
        assert_eq!(r.read_or_sleep(), Some(2));
        assert_eq!(r.read_or_sleep(), None);
        w.write(3, false);
        assert!(w.flush());
    }

    #[test]
    fn crosses_many_chunks_and_drops_unread_items() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct D;
        impl Drop for D {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::SeqCst);
            }
        }
        let (mut w, mut r) = ypipe();
        for _ in 0..(CHUNK * 3 + 5) {
            w.write(D, false);
        }
        w.flush();
        for _ in 0..(CHUNK + 7) {
            drop(r.read().unwrap());
        }
        assert_eq!(DROPS.load(Ordering::SeqCst), CHUNK + 7);
        drop(w);
        drop(r);
        assert_eq!(DROPS.load(Ordering::SeqCst), CHUNK * 3 + 5);
    }

    #[test]
    fn by_reference_ends_move_items_and_drop_each_exactly_once() {
        // Rc counts every live clone: a lost drop or a double drop shows.
        let tracker = std::rc::Rc::new(());
        #[derive(Default)]
        struct Item(Option<std::rc::Rc<()>>, u32);
        // SAFETY (test only): the Rc never leaves this thread.
        unsafe impl Send for Item {}
        let (mut w, mut r) = ypipe::<Item>();
        let n = CHUNK as u32 * 2 + 3;
        for i in 1..=n {
            let mut src = Item(Some(tracker.clone()), i);
            w.write_take(&mut src, false);
            assert!(src.0.is_none() && src.1 == 0, "source left empty");
        }
        assert!(!w.flush());
        assert_eq!(std::rc::Rc::strong_count(&tracker), n as usize + 1);
        // The destination starts holding a live item: read_into drops it.
        let mut dst = Item(Some(tracker.clone()), 0);
        for i in 1..=n {
            assert!(r.read_into(&mut dst));
            assert_eq!(dst.1, i);
            assert_eq!(std::rc::Rc::strong_count(&tracker), (n - i) as usize + 2);
        }
        assert!(!r.read_into(&mut dst));
        assert_eq!(dst.1, n, "a failed read leaves the destination alone");
        drop(dst);
        assert_eq!(std::rc::Rc::strong_count(&tracker), 1);
    }

    #[test]
    fn reader_stopped_at_chunk_end_drops_rest_correctly() {
        let (mut w, mut r) = ypipe();
        for i in 0..(CHUNK * 2) {
            w.write(Box::new(i), false);
        }
        w.flush();
        for _ in 0..CHUNK {
            r.read().unwrap();
        }
        drop(r);
        drop(w); // must free the second chunk's boxes exactly once (miri/asan)
    }

    #[test]
    fn threads_transfer_every_item_without_loss_or_duplication() {
        let (mut w, mut r) = ypipe::<u64>();
        // Miri interprets: a few chunks' worth still crosses chunk ends.
        const N: u64 = if cfg!(miri) { 1_000 } else { 200_000 };
        let wake = Arc::new(AtomicU64::new(0));
        let wake2 = wake.clone();
        let t = std::thread::spawn(move || {
            for i in 0..N {
                w.write(i, false);
                if i % 7 == 0 && w.flush() {
                    wake2.fetch_add(1, Ordering::SeqCst);
                }
            }
            if w.flush() {
                wake2.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut expect = 0;
        while expect < N {
            match r.read_or_sleep() {
                Some(v) => {
                    assert_eq!(v, expect);
                    expect += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        t.join().unwrap();
    }
}
