//! `Msg`: the message object that lives inside the caller's 64-byte `zmq_msg_t`.
//!
//! Owns the in-memory representation of a message and its payload lifetimes.
//! Knows nothing of sockets, pipes or the wire.
//!
//! Layout (64 bytes, 8-aligned, like libzmq's `msg_t`):
//!
//! ```text
//!  0..8   metadata   MetaRef                 connection properties (zmq_msg_gets)
//!  8..24  group      Group                   RADIO/DISH group, short inline or shared long
//! 24..57  body       33 bytes                inline payload, or {ptr, len, owner}
//! 57..61  routing_id 4 bytes (a u32)         SERVER/PEER routing id (0 = none)
//! 61      len        u8                      inline payload length
//! 62      flags      u8                      MORE, COMMAND, SHARED ...
//! 63      kind       u8                      0 = closed/invalid, else a KIND_* value
//! ```
//!
//! Invariants:
//! - A `Msg` holds no pointer into itself, so bindings may move `zmq_msg_t` by
//!   plain memory copy (pyzmq's Cython structs, Rust moves).
//! - Payloads of up to [`INLINE_MAX`] bytes never allocate.
//! - Larger payloads live behind a reference-counted [`Owner`]; `share` adds a
//!   reference instead of copying, so PUB fan-out and `zmq_msg_copy` are O(1).
//! - A user buffer given to `zmq_msg_init_data` is released through its free
//!   function exactly once, when the last sharing message is dropped.
//! - `kind` is the validity tag: the C boundary reads it before trusting any
//!   other byte, so a closed or zeroed `zmq_msg_t` is refused with EFAULT.
//! - A message sliced from a [`SharedBuf`] borrows the connection's metadata
//!   from the buffer's owner (no count of its own); the owner it references
//!   holds the count, so the metadata outlives the message. Every other
//!   message counts its metadata reference.

use std::alloc::{self, Layout};
use std::ffi::{c_void, CStr};
use std::mem::{self, ManuallyDrop};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// Largest payload stored inside the message itself (libzmq's `max_vsm_size`).
pub const INLINE_MAX: usize = 33;
/// Size of `zmq_msg_t`.
pub const MSG_T_SIZE: usize = 64;
/// Longest RADIO/DISH group name (`ZMQ_GROUP_MAX_LENGTH`).
pub const GROUP_MAX_LENGTH: usize = 255;
/// Longest group kept inline; longer ones are shared on the heap.
const SHORT_GROUP_MAX: usize = 14;

// Kind tags. The values are libzmq's msg_t types, which keeps core dumps
// familiar; nothing outside this file depends on them.
const KIND_CLOSED: u8 = 0;
const KIND_INLINE: u8 = 101;
const KIND_HEAP: u8 = 102;
const KIND_DELIMITER: u8 = 103;
const KIND_CONST: u8 = 104;
/// A heap payload whose owner has exactly one reference, this message's:
/// dropping it frees without an atomic decrement (most messages are never
/// shared). `share` turns it into `KIND_HEAP`.
const KIND_HEAP_SOLE: u8 = 105;
const KIND_JOIN: u8 = 106;
const KIND_LEAVE: u8 = 107;

/// Message flags (libzmq's internal values).
pub mod flags {
    pub const MORE: u8 = 1;
    pub const COMMAND: u8 = 2;
    /// A (un)subscription message (0x01/0x00 + topic) from SUB/XSUB, which
    /// the engine sends to ZMTP 3.1 peers as a SUBSCRIBE/CANCEL command.
    pub const SUBSCRIPTION: u8 = 16;
    pub const CREDENTIAL: u8 = 32;
    pub const ROUTING_ID: u8 = 64;
    pub const SHARED: u8 = 128;
}

/// `zmq_free_fn`: releases a buffer handed to `zmq_msg_init_data`.
pub type FreeFn = unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void);

/// How the bytes behind an [`Owner`] are given back when its count drops to 0.
enum Release {
    /// Header and payload were allocated together: `size` bytes aligned to
    /// [`TOGETHER_ALIGN`] (not stored, so that `Owner` stays 32 bytes). A
    /// receive buffer's owner ([`SharedBuf`]) also counts the metadata its
    /// messages borrow.
    Together {
        size: usize,
        meta: Option<Arc<Metadata>>,
    },
    /// A caller's buffer, released by calling its free function.
    User {
        ffn: FreeFn,
        data: *mut c_void,
        hint: *mut c_void,
    },
}

/// Reference-counted owner of a payload that does not fit inline.
struct Owner {
    refs: AtomicUsize,
    release: Release,
}

impl Owner {
    /// Drops a reference and frees everything when it was the last one.
    ///
    /// # Safety
    /// `this` must come from `Owner::alloc_*` and the caller must own one of
    /// its references, which it gives up here.
    unsafe fn release(this: NonNull<Owner>) {
        // Release so our writes to the payload happen-before the free; the
        // Acquire load below pairs with it on the thread that frees.
        // SAFETY: the caller holds a reference, so the owner is alive.
        if unsafe { this.as_ref() }
            .refs
            .fetch_sub(1, Ordering::Release)
            != 1
        {
            return;
        }
        // Acquire: reads the count our decrement left, the end of the
        // release sequence of every earlier decrement, so their writes
        // happen-before the free. (A fence(Acquire) would do the same;
        // ThreadSanitizer does not model fences and reported the free as
        // racing with the other threads' decrements. std's Arc takes this
        // load under TSan too. On x86 either is one plain instruction or
        // none, on the last release only.)
        // SAFETY: we hold the last reference: the owner is alive until freed.
        let _last = unsafe { this.as_ref() }.refs.load(Ordering::Acquire);
        // SAFETY: we held the last reference.
        unsafe { Owner::free_sole(this) }
    }

