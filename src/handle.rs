//! Stable C handles for contexts and sockets.
//!
//! A handle is a small heap cell whose first word is a tag. The C boundary
//! checks the tag before use, so a NULL, foreign, closed or terminated handle
//! gives ENOTSOCK/EFAULT instead of undefined behaviour. Cells are never
//! returned to the allocator: a closed cell is tagged dead and recycled for the
//! next handle of its kind, so a stale pointer always points at readable memory
//! (libzmq frees it, and using it crashes). Memory stays bounded by the largest
//! number of live handles a program ever had.

use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

/// Tag of a dead (closed or terminated) cell.
pub const DEAD: u32 = 0xdead_c0de;

/// A handle cell: the tag, then the object it stands for.
#[repr(C)]
pub struct Cell<T> {
    tag: AtomicU32,
    value: Mutex<Option<T>>,
}

impl<T> Cell<T> {
    /// The object, while the cell is live.
    pub fn value(&self) -> &Mutex<Option<T>> {
        &self.value
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
                value: Mutex::new(Some(value)),
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