    /// Frees an owner whose only reference the caller holds and gives up:
    /// no atomic operation (the message that carried the reference reached
    /// this thread through a pipe, which ordered every write to it).
    ///
    /// # Safety
    /// As `release`, and nobody else holds a reference.
    unsafe fn free_sole(this: NonNull<Owner>) {
        // SAFETY: we held the last reference; nobody else can reach `this`.
        let owner = unsafe { ptr::read(this.as_ptr()) };
        match owner.release {
            // SAFETY: allocated in `alloc_together` with exactly this layout.
            Release::Together { size, meta } => {
                drop(meta);
                // SAFETY: `alloc_together` allocated `size` bytes with this
                // alignment, which made a valid layout then.
                let layout = unsafe { Layout::from_size_align_unchecked(size, TOGETHER_ALIGN) };
                let p = this.as_ptr().cast::<u8>();
                if !pool::give(p, layout) {
                    // SAFETY: allocated by `alloc_together` with this layout.
                    unsafe { alloc::dealloc(p, layout) }
                }
            }
            Release::User { ffn, data, hint } => {
                // SAFETY: allocated in `alloc_user` with Box.
                drop(unsafe { Box::from_raw(this.as_ptr()) });
                // SAFETY: the caller promised `ffn(data, hint)` is a valid way
                // to release its buffer; it is called exactly once, here.
                unsafe { ffn(data, hint) };
            }
        }
    }

    /// One allocation holding the owner header followed by `size` payload bytes.
    fn alloc_together(size: usize) -> Result<(NonNull<Owner>, *mut u8)> {
        let header = Layout::new::<Owner>()
            .align_to(TOGETHER_ALIGN)
            .map_err(|_| Error::NoMemory)?;
        let (layout, offset) = header
            .extend(Layout::array::<u8>(size).map_err(|_| Error::NoMemory)?)
            .map_err(|_| Error::NoMemory)?;
        let (layout, cached) = pool::take_for(layout);
        // The pool keeps the alignment (its own, TOGETHER_ALIGN), which
        // `Release::Together` relies on.
        if layout.align() != TOGETHER_ALIGN {
            return Err(Error::NoMemory);
        }
        let base = match cached {
            Some(p) => p,
            // SAFETY: layout has non-zero size (the header is non-empty).
            None => unsafe { alloc::alloc(layout) },
        };
        let base = NonNull::new(base).ok_or(Error::NoMemory)?.cast::<Owner>();
        // SAFETY: `base` is freshly allocated, aligned for Owner and large
        // enough for the header plus `size` bytes at `offset`.
        unsafe {
            base.as_ptr().write(Owner {
                refs: AtomicUsize::new(1),
                release: Release::Together {
                    size: layout.size(),
                    meta: None,
                },
            });
            Ok((base, base.as_ptr().cast::<u8>().add(offset)))
        }
    }

    fn alloc_user(ffn: FreeFn, data: *mut c_void, hint: *mut c_void) -> NonNull<Owner> {
        let b = Box::new(Owner {
            refs: AtomicUsize::new(1),
            release: Release::User { ffn, data, hint },
        });
        NonNull::from(Box::leak(b))
    }
}

mod pool;

/// The alignment of every block `Owner::alloc_together` makes.
const TOGETHER_ALIGN: usize = pool::ALIGN;

const _: () = assert!(mem::size_of::<Owner>() == 32);

/// A reference-counted byte buffer that received messages can point into
/// (zero-copy decoding, as libzmq's shared receive buffer): the transport
/// reads into it, and every frame body larger than [`INLINE_MAX`] that lies
/// wholly inside becomes a message holding a reference, not a copy. The
/// buffer is freed when the last such message and the buffer itself are
/// gone; while only the buffer holds it, it is reused for the next read.
pub struct SharedBuf {
    owner: NonNull<Owner>,
    base: *mut u8,
    cap: usize,
    /// Bytes filled by reads.
    len: usize,
    /// Bytes ever written (`len..init` initialised but unfilled): the
    /// buffer is not zeroed up front, only a `spare_mut` caller's tail is.
    init: usize,
    /// The metadata the owner counts (`Release::Buffer`), lent to every
    /// message sliced from here; null for none.
    meta: *const Metadata,
    /// References taken on the owner ahead of time, [`RESERVE`] at once,
    /// for the messages sliced next: one atomic add per `RESERVE` small
    /// messages instead of one each. Counted by `is_unique`, given back on
    /// drop.
    reserved: std::cell::Cell<usize>,
}

/// References a [`SharedBuf`] takes at once for the messages it hands out.
const RESERVE: usize = 64;

// SAFETY: the buffer is owned through a thread-safe counted `Owner`; the
// bytes a message references are never written again while it lives (the
// buffer is only refilled when it is the sole reference).
unsafe impl Send for SharedBuf {}

impl SharedBuf {
    /// A buffer of `cap` bytes without metadata.
    pub fn new(cap: usize) -> Result<SharedBuf> {
        SharedBuf::with_metadata(cap, None)
    }

    /// A buffer of `cap` bytes whose messages carry `meta`. Not zeroed: a
    /// read fills it through [`SharedBuf::spare_uninit`] (zeroing 128 KiB
    /// per fresh buffer was 6 % of a busy subscriber's I/O thread).
    pub fn with_metadata(cap: usize, meta: Option<&Arc<Metadata>>) -> Result<SharedBuf> {
        let (owner, base) = Owner::alloc_together(cap)?;
        let mut buf = SharedBuf {
            owner,
            base,
            cap,
            len: 0,
            init: 0,
            meta: ptr::null(),
            reserved: std::cell::Cell::new(0),
        };
        buf.set_metadata(meta);
        Ok(buf)
    }

    /// Makes the owner count `meta` (dropping what it counted) and lends it
    /// from now on. Only while no message references the buffer (a new one,
    /// or [`is_unique`](SharedBuf::is_unique)): messages borrow the old one.
    pub fn set_metadata(&mut self, meta: Option<&Arc<Metadata>>) {
        debug_assert!(self.is_unique());
        let p = meta.map_or(ptr::null(), Arc::as_ptr);
        if p == self.meta {
            return;
        }
        self.meta = p;
        let meta = meta.cloned();
        // SAFETY: no other reference is in use (the caller's promise), so
        // nobody reads the owner's `release` concurrently.
        if let Release::Together { meta: held, .. } = unsafe { &mut (*self.owner.as_ptr()).release }
        {
            *held = meta;
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// The filled bytes.
    #[inline]
    pub fn filled(&self) -> &[u8] {
        // SAFETY: bytes `..len` were written (`advance` counts only
        // written bytes), `len <= cap`.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }

    /// True when no message references the buffer any more: it may be
    /// refilled from the start.
    #[inline]
    pub fn is_unique(&self) -> bool {
        // Acquire: pairs with the Release decrement of the last message, so
        // its reads of the bytes happen before we overwrite them.
        // SAFETY: we hold a reference, so the owner is alive.
        unsafe { self.owner.as_ref() }.refs.load(Ordering::Acquire) == 1 + self.reserved.get()
    }

    /// The unfilled tail, to read into; [`advance`](SharedBuf::advance)
    /// then marks what was written. Referenced by no message (messages
    /// only cover filled bytes).
    #[inline]
    pub fn spare_uninit(&mut self) -> &mut [std::mem::MaybeUninit<u8>] {
        // SAFETY: bytes `len..cap` lie inside the allocation and no message
        // references them; MaybeUninit makes no claim about their values.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.base.add(self.len).cast::<std::mem::MaybeUninit<u8>>(),
                self.cap - self.len,
            )
        }
    }

    /// The unfilled tail as initialised bytes (zeroing what was never
    /// written), for readers that need a `&mut [u8]`.
    #[inline]
    pub fn spare_mut(&mut self) -> &mut [u8] {
        if self.init < self.cap {
            let from = self.init.max(self.len);
            // SAFETY: `from..cap` lies inside the allocation and no message
            // references it.
            unsafe { ptr::write_bytes(self.base.add(from), 0, self.cap - from) };
            self.init = self.cap;
        }
        // SAFETY: bytes `len..cap` are initialised (above) and referenced by
        // no message.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(self.len), self.cap - self.len) }
    }

    /// Appends `bytes` to the filled part; false (nothing copied) without
    /// room for all of them.
    #[inline]
    pub fn push_slice(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > self.cap - self.len {
            return false;
        }
        // SAFETY: the room was checked; `bytes` cannot overlap our unfilled
        // tail (nobody else holds a reference into it).
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(self.len), bytes.len()) };
        self.advance(bytes.len());
        true
    }

    /// Marks the first `n` bytes of the spare tail filled: the caller
    /// wrote them.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.len = (self.len + n).min(self.cap);
        self.init = self.init.max(self.len);
    }

    /// Empties the buffer for reuse; the caller checked [`is_unique`].
    pub fn reset(&mut self) {
        debug_assert!(self.is_unique());
        self.len = 0;
    }

    /// Makes `out` (dropping what it held) a message with `flags` whose
    /// payload is `filled()[offset..offset + len]`, sharing the buffer.
    /// False (and `out` untouched) unless `len` exceeds [`INLINE_MAX`]
    /// (smaller payloads are copied inline, which is cheaper than a
    /// reference) and the range is filled.
    #[inline]
    pub fn slice_into(&self, offset: usize, len: usize, flags: u8, out: &mut Msg) -> bool {
        if len <= INLINE_MAX || !offset.checked_add(len).is_some_and(|end| end <= self.len) {
            return false;
        }
        // The message takes one of the references reserved ahead.
        match self.reserved.get() {
            0 => {
                // Relaxed is enough to add: we hold a reference, so the
                // owner cannot be released concurrently (as Arc's clone).
                // SAFETY: we hold a reference, so the owner is alive.
                unsafe { self.owner.as_ref() }
                    .refs
                    .fetch_add(RESERVE, Ordering::Relaxed);
                self.reserved.set(RESERVE - 1);
            }
            r => self.reserved.set(r - 1),
        }
        *out = Msg {
            // The owner the message references counts the metadata.
            meta: MetaRef::borrowed(self.meta),
            group: Group::EMPTY,
            routing_id: [0; 4],
            body: Body {
                heap: HeapRef {
                    // SAFETY: offset + len <= self.len <= cap.
                    ptr: unsafe { self.base.add(offset) },
                    len,
                    owner: self.owner.as_ptr(),
                },
            },
            len: 0,
            flags,
            kind: KIND_HEAP,
        };
        true
    }
}

impl Drop for SharedBuf {
    fn drop(&mut self) {
        let reserved = self.reserved.get();
        if reserved > 0 {
            // Release, as every decrement: the count stays above zero (the
            // buffer's own reference follows).
            // SAFETY: we hold references, so the owner is alive.
            unsafe { self.owner.as_ref() }
                .refs
                .fetch_sub(reserved, Ordering::Release);
        }
        // SAFETY: the buffer holds one reference, given up here.
        unsafe { Owner::release(self.owner) };
    }
}

/// A payload that does not fit inline: where it is, how long, who owns it.
/// `owner` is null for constant data (`zmq_send_const`, `init_data` without
/// a free function), which nobody frees.
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct HeapRef {
    ptr: *mut u8,
    len: usize,
    owner: *const Owner,
}

#[repr(C)]
union Body {
    inline: [u8; INLINE_MAX],
    heap: HeapRef,
}

/// RADIO/DISH group name. Short names are stored NUL-terminated inline.
enum Group {
    Short([u8; SHORT_GROUP_MAX + 1]),
    Long(Arc<Box<CStr>>),
}

impl Group {
    const EMPTY: Group = Group::Short([0; SHORT_GROUP_MAX + 1]);

    fn as_cstr(&self) -> &CStr {
        match self {
            // Always NUL-terminated: the last byte is never written.
            Group::Short(b) => CStr::from_bytes_until_nul(b).unwrap_or(c""),
            Group::Long(s) => s,
        }
    }

    fn clone_shared(&self) -> Group {
        match self {
            Group::Short(b) => Group::Short(*b),
            Group::Long(s) => Group::Long(Arc::clone(s)),
        }
    }
}

/// A message's connection metadata: null for none, a counted reference
/// (`Arc::into_raw`), or, tagged with the low address bit, one borrowed
/// from the message's payload owner, which counts it (`Release::Buffer`):
/// a message sliced from a receive buffer costs no atomic operation here.
/// Holds no pointer into the message, so moving it by copy stays valid.
struct MetaRef(*const Metadata);

const META_BORROWED: usize = 1;

impl MetaRef {
    const NONE: MetaRef = MetaRef(ptr::null());

    fn counted(meta: Option<Arc<Metadata>>) -> MetaRef {
        MetaRef(meta.map_or(ptr::null(), Arc::into_raw))
    }

    /// Borrowed from a payload owner that counts `p` (or null).
    fn borrowed(p: *const Metadata) -> MetaRef {
        if p.is_null() {
            return MetaRef::NONE;
        }
        // Metadata is 8-aligned, so the low bit is free; offsetting the
        // pointer (not rebuilding it from an integer) keeps its provenance.
        MetaRef(p.cast::<u8>().wrapping_add(META_BORROWED).cast())
    }

    /// The metadata's address, untagged; null for none.
    #[inline]
    fn ptr(&self) -> *const Metadata {
        if self.is_borrowed() {
            self.0.cast::<u8>().wrapping_sub(META_BORROWED).cast()
        } else {
            self.0
        }
    }

    #[inline]
    fn is_borrowed(&self) -> bool {
        self.0 as usize & META_BORROWED != 0
    }

    #[inline]
    fn is_counted(&self) -> bool {
        !self.0.is_null() && !self.is_borrowed()
    }

    fn get(&self) -> Option<&Metadata> {
        // SAFETY: non-null means alive: counted by us, or by the payload
        // owner this message references (the module's invariant).
        unsafe { self.ptr().as_ref() }
    }

    /// A counted reference to the same metadata.
    fn to_arc(&self) -> Option<Arc<Metadata>> {
        let p = self.ptr();
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` came from `Arc::into_raw`/`Arc::as_ptr` of a live Arc
        // (see `get`); one more count is added before making an Arc of it.
        unsafe {
            Arc::increment_strong_count(p);
            Some(Arc::from_raw(p))
        }
    }
}

impl Clone for MetaRef {
    /// A borrowed reference stays borrowed: the copy shares the payload
    /// (`dup_ref`), so the same owner keeps it alive.
    #[inline]
    fn clone(&self) -> MetaRef {
        if self.is_counted() {
            // SAFETY: a counted pointer came from `Arc::into_raw` and is
            // alive while we hold our count.
            unsafe { Arc::increment_strong_count(self.0) };
        }
        MetaRef(self.0)
    }
}

impl Drop for MetaRef {
    #[inline]
    fn drop(&mut self) {
        if self.is_counted() {
            // SAFETY: our count, from `Arc::into_raw`, given up here.
            drop(unsafe { Arc::from_raw(self.0) });
        }
    }
}

/// A ZeroMQ message, exactly 64 bytes, the payload of `zmq_msg_t`.
#[repr(C, align(8))]
pub struct Msg {
    meta: MetaRef,
    group: Group,
    /// At offset 24: the heap reference's pointer, length and owner are
    /// 8-aligned, so none straddles the 16-byte halves a moved message is
    /// copied in (a load across two such stores cannot be forwarded from
    /// them and waits for the copy to reach the cache).
    body: Body,
    /// A u32 in native byte order, kept as bytes to need no alignment.
    routing_id: [u8; 4],
    len: u8,
    flags: u8,
    kind: u8,
}

const _: () = {
    assert!(mem::size_of::<Msg>() == MSG_T_SIZE);
    assert!(mem::align_of::<Msg>() == 8);
    assert!(mem::size_of::<Group>() == 16);
    assert!(mem::offset_of!(Msg, kind) == KIND_OFFSET);
    assert!(mem::offset_of!(Msg, body) == 24);
};

/// Where the validity tag sits inside `zmq_msg_t`.
pub const KIND_OFFSET: usize = 63;

// SAFETY: a Msg exclusively owns its inline bytes and holds counted references
// to its owner, metadata and group, all of which are thread-safe (atomic
// counts). User free functions may run on any thread, as with libzmq.
unsafe impl Send for Msg {}
// SAFETY: shared access only reads; all mutation takes `&mut self`.
unsafe impl Sync for Msg {}

impl Default for Msg {
    fn default() -> Self {
        Msg::new()
    }
}

impl Msg {
    /// An empty message (`zmq_msg_init`).
    #[inline]
    pub const fn new() -> Msg {
        Msg {
            meta: MetaRef::NONE,
            group: Group::EMPTY,
            routing_id: [0; 4],
            body: Body {
                inline: [0; INLINE_MAX],
            },
            len: 0,
            flags: 0,
            kind: KIND_INLINE,
        }
    }

    fn with_kind(kind: u8) -> Msg {
        let mut m = Msg::new();
        m.kind = kind;
        m
    }

    /// A message of `size` uninitialised-then-zeroed bytes (`zmq_msg_init_size`).
    /// Large payloads are not zeroed, as with libzmq; the caller fills them.
    #[inline]
    pub fn with_size(size: usize) -> Result<Msg> {
        if size <= INLINE_MAX {
            let mut m = Msg::new();
            m.len = size as u8;
            return Ok(m);
        }
        Msg::with_heap_size(size)
    }

    /// `with_size` for payloads over [`INLINE_MAX`].
    #[inline(never)]
    fn with_heap_size(size: usize) -> Result<Msg> {
        let mut m = Msg::new();
        // SAFETY: `m` is a valid message; overwritten without reading.
        unsafe { Msg::init_heap_at(&mut m, size) }?;
        Ok(m)
    }

    /// Writes a message of `size` (> INLINE_MAX) heap bytes at `p`, which is
    /// overwritten without being dropped; on failure `p` is left alone.
    ///
    /// # Safety
    /// `p` must be valid for writing a `Msg`.
    #[inline(never)]
    unsafe fn init_heap_at(p: *mut Msg, size: usize) -> Result<()> {
        let (owner, ptr) = Owner::alloc_together(size)?;
        // SAFETY: the caller's promise; fields are written in place, no
        // temporary message is built and copied.
        unsafe {
            p.write(Msg::new());
            (*p).body.heap = HeapRef {
                ptr,
                len: size,
                owner: owner.as_ptr(),
            };
            (*p).kind = KIND_HEAP_SOLE;
        }
        Ok(())
    }

    /// Replaces this message (dropping what it held) with one of `size`
    /// bytes and `flags`, built in place: the decoder's per-frame path.
    #[inline]
    pub fn reset_with_size(&mut self, size: usize, flags: u8) -> Result<()> {
        if size <= INLINE_MAX {
            *self = Msg {
                meta: MetaRef::NONE,
                group: Group::EMPTY,
                routing_id: [0; 4],
                body: Body {
                    inline: [0; INLINE_MAX],
                },
                len: size as u8,
                flags,
                kind: KIND_INLINE,
            };
            return Ok(());
        }
        *self = Msg::new();
        // SAFETY: `self` is a valid empty message, so overwriting it without
        // a drop leaks nothing.
        unsafe { Msg::init_heap_at(self, size) }?;
        self.flags = flags;
        Ok(())
    }

    /// A message holding a copy of `data` (`zmq_msg_init_buffer`, `zmq_send`).
    pub fn from_slice(data: &[u8]) -> Result<Msg> {
        let mut m = Msg::with_size(data.len())?;
        m.data_mut().copy_from_slice(data);
        Ok(m)
    }

    /// A message over the caller's buffer (`zmq_msg_init_data`). With a free
    /// function the buffer is released through it once the last copy is
    /// dropped; without one it is constant data that must outlive the message.
    ///
    /// # Safety
    /// `data` must be valid for reads and writes of `size` bytes until it is
    /// released (or forever, for constant data).
    pub unsafe fn from_user_buffer(
        data: *mut c_void,
        size: usize,
        ffn: Option<FreeFn>,
        hint: *mut c_void,
    ) -> Msg {
        let owner = match ffn {
            Some(ffn) => Owner::alloc_user(ffn, data, hint).as_ptr() as *const Owner,
            None => ptr::null(),
        };
        let kind = if owner.is_null() {
            KIND_CONST
        } else {
            KIND_HEAP
        };
        let mut m = Msg::with_kind(kind);
        m.body = Body {
            heap: HeapRef {
                ptr: data.cast(),
                len: size,
                owner,
            },
        };
        m
    }

    /// Constant data the message borrows forever (`zmq_send_const`).
    pub fn from_static(data: &'static [u8]) -> Msg {
        // SAFETY: 'static data outlives any message; no free function.
        unsafe {
            Msg::from_user_buffer(
                data.as_ptr() as *mut c_void,
                data.len(),
                None,
                ptr::null_mut(),
            )
        }
    }

    /// The pipe terminator used by the engine; carries no payload.
    pub fn delimiter() -> Msg {
        Msg::with_kind(KIND_DELIMITER)
    }

    /// A DISH's JOIN or LEAVE request for `group`.
    pub fn group_command(join: bool, group: &[u8]) -> Result<Msg> {
        let mut m = Msg::with_kind(if join { KIND_JOIN } else { KIND_LEAVE });
        m.set_group(group)?;
        Ok(m)
    }

    #[inline]
    fn heap(&self) -> Option<HeapRef> {
        match self.kind {
            // SAFETY: these kinds always store `heap` in the body.
            KIND_HEAP | KIND_HEAP_SOLE | KIND_CONST => Some(unsafe { self.body.heap }),
            _ => None,
        }
    }

    /// Payload length in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        match self.heap() {
            Some(h) => h.len,
            None => self.len as usize,
        }
    }

    /// The payload.
    #[inline]
    pub fn data(&self) -> &[u8] {
        match self.heap() {
            // SAFETY: ptr/len describe a live buffer kept alive by `owner`
            // (or constant data); len 0 with a null ptr is handled by
            // the empty-slice branch.
            Some(h) if h.len > 0 => unsafe { std::slice::from_raw_parts(h.ptr, h.len) },
            Some(_) => &[],
            // SAFETY: reading a union field of a plain byte array is always
            // valid; `len` never exceeds INLINE_MAX.
            None => unsafe { &self.body.inline[..self.len as usize] },
        }
    }

    /// The payload, writable. For shared payloads every copy sees the write,
    /// exactly as with libzmq's `zmq_msg_data`.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        match self.heap() {
            // SAFETY: as in `data`; the C API hands out the same pointer as
            // writable, and libzmq allows writing through it.
            Some(h) if h.len > 0 => unsafe { std::slice::from_raw_parts_mut(h.ptr, h.len) },
            Some(_) => &mut [],
            // SAFETY: as in `data`.
            None => unsafe { &mut self.body.inline[..self.len as usize] },
        }
    }

    /// Raw payload pointer for `zmq_msg_data`: inside the message for inline
    /// payloads (so it moves with the message, as in libzmq).
    #[inline]
    pub fn data_ptr(&mut self) -> *mut u8 {
        match self.heap() {
            Some(h) => h.ptr,
            // Taking the address of a union field reads nothing.
            None => ptr::addr_of_mut!(self.body.inline).cast(),
        }
    }

    #[inline]
    pub fn flags(&self) -> u8 {
        self.flags
    }

    #[inline]
    pub fn set_flags(&mut self, f: u8) {
        self.flags |= f;
    }

    #[inline]
    pub fn reset_flags(&mut self, f: u8) {
        self.flags &= !f;
    }

    #[inline]
    pub fn more(&self) -> bool {
        self.flags & flags::MORE != 0
    }

    /// `ZMQ_SHARED`: constant data, or a payload that has been shared.
    pub fn is_shared(&self) -> bool {
        self.kind == KIND_CONST || self.flags & flags::SHARED != 0
    }

    pub fn is_delimiter(&self) -> bool {
        self.kind == KIND_DELIMITER
    }

    pub fn is_join(&self) -> bool {
        self.kind == KIND_JOIN
    }

    pub fn is_leave(&self) -> bool {
        self.kind == KIND_LEAVE
    }

    /// A second message sharing this one's payload (`zmq_msg_copy`). Inline
    /// payloads are copied; others gain a reference and both are marked shared.
    pub fn share(&mut self) -> Msg {
        self.add_refs(1);
        // SAFETY: add_refs reserved the reference this copy carries.
        unsafe { self.dup_ref() }
    }

    /// Adds `n` references to a shared payload at once and marks it shared,
    /// for `n` later [`Msg::dup_ref`]s (fan-out: one atomic add, not one per
    /// copy). Inline and constant payloads need none.
    #[inline]
    pub fn add_refs(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(h) = self.heap() {
            if !h.owner.is_null() {
                // SAFETY: a non-null owner is alive while we hold our
                // reference; Relaxed as in Owner::acquire.
                unsafe { (*h.owner).refs.fetch_add(n, Ordering::Relaxed) };
                self.flags |= flags::SHARED;
                if self.kind == KIND_HEAP_SOLE {
                    self.kind = KIND_HEAP;
                }
            }
        }
    }

    /// A copy of this message carrying one of the references reserved by
    /// [`Msg::add_refs`].
    ///
    /// # Safety
    /// For a message with a shared payload, `add_refs` must have reserved a
    /// reference that no other copy has used.
    #[inline]
    pub unsafe fn dup_ref(&self) -> Msg {
        Msg {
            meta: self.meta.clone(),
            group: self.group.clone_shared(),
            routing_id: self.routing_id,
            // SAFETY: Body is plain bytes; the owner reference it may carry
            // is the one the caller reserved with add_refs.
            body: unsafe { ptr::read(&self.body) },
            len: self.len,
            flags: self.flags,
            kind: self.kind,
        }
    }

    /// The payload belongs to this message alone (inline, or a heap block
    /// no other message references), so writing it in place affects no one.
    #[inline]
    pub fn is_exclusive(&self) -> bool {
        matches!(self.kind, KIND_INLINE | KIND_HEAP_SOLE)
    }

    /// Drops the first `n` payload bytes in place (CURVE: the box header in
    /// front of a decrypted payload). Heap payloads only move their start.
    pub fn drop_front(&mut self, n: usize) {
        let n = n.min(self.size());
        if n == 0 {
            return;
        }
        match self.kind {
            KIND_INLINE => {
                let len = self.len as usize;
                // SAFETY: inline messages store `inline`; len <= INLINE_MAX.
                unsafe { self.body.inline.copy_within(n..len, 0) };
                self.len = (len - n) as u8;
            }
            KIND_HEAP | KIND_HEAP_SOLE | KIND_CONST => {
                // SAFETY: these kinds store `heap`; n <= len keeps the
                // pointer inside the payload, and the owner (not the
                // pointer) is what frees it.
                unsafe {
                    let mut h = self.body.heap;
                    h.ptr = h.ptr.add(n);
                    h.len -= n;
                    self.body.heap = h;
                }
            }
            _ => {}
        }
    }

    /// Takes the content out, leaving an empty message behind (`zmq_msg_move`).
    #[inline]
    pub fn take(&mut self) -> Msg {
        mem::take(self)
    }

    /// A counted reference to the message's metadata.
    pub fn metadata(&self) -> Option<Arc<Metadata>> {
        self.meta.to_arc()
    }

    pub fn has_metadata(&self) -> bool {
        !self.meta.0.is_null()
    }

    pub fn set_metadata(&mut self, meta: Option<Arc<Metadata>>) {
        self.meta = MetaRef::counted(meta);
    }

    /// Gives the message `meta` unless it already carries it (a message
    /// sliced from a receive buffer borrows it from the buffer): the
    /// decoder's per-message path, with no atomic operation when it does.
    #[inline]
    pub fn attach_metadata(&mut self, meta: Option<&Arc<Metadata>>) {
        if self.meta.ptr() != meta.map_or(ptr::null(), Arc::as_ptr) {
            self.meta = MetaRef::counted(meta.cloned());
        }
    }

    /// Looks up a connection property (`zmq_msg_gets`).
    pub fn property(&self, name: &[u8]) -> Option<&CStr> {
        self.meta.get()?.get(name)
    }

    pub fn routing_id(&self) -> u32 {
        u32::from_ne_bytes(self.routing_id)
    }

    /// Sets the routing id; 0 is reserved for "none" and refused.
    pub fn set_routing_id(&mut self, id: u32) -> Result<()> {
        if id == 0 {
            return Err(Error::Invalid);
        }
        self.routing_id = id.to_ne_bytes();
        Ok(())
    }

    pub fn reset_routing_id(&mut self) {
        self.routing_id = [0; 4];
    }

    pub fn group(&self) -> &CStr {
        self.group.as_cstr()
    }

    /// Sets the group; at most [`GROUP_MAX_LENGTH`] bytes, cut at the first NUL.
    pub fn set_group(&mut self, group: &[u8]) -> Result<()> {
        let group = group.split(|&b| b == 0).next().unwrap_or(&[]);
        if group.len() > GROUP_MAX_LENGTH {
            return Err(Error::Invalid);
        }
        self.group = if group.len() <= SHORT_GROUP_MAX {
            let mut b = [0u8; SHORT_GROUP_MAX + 1];
            b[..group.len()].copy_from_slice(group);
            Group::Short(b)
        } else {
            let mut v = group.to_vec();
            v.push(0);
            let s = CStr::from_bytes_with_nul(&v).map_err(|_| Error::Invalid)?;
            Group::Long(Arc::new(s.into()))
        };
        Ok(())
    }

    /// Turns this message into a plain payload again, dropping routing data,
    /// as libzmq does before reusing a message for receive.
    pub fn clear(&mut self) {
        *self = Msg::new();
    }
}

impl Drop for Msg {
    #[inline]
    fn drop(&mut self) {
        if self.kind == KIND_HEAP_SOLE {
            // SAFETY: this kind always stores `heap` with a live owner whose
            // only reference is ours (see KIND_HEAP_SOLE).
            unsafe { Owner::free_sole(NonNull::new_unchecked(self.body.heap.owner as *mut Owner)) };
            self.kind = KIND_CLOSED;
            return;
        }
        if let Some(h) = self.heap() {
            if let Some(owner) = NonNull::new(h.owner as *mut Owner) {
                // SAFETY: this message holds one reference to `owner`.
                unsafe { Owner::release(owner) };
            }
        }
        self.kind = KIND_CLOSED;
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg")
            .field("kind", &self.kind)
            .field("flags", &self.flags)
            .field("size", &self.size())
            .finish()
    }
}

/// Views a caller's `zmq_msg_t` as a [`Msg`] after checking its validity tag.
///
/// # Safety
/// `p` must point to 64 readable bytes aligned to 8 (a `zmq_msg_t`).
#[inline]
pub unsafe fn check<'a>(p: *const c_void) -> Option<&'a Msg> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees 64 readable bytes; the tag is a plain byte.
    let kind = unsafe { p.cast::<u8>().add(KIND_OFFSET).read() };
    match kind {
        // SAFETY: a valid tag means the bytes were written by Msg code.
        KIND_INLINE | KIND_HEAP | KIND_HEAP_SOLE | KIND_DELIMITER | KIND_CONST | KIND_JOIN
        | KIND_LEAVE => Some(unsafe { &*p.cast::<Msg>() }),
        _ => None,
    }
}

/// Mutable form of [`check`].
///
/// # Safety
/// As for [`check`], and the bytes must be writable and not aliased.
#[inline]
pub unsafe fn check_mut<'a>(p: *mut c_void) -> Option<&'a mut Msg> {
    // SAFETY: forwarded caller guarantees.
    unsafe { check(p) }?;
    // SAFETY: validated above; exclusivity is the caller's promise.
    Some(unsafe { &mut *p.cast::<Msg>() })
}

/// Writes `m` into the caller's `zmq_msg_t` without reading what was there.
///
/// # Safety
/// `p` must point to 64 writable bytes aligned to 8.
#[inline]
pub unsafe fn write(p: *mut c_void, m: Msg) {
    // SAFETY: the caller guarantees the memory; old contents are not dropped,
    // as zmq_msg_init* overwrite without closing in libzmq too.
    unsafe { p.cast::<Msg>().write(m) }
}

/// Initialises the caller's `zmq_msg_t` with `size` bytes in place
/// (`zmq_msg_init_size`): small messages are built where they live, not
/// returned through a `Result` and copied.
///
/// # Safety
/// `p` must point to 64 writable bytes aligned to 8.
#[inline]
pub unsafe fn init_size(p: *mut c_void, size: usize) -> Result<()> {
    let m = p.cast::<Msg>();
    if size <= INLINE_MAX {
        // SAFETY: the caller guarantees the memory; old contents are not
        // dropped (see `write`).
        unsafe {
            m.write(Msg::new());
            (*m).len = size as u8;
        }
        return Ok(());
    }
    // SAFETY: as above.
    unsafe { Msg::init_heap_at(m, size) }
}

/// Closes the message at `p` (drops it and marks it closed).
///
/// # Safety
/// `p` must hold a message validated by [`check_mut`].
#[inline]
pub unsafe fn close(p: *mut c_void) {
    // SAFETY: valid message; after drop_in_place only the tag byte is written.
    unsafe {
        ptr::drop_in_place(p.cast::<Msg>());
        p.cast::<u8>().add(KIND_OFFSET).write(KIND_CLOSED);
    }
}

/// Keeps a message from being dropped when handing it over in raw form.
pub fn forget(m: Msg) -> ManuallyDrop<Msg> {
    ManuallyDrop::new(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A receive buffer takes references for its messages RESERVE at a
    /// time: it is unique again once every message is gone, whatever it
    /// still holds in reserve, and dropping it gives the reserve back
    /// (messages outliving it keep the bytes; Miri checks the free).
    #[test]
    fn a_shared_buffer_counts_its_reserved_references_as_its_own() {
        let mut buf = SharedBuf::new(4096).unwrap();
        buf.spare_mut()[..4000].fill(9);
        buf.advance(4000);
        assert!(buf.is_unique());
        let n = RESERVE + 5; // crosses a refill of the reserve
        let mut msgs: Vec<Msg> = (0..n)
            .map(|i| {
                let mut m = Msg::new();
                assert!(buf.slice_into(i * 40, 40, 0, &mut m));
                m
            })
            .collect();
        assert!(!buf.is_unique());
        assert!(msgs.iter().all(|m| m.data() == [9u8; 40]));
        msgs.truncate(1);
        assert!(!buf.is_unique(), "one message still references it");
        drop(msgs);
        assert!(buf.is_unique());
        let mut last = Msg::new();
        assert!(buf.slice_into(0, 40, 0, &mut last));
        drop(buf);
        assert_eq!(last.data(), [9u8; 40]);
    }

    fn peer(addr: &[u8]) -> Arc<Metadata> {
        let mut m = Metadata::new();
        m.set(b"Peer-Address", addr);
        Arc::new(m)
    }

    /// Messages sliced from a receive buffer borrow the metadata its owner
    /// counts: no count of their own, and the metadata lives until the last
    /// of them is gone, whether or not the buffer itself still is (Miri
    /// checks the frees).
    #[test]
    fn sliced_messages_borrow_the_buffers_metadata() {
        let meta = peer(b"10.0.0.1");
        let mut buf = SharedBuf::with_metadata(4096, Some(&meta)).unwrap();
        assert!(buf.push_slice(&[5u8; 1000]));
        assert_eq!(Arc::strong_count(&meta), 2, "the owner counts it once");
        let mut msgs: Vec<Msg> = (0..10)
            .map(|i| {
                let mut m = Msg::new();
                assert!(buf.slice_into(i * 100, 100, 0, &mut m));
                m.attach_metadata(Some(&meta));
                m
            })
            .collect();
        assert_eq!(Arc::strong_count(&meta), 2, "sliced messages add no count");
        let copy = msgs[3].share();
        assert_eq!(Arc::strong_count(&meta), 2, "nor do their copies");
        // A counted reference on request, for a message of another payload.
        let counted = msgs[0].metadata().unwrap();
        assert!(Arc::ptr_eq(&counted, &meta));
        assert_eq!(Arc::strong_count(&meta), 3);
        drop(counted);
        drop(buf);
        drop(meta);
        msgs.truncate(1);
        assert_eq!(
            copy.property(b"Peer-Address").unwrap().to_bytes(),
            b"10.0.0.1"
        );
        assert_eq!(
            msgs[0].property(b"Peer-Address").unwrap().to_bytes(),
            b"10.0.0.1"
        );
        drop(msgs);
        assert_eq!(
            copy.property(b"Peer-Address").unwrap().to_bytes(),
            b"10.0.0.1"
        );
        assert_eq!(copy.data(), [5u8; 100]);
    }

    /// Metadata other than the buffer's (another connection's, or none) is
    /// counted; a reused buffer lends the metadata it is given.
    #[test]
    fn other_metadata_is_counted_and_a_reused_buffer_lends_the_new_one() {
        let a = peer(b"a");
        let b = peer(b"b");
        let mut buf = SharedBuf::with_metadata(1024, Some(&a)).unwrap();
        assert!(buf.push_slice(&[1u8; 200]));
        let mut m = Msg::new();
        assert!(buf.slice_into(0, 100, 0, &mut m));
        m.attach_metadata(Some(&b));
        assert_eq!(Arc::strong_count(&b), 2, "another connection's: counted");
        assert_eq!(m.property(b"Peer-Address").unwrap().to_bytes(), b"b");
        m.attach_metadata(None);
        assert_eq!(Arc::strong_count(&b), 1);
        assert!(!m.has_metadata() && m.property(b"Peer-Address").is_none());
        drop(m);
        assert!(buf.is_unique());
        buf.reset();
        buf.set_metadata(Some(&b));
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (1, 2));
        assert!(buf.push_slice(&[2u8; 100]));
        let mut m = Msg::new();
        assert!(buf.slice_into(0, 100, 0, &mut m));
        assert_eq!(m.property(b"Peer-Address").unwrap().to_bytes(), b"b");
        let mut inline = Msg::from_slice(b"short").unwrap();
        inline.attach_metadata(Some(&a));
        assert_eq!(Arc::strong_count(&a), 2, "an inline message counts it");
        drop((buf, m, inline));
        assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (1, 1));
    }

    /// A receive buffer is not zeroed up front: a caller that wants its
    /// tail as `&mut [u8]` gets the never-written part zeroed, the written
    /// part as it was.
    #[test]
    fn a_receive_buffer_zeroes_only_the_tail_a_caller_asks_for() {
        let mut buf = SharedBuf::new(256).unwrap();
        let spare = buf.spare_uninit();
        assert_eq!(spare.len(), 256);
        for b in &mut spare[..64] {
            b.write(7);
        }
        buf.advance(64);
        assert_eq!(buf.filled(), [7u8; 64]);
        assert!(buf.spare_mut().iter().all(|&b| b == 0));
        assert!(buf.push_slice(&[3u8; 192]));
        assert!(!buf.push_slice(&[3u8; 1]), "no room is refused whole");
        buf.reset();
        assert_eq!(
            buf.spare_mut()[..65],
            [[7u8; 64].as_slice(), &[3]].concat()[..]
        );
    }

    #[test]
    fn small_payloads_live_inline_up_to_33_bytes() {
        let m = Msg::with_size(33).unwrap();
        assert_eq!(m.kind, KIND_INLINE);
        let m = Msg::with_size(34).unwrap();
        assert_eq!(m.kind, KIND_HEAP_SOLE);
        assert_eq!(m.size(), 34);
    }

    #[test]
    fn share_marks_large_payloads_shared_and_points_at_same_bytes() {
        let mut a = Msg::from_slice(&[7u8; 100]).unwrap();
        assert!(!a.is_shared());
        let b = a.share();
        assert!(a.is_shared() && b.is_shared());
        assert_eq!(a.data().as_ptr(), b.data().as_ptr());
        drop(a);
        assert_eq!(b.data(), &[7u8; 100][..]);
    }

    #[test]
    fn share_copies_inline_payloads_and_does_not_mark_them_shared() {
        let mut a = Msg::from_slice(b"hello").unwrap();
        let b = a.share();
        assert!(!a.is_shared() && !b.is_shared());
        assert_eq!(b.data(), b"hello");
    }

    static FREED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn count_free(_d: *mut c_void, _h: *mut c_void) {
        FREED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn user_buffer_is_freed_once_after_last_copy() {
        let mut buf = [1u8; 8];
        // SAFETY: buf outlives the messages below.
        let mut a = unsafe {
            Msg::from_user_buffer(
                buf.as_mut_ptr().cast(),
                buf.len(),
                Some(count_free),
                ptr::null_mut(),
            )
        };
        let b = a.share();
        let c = a.take();
        drop(a);
        drop(b);
        assert_eq!(FREED.load(Ordering::SeqCst), 0);
        drop(c);
        assert_eq!(FREED.load(Ordering::SeqCst), 1);
    }

    static FANOUT_FREED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn count_fanout_free(_d: *mut c_void, _h: *mut c_void) {
        FANOUT_FREED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn fan_out_copies_reserved_at_once_free_the_payload_once() {
        let mut buf = [3u8; 64];
        // SAFETY: buf outlives the messages below.
        let mut m = unsafe {
            Msg::from_user_buffer(
                buf.as_mut_ptr().cast(),
                buf.len(),
                Some(count_fanout_free),
                ptr::null_mut(),
            )
        };
        m.add_refs(3);
        assert!(m.is_shared());
        // SAFETY: three references were reserved, one per copy.
        let copies: Vec<Msg> = (0..3).map(|_| unsafe { m.dup_ref() }).collect();
        assert!(copies
            .iter()
            .all(|c| c.data() == &[3u8; 64][..] && c.is_shared()));
        drop(m);
        drop(copies);
        assert_eq!(FANOUT_FREED.load(Ordering::SeqCst), 1);
        // A sole heap message becomes shared (refcounted) once copies exist.
        let mut sole = Msg::with_size(100).unwrap();
        assert_eq!(sole.kind, KIND_HEAP_SOLE);
        sole.add_refs(1);
        assert_eq!(sole.kind, KIND_HEAP);
        // SAFETY: one reference reserved.
        let copy = unsafe { sole.dup_ref() };
        drop(sole);
        assert_eq!(copy.size(), 100);
    }

    #[test]
    fn long_groups_are_shared_and_short_groups_inline() {
        let mut m = Msg::new();
        m.set_group(b"short").unwrap();
        assert_eq!(m.group().to_bytes(), b"short");
        let long = [b'g'; 255];
        m.set_group(&long).unwrap();
        let n = m.share();
        assert_eq!(n.group().to_bytes(), &long[..]);
        assert_eq!(m.set_group(&[b'g'; 256]), Err(Error::Invalid));
    }

    #[test]
    fn huge_size_reports_no_memory_instead_of_aborting() {
        assert_eq!(Msg::with_size(usize::MAX).err(), Some(Error::NoMemory));
    }

    #[test]
    fn drop_front_trims_inline_and_heap_payloads() {
        let mut a = Msg::from_slice(b"headerpayload").unwrap();
        assert!(a.is_exclusive());
        a.drop_front(6);
        assert_eq!(a.data(), b"payload");
        let big: Vec<u8> = (0..200u8).collect();
        let mut b = Msg::from_slice(&big).unwrap();
        assert!(b.is_exclusive());
        b.drop_front(33);
        assert_eq!(b.data(), &big[33..]);
        let c = b.share();
        assert!(!b.is_exclusive() && !c.is_exclusive());
        b.drop_front(1000);
        assert_eq!(b.size(), 0);
    }
}
