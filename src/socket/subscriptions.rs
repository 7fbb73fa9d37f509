//! Subscription sets (RFC 29): counted topic prefixes; a message matches
//! when any subscribed prefix is a prefix of its first frame ("" matches
//! everything). Subscribing twice needs two unsubscribes.
//!
//! A handful of topics (most sockets carry one) stay in a flat list, the
//! quickest thing to match against; past [`FLAT_MAX`] they move to a
//! radix trie ([`Trie`]), where adding, removing and matching cost the
//! topic's or message's length, not the number of topics. Nothing in the
//! trie recurses, so a deep trie (a million one-byte-longer topics, the
//! shape of CVE-2021-20236) cannot overflow a stack, building or dropping.

/// Past this many topics a set becomes a trie.
const FLAT_MAX: usize = 16;

#[derive(Debug, Clone)]
enum Repr {
    Flat(Vec<(Vec<u8>, u32)>),
    Trie(Trie),
}

#[derive(Debug, Clone)]
pub struct Subscriptions {
    repr: Repr,
}

impl Default for Subscriptions {
    fn default() -> Subscriptions {
        Subscriptions {
            repr: Repr::Flat(Vec::new()),
        }
    }
}

impl Subscriptions {
    /// Adds one reference to `topic`; true if it is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        let entries = match &mut self.repr {
            Repr::Trie(t) => return t.add(topic),
            Repr::Flat(entries) => entries,
        };
        if let Some((_, n)) = entries.iter_mut().find(|(t, _)| t == topic) {
            *n = n.saturating_add(1);
            return false;
        }
        if entries.len() < FLAT_MAX {
            entries.push((topic.to_vec(), 1));
            if topic.is_empty() {
                // Matching tries the catch-all first.
                let last = entries.len() - 1;
                entries.swap(0, last);
            }
            return true;
        }
        let mut trie = Trie::new();
        for (t, n) in entries.drain(..) {
            trie.add_counted(&t, n);
        }
        let new = trie.add(topic);
        self.repr = Repr::Trie(trie);
        new
    }

    /// Drops one reference to `topic`; true if that was the last one.
    pub fn remove(&mut self, topic: &[u8]) -> bool {
        let entries = match &mut self.repr {
            Repr::Trie(t) => return t.remove(topic, false),
            Repr::Flat(entries) => entries,
        };
        let Some(i) = entries.iter().position(|(t, _)| t == topic) else {
            return false;
        };
        entries[i].1 -= 1;
        if entries[i].1 == 0 {
            entries.swap_remove(i);
            // The catch-all stays first.
            if let Some(j) = entries.iter().position(|(t, _)| t.is_empty()) {
                entries.swap(0, j);
            }
            return true;
        }
        false
    }

    /// Adds `topic` unless present (a set, as libzmq's XPUB keeps each
    /// pipe's subscriptions); true if it is new.
    pub fn insert(&mut self, topic: &[u8]) -> bool {
        if let Repr::Trie(t) = &mut self.repr {
            return t.insert(topic);
        }
        !self.contains(topic) && self.add(topic)
    }

    /// Removes `topic` whatever its count; true if it was there.
    pub fn remove_all(&mut self, topic: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Trie(t) => t.remove(topic, true),
            Repr::Flat(entries) => {
                let Some(i) = entries.iter().position(|(t, _)| t == topic) else {
                    return false;
                };
                entries[i].1 = 1;
                self.remove(topic)
            }
        }
    }

    fn contains(&self, topic: &[u8]) -> bool {
        match &self.repr {
            Repr::Flat(entries) => entries.iter().any(|(t, _)| t == topic),
            Repr::Trie(t) => t.find(topic).is_some_and(|i| t.nodes[i].value > 0),
        }
    }

    #[inline]
    pub fn matches(&self, data: &[u8]) -> bool {
        match &self.repr {
            Repr::Flat(entries) => entries.iter().any(|(t, _)| {
                // The empty topic (subscribe to everything) without a
                // memcmp call.
                t.is_empty() || (data.len() >= t.len() && data[..t.len()] == t[..])
            }),
            Repr::Trie(t) => t.matches(data),
        }
    }

    /// Every topic, once each.
    pub fn topics(&self) -> Vec<Vec<u8>> {
        match &self.repr {
            Repr::Flat(entries) => entries.iter().map(|(t, _)| t.clone()).collect(),
            Repr::Trie(t) => t.topics(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the trie's structure (tests and fuzzing; see `Trie::check`).
    pub fn check(&self) -> Result<(), String> {
        match &self.repr {
            Repr::Flat(_) => Ok(()),
            Repr::Trie(t) => t.check(),
        }
    }

    /// The number of distinct topics.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Flat(entries) => entries.len(),
            Repr::Trie(t) => t.topics,
        }
    }
}

/// A radix trie in one vector of nodes: node 0 is the root (the empty
/// topic); every other node hangs from its parent by a non-empty label,
/// and siblings' labels start with different bytes. A node's children sit
/// side by side in one block of the vector ([`Kids`]): a step of a walk is
/// one load at a computed address (no child table to read first), and
/// topics that differ in their last byte share cache lines, so a large
/// trie matched over and over touches few lines per message.
///
/// Generic over what a topic carries: a reference count for a socket's
/// own set ([`Subscriptions`]), the subscribed pipes for a publisher's
/// index ([`TopicIndex`]).
///
/// A node is half a cache line ([`Node`]); a label longer than 15 bytes
/// lives beside the nodes, in `longs`.
#[derive(Debug, Clone)]
struct Trie<V = u32> {
    /// Node 0 is the root; after it, blocks of [`SIZES`] nodes, one per
    /// node with children. A slot no child uses holds `Node::default()`:
    /// vacant, with an empty label (a child's label is never empty).
    nodes: Vec<Node<V>>,
    /// Where the freed blocks start, by class (their slots all vacant).
    free: Vec<Vec<u32>>,
    /// Labels too long for a node.
    longs: Longs,
    /// Topics whose value is set.
    topics: usize,
    /// Scratch: the nodes from the root to the one being removed.
    path: Vec<u32>,
}

/// What a trie node carries for the topic that ends there.
trait Value: Default + Copy {
    /// The topic is subscribed (a node without it exists only as a branch).
    fn is_set(&self) -> bool;
}

impl Value for u32 {
    fn is_set(&self) -> bool {
        *self > 0
    }
}

impl Value for Keys {
    fn is_set(&self) -> bool {
        self.0 != 0
    }
}

/// The keys (pipes) subscribed to one topic of a [`TopicIndex`], in 8
/// bytes (see `Node`): 0 for none; `key << 1 | 1` for one key, as most
/// topics have (no allocation per topic); `(i + 1) << 1` for several,
/// listed in the index's [`KeyLists`] at `i` (so is a single key too large
/// to shift).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Keys(u64);

/// What a [`Keys`] holds.
enum KeysRef<'a> {
    None,
    One(u64),
    Many(&'a [u64]),
}

/// The key lists of the topics with more than one key.
type KeyLists = Slab<Vec<u64>>;

/// Values by index, with the slots of removed ones reused: the trie's long
/// labels, an index's key lists.
#[derive(Debug, Clone)]
struct Slab<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Default> Slab<T> {
    fn insert(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.items[i as usize] = value;
                i
            }
            None => {
                self.items.push(value);
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Takes the value at `i` out, freeing its slot.
    fn remove(&mut self, i: usize) -> T {
        self.free.push(i as u32);
        std::mem::take(&mut self.items[i])
    }
}

impl Keys {
    /// Several keys, listed at `i`.
    fn list(lists: &mut KeyLists, keys: Vec<u64>) -> Keys {
        Keys(((lists.insert(keys) as u64) + 1) << 1)
    }

    fn one(key: u64) -> Option<Keys> {
        (key <= u64::MAX >> 1).then_some(Keys(key << 1 | 1))
    }

    /// The list's slot, for several keys.
    fn list_index(self) -> Option<usize> {
        (self.0 != 0 && self.0 & 1 == 0).then(|| (self.0 >> 1) as usize - 1)
    }

    #[inline]
    fn get(self, lists: &KeyLists) -> KeysRef<'_> {
        if self.0 & 1 == 1 {
            return KeysRef::One(self.0 >> 1);
        }
        match self.list_index() {
            Some(i) => KeysRef::Many(lists.items.get(i).map_or(&[], |v| v)),
            None => KeysRef::None,
        }
    }

    /// Adds `key` unless present; true if it was added.
    fn insert(&mut self, lists: &mut KeyLists, key: u64) -> bool {
        match self.get(lists) {
            KeysRef::None => *self = Keys::one(key).unwrap_or_else(|| Keys::list(lists, vec![key])),
            KeysRef::One(k) if k == key => return false,
            KeysRef::One(k) => *self = Keys::list(lists, vec![k, key]),
            KeysRef::Many(v) if v.contains(&key) => return false,
            KeysRef::Many(_) => {
                if let Some(i) = self.list_index() {
                    lists.items[i].push(key);
                }
            }
        }
        true
    }

    /// Removes `key`; true if it was there.
    fn remove(&mut self, lists: &mut KeyLists, key: u64) -> bool {
        match self.get(lists) {
            KeysRef::One(k) if k == key => *self = Keys(0),
            KeysRef::Many(_) => {
                let Some(i) = self.list_index() else {
                    return false;
                };
                let v = &mut lists.items[i];
                let Some(at) = v.iter().position(|k| *k == key) else {
                    return false;
                };
                v.swap_remove(at);
                let one = match v[..] {
                    [] => Some(Keys(0)),
                    [k] => Keys::one(k),
                    _ => None,
                };
                if let Some(keys) = one {
                    lists.remove(i);
                    *self = keys;
                }
            }
            _ => return false,
        }
        true
    }
}

/// A node's label, 16 bytes: up to 15 bytes kept in the node itself
/// (matching reads it without a second cache miss), a longer one in the
/// trie's [`Longs`]. Byte 0 is the length, or [`LONG`], bytes 1..12 the
/// long label's first 11 and bytes 12..16 its index: byte 1 is the first
/// byte either way. A vacant slot's label is empty.
#[derive(Debug, Clone, Copy, Default)]
struct Label([u8; 16]);

/// Label bytes kept in the node.
const LABEL_INLINE: usize = 15;
/// Byte 0 of a label kept in [`Longs`].
const LONG: u8 = 0xff;

impl Label {
    fn long_index(&self) -> Option<usize> {
        (self.0[0] == LONG)
            .then(|| u32::from_le_bytes([self.0[12], self.0[13], self.0[14], self.0[15]]) as usize)
    }

    /// The first byte (of a label that is not empty).
    #[inline]
    fn first(&self) -> u8 {
        self.0[1]
    }

    #[inline]
    fn is_vacant(&self) -> bool {
        self.0[0] == 0
    }
}

/// The labels longer than [`LABEL_INLINE`], by index.
#[derive(Debug, Clone, Default)]
struct Longs {
    slab: Slab<Box<[u8]>>,
}

impl Longs {
    #[inline]
    fn bytes<'a>(&'a self, label: &'a Label) -> &'a [u8] {
        let n = label.0[0] as usize;
        if n <= LABEL_INLINE {
            return &label.0[1..1 + n];
        }
        match label.long_index() {
            Some(i) => self.slab.items.get(i).map_or(&[], |b| b),
            None => &[],
        }
    }

    fn make(&mut self, bytes: &[u8]) -> Label {
        if bytes.len() <= LABEL_INLINE {
            // Assembled in a register: bytes copied into a stack array and
            // then read back as words would stall on store forwarding.
            let mut v = bytes.len() as u128;
            for (k, &b) in bytes.iter().enumerate() {
                v |= (b as u128) << (8 * (k + 1));
            }
            return Label(v.to_le_bytes());
        }
        let mut l = [0u8; 16];
        let i = self.slab.insert(bytes.into());
        l[0] = LONG;
        l[1..12].copy_from_slice(&bytes[..11]);
        l[12..16].copy_from_slice(&i.to_le_bytes());
        Label(l)
    }

    /// The bytes of `label`, which is no longer used (its slot is freed).
    fn take(&mut self, label: Label) -> Vec<u8> {
        match label.long_index() {
            Some(i) => self.slab.remove(i).into_vec(),
            None => self.bytes(&label).to_vec(),
        }
    }

    fn release(&mut self, label: Label) {
        if let Some(i) = label.long_index() {
            self.slab.remove(i);
        }
    }
}

/// Half a cache line per node (32 bytes): matching reads a node's label
/// and value, and where its children's block is, in one load. Two nodes to
/// a line keeps a large trie's working set small.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(32))]
struct Node<V> {
    label: Label,
    /// For the topic that ends here: references, or pipes.
    value: V,
    kids: Kids,
}

/// A node's children: a block of `SIZES[class]` nodes at `at` in the
/// trie's vector. Where their first bytes are dense enough ([`dense_ok`])
/// a child's slot is its first byte's distance from `min` (`at + byte -
/// min`, a vacant slot where there is no child): one load, without a
/// search or a mispredicted branch, as libzmq's trie does. Otherwise the
/// children fill the block's first `count` slots in byte order, found by
/// their labels' first byte, so a node with a few far-apart children
/// (`a...` and `z...`) stays small. A dense block's slots past its last
/// child are vacant too.
#[derive(Debug, Clone, Copy, Default)]
struct Kids {
    /// Where the block starts (0, the root's slot, while `count` is 0).
    at: u32,
    count: u16,
    /// Dense: the byte of slot 0.
    min: u8,
    /// [`DENSE`], and the block's size class (the low four bits).
    flags: u8,
}

const DENSE: u8 = 0x80;
const CLASS: u8 = 0x0f;
/// A node's first block: two slots (one cache line).
const FIRST_CLASS: u8 = 1;

/// Block sizes by class: steps of about 1.5, up to a child per byte
/// value. A dense block that must grow takes room for half as many bytes
/// again as it spans, so a node gaining children one by one (digits in
/// any order) moves them a few times, not once per child.
const SIZES: [u16; 16] = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];

/// A block indexed by byte is used while its span (last byte - first + 1)
/// is at most 4, or at most two slots per child; a sparse node turns
/// dense again on the same rule, a dense one sparse only past twice that
/// (4 slots a child), so a node at the edge does not flip on every change.
/// A slot is a node (32 bytes), so a dense block costs at most 128 bytes a
/// child (and the 1.5 steps).
const DENSE_SPAN: usize = 4;

fn dense_ok(span: usize, count: usize) -> bool {
    span <= DENSE_SPAN || span <= 2 * count
}

fn stays_dense(span: usize, count: usize) -> bool {
    span <= DENSE_SPAN || span <= 4 * count
}

/// The smallest size class that holds `n` slots (at most 256).
fn class_for(n: usize) -> u8 {
    SIZES
        .iter()
        .position(|&s| s as usize >= n)
        .unwrap_or(SIZES.len() - 1) as u8
}

/// Nodes (32 bytes each) up to which a trie's vector doubles
/// (`Trie::reserve_nodes`).
const GROW_FAST: usize = 256;
/// The capacity a trie's vector then takes at once: 128 KiB, glibc's
/// threshold for mapping a block by itself (fresh pages, faulted in only
/// when used; freed by unmapping).
const GROW_RESERVE: usize = 4096;

/// A sparse block up to this many children is searched in order; past
/// it, by halving.
const SCAN_MAX: usize = 8;

impl Kids {
    fn is_dense(&self) -> bool {
        self.flags & DENSE != 0
    }

    fn class(&self) -> u8 {
        self.flags & CLASS
    }

    /// The block's slots (0 without children).
    #[inline]
    fn size(&self) -> usize {
        if self.count == 0 {
            return 0;
        }
        SIZES[(self.flags & CLASS) as usize] as usize
    }

    /// The slots that can hold a child: a dense block's all, a sparse
    /// one's first `count`.
    fn used(&self) -> std::ops::Range<usize> {
        let at = self.at as usize;
        let n = if self.is_dense() {
            self.size()
        } else {
            self.count as usize
        };
        at..at + n
    }
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// `data` starts with `label`: labels are short, so a byte loop, not a
/// memcmp call.
#[inline]
fn starts_with(data: &[u8], label: &[u8]) -> bool {
    data.len() >= label.len() && label.iter().zip(data).all(|(a, b)| a == b)
}

impl<V: Value> Trie<V> {
    fn new() -> Trie<V> {
        Trie {
            nodes: vec![Node::default()],
            free: Vec::new(),
            longs: Longs::default(),
            topics: 0,
            path: Vec::new(),
        }
    }

    /// A block of class `class`, every slot vacant.
    fn alloc_block(&mut self, class: u8) -> usize {
        if let Some(at) = self.free.get_mut(class as usize).and_then(|f| f.pop()) {
            return at as usize;
        }
        let at = self.nodes.len();
        let n = SIZES[class as usize] as usize;
        self.reserve_nodes(n);
        self.nodes.resize(at + n, Node::default());
        at
    }

    /// Room for `n` more nodes. A node's 32-byte alignment is more than
    /// the system allocator can grow in place (glibc's `realloc` moves a
    /// large block with `mremap`, without a copy), so each growth is a
    /// new block and a copy, and the old block's pages were faulted in
    /// for nothing: doubling all the way cost over a quarter of the page
    /// faults of subscribing 10,000 topics. So: twice the capacity while
    /// that stays within [`GROW_FAST`] nodes; then [`GROW_RESERVE`] at
    /// once, a block large enough that the allocator maps it by itself,
    /// whose untouched part is address space only (its pages fault in as
    /// nodes arrive); then eight times the capacity, or what `resize`
    /// would take if the system refuses that much.
    fn reserve_nodes(&mut self, n: usize) {
        let (len, cap) = (self.nodes.len(), self.nodes.capacity());
        if len + n <= cap {
            return;
        }
        let want = if cap * 2 <= GROW_FAST {
            cap * 2
        } else if cap < GROW_RESERVE {
            GROW_RESERVE
        } else {
            cap.saturating_mul(8)
        };
        // Eight times a large trie may be more than the system will give
        // where doubling would still fit: then the vector grows as it
        // would have by itself (`resize`).
        let _ = self.nodes.try_reserve_exact(want.max(len + n) - len);
    }

    /// Takes back a block whose slots are all vacant.
    fn free_block(&mut self, at: usize, class: u8) {
        let class = class as usize;
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        self.free[class].push(at as u32);
    }

    #[inline]
    fn label(&self, i: usize) -> &[u8] {
        self.longs.bytes(&self.nodes[i].label)
    }

    /// The child whose label starts with `byte`, among those of `kids`.
    #[inline]
    fn child_in(&self, kids: &Kids, byte: u8) -> Option<usize> {
        let at = kids.at as usize;
        if kids.is_dense() {
            // Below `min` wraps past the last child (its byte is at most
            // 255, so its slot at most 255 - min): to a vacant slot or
            // past the block.
            let i = byte.wrapping_sub(kids.min) as usize;
            if i >= kids.size() {
                return None;
            }
            return match self.nodes.get(at + i) {
                Some(n) if !n.label.is_vacant() => Some(at + i),
                _ => None,
            };
        }
        let block = self.nodes.get(at..at + kids.count as usize)?;
        if block.len() <= SCAN_MAX {
            block
                .iter()
                .position(|n| n.label.first() == byte)
                .map(|k| at + k)
        } else {
            block
                .binary_search_by_key(&byte, |n| n.label.first())
                .ok()
                .map(|k| at + k)
        }
    }

    #[inline]
    fn child(&self, node: usize, byte: u8) -> Option<usize> {
        self.child_in(&self.nodes[node].kids, byte)
    }

    /// `node`'s children as (first byte, index), in byte order.
    fn children(&self, node: usize) -> impl Iterator<Item = (u8, usize)> + '_ {
        self.nodes[node].kids.used().filter_map(move |c| {
            let n = self.nodes.get(c)?;
            (!n.label.is_vacant()).then(|| (n.label.first(), c))
        })
    }

    /// Moves `node`'s children out (as (first byte, node), in byte order)
    /// and frees their block.
    fn take_children(&mut self, node: usize) -> Vec<(u8, Node<V>)> {
        let kids = self.nodes[node].kids;
        let mut out = Vec::with_capacity(kids.count as usize + 1);
        if kids.count == 0 {
            return out;
        }
        for c in kids.used() {
            let n = std::mem::take(&mut self.nodes[c]);
            if !n.label.is_vacant() {
                out.push((n.label.first(), n));
            }
        }
        self.free_block(kids.at as usize, kids.class());
        self.nodes[node].kids = Kids::default();
        out
    }

    /// Gives `node` a new block holding `kids` (sorted by byte, none yet
    /// placed), dense or sparse by the density rule (see [`DENSE_SPAN`]);
    /// `dense_before`: the block it had was dense (a child went). Returns
    /// where the child for `byte` went.
    fn store(
        &mut self,
        node: usize,
        kids: &[(u8, Node<V>)],
        dense_before: bool,
        byte: u8,
    ) -> usize {
        let (Some(first), Some(last)) = (kids.first(), kids.last()) else {
            self.nodes[node].kids = Kids::default();
            return 0;
        };
        let count = kids.len();
        let span = (last.0 - first.0) as usize + 1;
        let dense = dense_ok(span, count) || (dense_before && stays_dense(span, count));
        let class = class_for(if dense { span } else { count });
        let at = self.alloc_block(class);
        let mut placed = at;
        for (k, &(b, n)) in kids.iter().enumerate() {
            let slot = at + if dense { (b - first.0) as usize } else { k };
            self.nodes[slot] = n;
            if b == byte {
                placed = slot;
            }
        }
        self.nodes[node].kids = Kids {
            at: at as u32,
            count: count as u16,
            min: first.0,
            flags: class | if dense { DENSE } else { 0 },
        };
        placed
    }

    /// The slot of the last child in a dense block, from its start.
    fn last_slot(&self, kids: &Kids) -> usize {
        kids.used()
            .rposition(|s| !self.nodes[s].label.is_vacant())
            .unwrap_or(0)
    }

    /// Moves the first `n` slots of `node`'s block into a new block of
    /// `class`, `shift` slots further in; the old one is vacated and
    /// freed. Returns the new block's start.
    fn move_block(&mut self, node: usize, n: usize, class: u8, shift: usize) -> usize {
        let kids = self.nodes[node].kids;
        let at = kids.at as usize;
        let to = self.alloc_block(class);
        self.nodes.copy_within(at..at + n, to + shift);
        self.nodes[at..at + n].fill(Node::default());
        self.free_block(at, kids.class());
        let k = &mut self.nodes[node].kids;
        k.at = to as u32;
        k.flags = (kids.flags & DENSE) | class;
        to
    }

    /// Puts `child`, whose label starts with `byte`, under `node` (which
    /// has no child for `byte`); returns its index.
    fn add_child(&mut self, node: usize, byte: u8, child: Node<V>) -> usize {
        let kids = self.nodes[node].kids;
        let count = kids.count as usize;
        if count == 0 {
            // Room for one more: a node rarely keeps one child.
            let at = self.alloc_block(FIRST_CLASS);
            self.nodes[at] = child;
            self.nodes[node].kids = Kids {
                at: at as u32,
                count: 1,
                min: byte,
                flags: DENSE | FIRST_CLASS,
            };
            return at;
        }
        let at = kids.at as usize;
        if kids.is_dense() {
            let (min, b) = (kids.min as usize, byte as usize);
            if b >= min && b - min < kids.size() {
                self.nodes[at + b - min] = child;
                self.nodes[node].kids.count += 1;
                return at + b - min;
            }
            let last = min + self.last_slot(&kids);
            let (lo, hi) = (min.min(b), last.max(b));
            if dense_ok(hi - lo + 1, count + 1) {
                // A larger block (or the same bytes shifted in one).
                let to = self.move_block(
                    node,
                    last - min + 1,
                    class_for((hi - lo + 1) * 3 / 2),
                    min - lo,
                );
                self.nodes[to + b - lo] = child;
                let k = &mut self.nodes[node].kids;
                (k.count, k.min) = (k.count + 1, lo as u8);
                return to + b - lo;
            }
        } else {
            let first = self.nodes[at].label.first();
            let last = self.nodes[at + count - 1].label.first();
            if !dense_ok((byte.max(last) - byte.min(first)) as usize + 1, count + 1) {
                // Stays sparse: inserted in order, in a larger block if full.
                let k = self.nodes[at..at + count]
                    .iter()
                    .take_while(|n| n.label.first() < byte)
                    .count();
                let at = if count < kids.size() {
                    at
                } else {
                    self.move_block(node, count, class_for(count + 1), 0)
                };
                self.nodes.copy_within(at + k..at + count, at + k + 1);
                self.nodes[at + k] = child;
                self.nodes[node].kids.count += 1;
                return at + k;
            }
        }
        // The block changes kind: rebuilt.
        let mut all = self.take_children(node);
        let k = all.partition_point(|&(b, _)| b < byte);
        all.insert(k, (byte, child));
        self.store(node, &all, false, byte)
    }

    /// Takes `node`'s child for `byte` out of its block (leaving it
    /// vacant); the child must have neither children nor a long label.
    fn remove_child(&mut self, node: usize, byte: u8) {
        let Some(c) = self.child(node, byte) else {
            return;
        };
        let kids = self.nodes[node].kids;
        let (at, count, size) = (kids.at as usize, kids.count as usize, kids.size());
        self.nodes[c] = Node::default();
        if count == 1 {
            self.free_block(at, kids.class());
            self.nodes[node].kids = Kids::default();
            return;
        }
        let left = count - 1;
        self.nodes[node].kids.count -= 1;
        if kids.is_dense() {
            if c == at {
                // The first child went: the block starts at the next.
                let lead = self.nodes[at..at + size]
                    .iter()
                    .take_while(|n| n.label.is_vacant())
                    .count();
                self.nodes.copy_within(at + lead..at + size, at);
                self.nodes[at + size - lead..at + size].fill(Node::default());
                self.nodes[node].kids.min = kids.min.wrapping_add(lead as u8);
            }
            let span = self.last_slot(&self.nodes[node].kids) + 1;
            if stays_dense(span, left) {
                if 2 * span <= size && size > DENSE_SPAN {
                    // Mostly empty: a smaller block.
                    self.move_block(node, span, class_for(span), 0);
                }
                return;
            }
        } else {
            self.nodes.copy_within(c + 1..at + count, c);
            self.nodes[at + left] = Node::default();
            let span = (self.nodes[at + left - 1].label.first() - self.nodes[at].label.first())
                as usize
                + 1;
            if !dense_ok(span, left) {
                if 4 * left <= size {
                    self.move_block(node, left, class_for(left), 0);
                }
                return;
            }
        }
        // Dense again, or too sparse now: rebuilt.
        let all = self.take_children(node);
        self.store(node, &all, kids.is_dense(), 0);
    }

    /// The node where `topic` ends, splitting an edge if it ends inside
    /// one, creating the tail if missing.
    fn node_for(&mut self, topic: &[u8]) -> usize {
        let (mut node, mut rest) = (0usize, topic);
        while let Some(&first) = rest.first() {
            let Some(child) = self.child(node, first) else {
                let label = self.longs.make(rest);
                let leaf = Node {
                    label,
                    value: V::default(),
                    kids: Kids::default(),
                };
                return self.add_child(node, first, leaf);
            };
            let label = self.label(child);
            let k = common_prefix(label, rest);
            if k < label.len() {
                // Split the edge: the middle (label[..k]) takes the
                // child's slot, the child (label[k..]) goes under it.
                let (head, tail, tail_first) = self.split_label(child, k);
                let mut moved = self.nodes[child];
                moved.label = tail;
                self.nodes[child] = Node {
                    label: head,
                    value: V::default(),
                    kids: Kids::default(),
                };
                self.add_child(child, tail_first, moved);
            }
            node = child;
            rest = &rest[k..];
        }
        node
    }

    /// Node `i`'s label cut at `k` (0 < k < its length): the head, the
    /// tail and the tail's first byte. The old label is freed.
    fn split_label(&mut self, i: usize, k: usize) -> (Label, Label, u8) {
        let old = self.nodes[i].label;
        if old.long_index().is_none() {
            // Short: copied on the stack, no allocation.
            let mut buf = [0u8; LABEL_INLINE];
            let bytes = self.longs.bytes(&old);
            let n = bytes.len();
            buf[..n].copy_from_slice(bytes);
            let (head, tail) = (self.longs.make(&buf[..k]), self.longs.make(&buf[k..n]));
            return (head, tail, buf[k]);
        }
        let bytes = self.longs.take(old);
        let (head, tail) = (self.longs.make(&bytes[..k]), self.longs.make(&bytes[k..]));
        (head, tail, bytes.get(k).copied().unwrap_or(0))
    }

    /// The node where `topic` ends exactly, if there is one; `path` gets
    /// the nodes from the root to it.
    fn find_path(&self, topic: &[u8], path: &mut Vec<u32>) -> Option<usize> {
        path.clear();
        path.push(0);
        self.walk(topic, |node| path.push(node as u32))
    }

    /// The node where `topic` ends exactly, if there is one.
    fn find(&self, topic: &[u8]) -> Option<usize> {
        self.walk(topic, |_| {})
    }

    /// Follows `topic` from the root, calling `step` with each node
    /// entered; the node where it ends exactly, if there is one.
    #[inline]
    fn walk(&self, topic: &[u8], mut step: impl FnMut(usize)) -> Option<usize> {
        let (mut node, mut rest) = (0usize, topic);
        while let Some(&first) = rest.first() {
            let child = self.child(node, first)?;
            let label = self.label(child);
            if !rest.starts_with(label) {
                return None;
            }
            rest = &rest[label.len()..];
            node = child;
            step(node);
        }
        Some(node)
    }

    /// The value of the node `path` ends at was just cleared (the topic
    /// count already says so): prune empty leaves upwards, then merge a
    /// lone child into a node that carries no topic, so the trie stays
    /// compressed. Only slots of blocks below a node on `path` move, so
    /// the path stays valid on the way up.
    fn prune(&mut self, path: &[u32]) {
        let Some(mut k) = path.len().checked_sub(1) else {
            return;
        };
        let mut i = path[k] as usize;
        while k > 0 && !self.nodes[i].value.is_set() && self.nodes[i].kids.count == 0 {
            let parent = path[k - 1] as usize;
            let label = self.nodes[i].label;
            self.longs.release(label);
            self.remove_child(parent, label.first());
            k -= 1;
            i = parent;
        }
        if k == 0 || self.nodes[i].value.is_set() || self.nodes[i].kids.count != 1 {
            return;
        }
        // The only child takes `i`'s place, `i`'s label in front of its
        // own: no value moves to another node, no grandchild needs a new
        // parent.
        let Some((_, c)) = self.children(i).next() else {
            return;
        };
        let mut label = self.label(i).to_vec();
        let (head, kids, child) = (self.nodes[i].label, self.nodes[i].kids, self.nodes[c]);
        label.extend_from_slice(&self.longs.take(child.label));
        self.longs.release(head);
        self.nodes[c] = Node::default();
        self.free_block(kids.at as usize, kids.class());
        self.nodes[i] = Node {
            label: self.longs.make(&label),
            value: child.value,
            kids: child.kids,
        };
    }

    /// Removes the node where `topic` ends if `clear` empties its value
    /// (given the value, it says whether it did), pruning and merging
    /// around it; `None` if no node ends there, else what `clear` said.
    fn clear_with(&mut self, topic: &[u8], clear: impl FnOnce(&mut V) -> bool) -> Option<bool> {
        let mut path = std::mem::take(&mut self.path);
        let cleared = self.find_path(topic, &mut path).map(|i| {
            let emptied = clear(&mut self.nodes[i].value);
            if emptied {
                self.topics -= 1;
                self.prune(&path);
            }
            emptied
        });
        self.path = path;
        if self.topics == 0 && self.nodes.len() > 1 {
            // Empty again: its storage goes back (nodes and free lists
            // never shrink while topics remain).
            *self = Trie::new();
        }
        cleared
    }

    /// Calls `f` with the value of each subscribed prefix of `data`,
    /// shortest first, until it returns true; whether one did.
    #[inline]
    fn prefixes(&self, data: &[u8], mut f: impl FnMut(&V) -> bool) -> bool {
        let (mut node, mut rest) = (0usize, data);
        loop {
            let n = &self.nodes[node];
            if n.value.is_set() && f(&n.value) {
                return true;
            }
            let Some(child) = rest.first().and_then(|&b| self.child_in(&n.kids, b)) else {
                return false;
            };
            let label = self.label(child);
            if !starts_with(rest, label) {
                return false;
            }
            rest = &rest[label.len()..];
            node = child;
        }
    }

    /// Every topic whose value is set, depth first, without recursion.
    fn topics(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.topics);
        // (node, length of the path before its label)
        let mut stack = vec![(0usize, 0usize)];
        let mut path: Vec<u8> = Vec::new();
        while let Some((i, depth)) = stack.pop() {
            path.truncate(depth);
            path.extend_from_slice(self.label(i));
            if self.nodes[i].value.is_set() {
                out.push(path.clone());
            }
            let at = stack.len();
            stack.extend(self.children(i).map(|(_, c)| (c, path.len())));
            stack[at..].reverse();
        }
        out
    }

    /// Checks the trie's invariants (for tests and fuzzing): children in
    /// byte order under their label's first byte, in their slots, blocks
    /// within the density rule, vacant slots empty, no node without a
    /// topic and with fewer than two children (but the root), the topic
    /// count, and every slot of the vector in use or free.
    fn check(&self) -> Result<(), String> {
        let (mut slots, mut topics) = (1usize, 0usize);
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            let node = self.nodes.get(i).ok_or(format!("node {i} past the end"))?;
            let k = node.kids;
            if k.count == 0 && (k.at != 0 || k.flags != 0) {
                return Err(format!("node {i}: a block {k:?} without children"));
            }
            if k.count > 0 {
                let (at, size) = (k.at as usize, k.size());
                if at == 0 || at + size > self.nodes.len() {
                    return Err(format!("node {i}: block {k:?} out of range"));
                }
                slots += size;
                let mut kids = Vec::new();
                for s in at..at + size {
                    let n = &self.nodes[s];
                    if n.label.is_vacant() {
                        if n.value.is_set() || n.kids.count != 0 || n.label.0 != [0; 16] {
                            return Err(format!("node {i}: vacant slot {s} not empty"));
                        }
                    } else {
                        kids.push((s - at, n.label.first(), s));
                    }
                }
                if kids.len() != k.count as usize {
                    return Err(format!(
                        "node {i}: count {} for {} children",
                        k.count,
                        kids.len()
                    ));
                }
                if kids.windows(2).any(|w| w[0].1 >= w[1].1) {
                    return Err(format!("node {i}: children out of order"));
                }
                let (first, last) = (kids[0].1 as usize, kids[kids.len() - 1].1 as usize);
                let span = last - first + 1;
                let placed = if k.is_dense() {
                    k.min as usize == first
                        && kids.iter().all(|&(s, b, _)| s == b as usize - first)
                        && stays_dense(span, kids.len())
                } else {
                    kids.iter().enumerate().all(|(j, &(s, _, _))| s == j)
                };
                if !placed || k.class() >= SIZES.len() as u8 {
                    return Err(format!("node {i}: block {k:?} misplaces its children"));
                }
                for (_, b, c) in kids {
                    if self.label(c).first() != Some(&b) {
                        return Err(format!(
                            "node {c}: label {:?} under byte {b}",
                            self.label(c)
                        ));
                    }
                    stack.push(c);
                }
            }
            if node.value.is_set() {
                topics += 1;
            } else if i != 0 && k.count < 2 {
                return Err(format!("node {i}: no topic and {} children", k.count));
            }
        }
        if topics != self.topics {
            return Err(format!("{topics} topics counted as {}", self.topics));
        }
        for (class, blocks) in self.free.iter().enumerate() {
            for &at in blocks {
                let block = self
                    .nodes
                    .get(at as usize..at as usize + SIZES[class] as usize)
                    .ok_or(format!("free block {at} out of range"))?;
                if block
                    .iter()
                    .any(|n| !n.label.is_vacant() || n.kids.count != 0)
                {
                    return Err(format!("free block {at} not vacant"));
                }
                slots += block.len();
            }
        }
        if slots != self.nodes.len() {
            return Err(format!(
                "{slots} slots in use or free of {}",
                self.nodes.len()
            ));
        }
        Ok(())
    }
}

/// A socket's own set: reference counts.
impl Trie<u32> {
    fn add_counted(&mut self, topic: &[u8], n: u32) {
        let i = self.node_for(topic);
        if self.nodes[i].value == 0 {
            self.topics += 1;
        }
        self.nodes[i].value = self.nodes[i].value.saturating_add(n);
    }

    fn add(&mut self, topic: &[u8]) -> bool {
        let i = self.node_for(topic);
        self.nodes[i].value = self.nodes[i].value.saturating_add(1);
        let new = self.nodes[i].value == 1;
        self.topics += new as usize;
        new
    }

    /// Adds `topic` with one reference unless present, in one walk; true
    /// if it is new.
    fn insert(&mut self, topic: &[u8]) -> bool {
        let i = self.node_for(topic);
        if self.nodes[i].value > 0 {
            return false;
        }
        self.nodes[i].value = 1;
        self.topics += 1;
        true
    }

    /// Drops one reference (`all`: every one); true if the topic is gone.
    fn remove(&mut self, topic: &[u8], all: bool) -> bool {
        self.clear_with(topic, |count| {
            if *count == 0 {
                return false;
            }
            *count = if all { 0 } else { *count - 1 };
            *count == 0
        })
        .unwrap_or(false)
    }

    #[inline]
    fn matches(&self, data: &[u8]) -> bool {
        self.prefixes(data, |_| true)
    }
}

/// A publisher's subscriptions: topic -> the pipes (or any keys)
/// subscribed to it, so a message's recipients come from one walk along
/// its first frame, and a subscription costs one walk. Each (topic, key)
/// pair is in once: a subscriber's topics are a set, as in libzmq's XPUB.
/// A topic is in the union over subscribers while any key has it.
///
/// Keys are kept as u64s (a pipe's id is one), so that a node's value is
/// 8 bytes (see [`Keys`]).
#[derive(Debug, Clone)]
pub struct TopicIndex<K> {
    trie: Trie<Keys>,
    lists: KeyLists,
    key: std::marker::PhantomData<K>,
}

impl<K> Default for TopicIndex<K> {
    fn default() -> TopicIndex<K> {
        TopicIndex {
            trie: Trie::new(),
            lists: KeyLists::default(),
            key: std::marker::PhantomData,
        }
    }
}

/// What a change to a [`TopicIndex`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The key's set changed (it gained or lost the topic).
    pub changed: bool,
    /// The topic entered or left the union: its first key came or its
    /// last went.
    pub edge: bool,
}

impl<K: Copy + Into<u64> + TryFrom<u64>> TopicIndex<K> {
    /// Subscribes `key` to `topic` unless it is already.
    pub fn add(&mut self, topic: &[u8], key: K) -> Change {
        let i = self.trie.node_for(topic);
        let keys = &mut self.trie.nodes[i].value;
        let was_set = keys.is_set();
        let changed = keys.insert(&mut self.lists, key.into());
        if changed && !was_set {
            self.trie.topics += 1;
        }
        Change {
            changed,
            edge: changed && !was_set,
        }
    }

    /// Cancels `key`'s subscription to `topic`, if it has one.
    pub fn remove(&mut self, topic: &[u8], key: K) -> Change {
        let mut changed = false;
        let lists = &mut self.lists;
        let edge = self.trie.clear_with(topic, |keys| {
            changed = keys.remove(lists, key.into());
            changed && !keys.is_set()
        });
        if self.trie.topics == 0 {
            self.lists = KeyLists::default();
        }
        Change {
            changed,
            edge: edge == Some(true),
        }
    }

    /// Cancels the `count` subscriptions of `key` (its pipe is gone) in one
    /// walk over the trie, without recursion, stopping once all are found
    /// (libzmq walks it all). `removed` gets each topic, and whether `key`
    /// was its last subscriber.
    pub fn remove_key(&mut self, key: K, count: usize, mut removed: impl FnMut(&[u8], bool)) {
        let key: u64 = key.into();
        // (topic, it was the last key)
        let mut found: Vec<(Vec<u8>, bool)> = Vec::new();
        // (node, length of the path before its label)
        let mut stack = vec![(0usize, 0usize)];
        let mut path: Vec<u8> = Vec::new();
        while let Some((i, depth)) = stack.pop() {
            if found.len() >= count {
                break;
            }
            path.truncate(depth);
            path.extend_from_slice(self.trie.label(i));
            let node = &mut self.trie.nodes[i];
            if node.value.remove(&mut self.lists, key) {
                found.push((path.clone(), !node.value.is_set()));
            }
            let at = stack.len();
            stack.extend(self.trie.children(i).map(|(_, c)| (c, path.len())));
            stack[at..].reverse();
        }
        // Pruned once the walk is over: pruning frees nodes.
        for (topic, last) in &found {
            if *last {
                self.trie.clear_with(topic, |keys| !keys.is_set());
            }
            removed(topic, *last);
        }
        if self.trie.topics == 0 {
            self.lists = KeyLists::default();
        }
    }

    /// Appends the keys subscribed to a prefix of `data`: each once, but
    /// for a key subscribed to several of its prefixes (then `out` has it
    /// as often; the caller dedups). Returns how many prefixes matched.
    #[inline]
    pub fn collect(&self, data: &[u8], out: &mut Vec<K>) -> usize {
        let mut hits = 0;
        self.trie.prefixes(data, |keys| {
            match keys.get(&self.lists) {
                KeysRef::One(k) => out.extend(K::try_from(k).ok()),
                KeysRef::Many(v) => out.extend(v.iter().filter_map(|&k| K::try_from(k).ok())),
                KeysRef::None => {}
            }
            hits += 1;
            false
        });
        hits
    }

    /// Checks the trie's structure (tests and fuzzing; see `Trie::check`).
    pub fn check(&self) -> Result<(), String> {
        self.trie.check()
    }

    /// The number of distinct topics (over all keys).
    pub fn len(&self) -> usize {
        self.trie.topics
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A subscription message as it travels in pipes and over ZMTP 3.0:
/// `0x01 topic` subscribes, `0x00 topic` cancels.
pub fn parse(msg: &[u8]) -> Option<(bool, &[u8])> {
    match msg.split_first() {
        Some((1, topic)) => Some((true, topic)),
        Some((0, topic)) => Some((false, topic)),
        _ => None,
    }
}

/// A subscription message, flagged so the engine can send it as a command.
pub fn message(subscribe: bool, topic: &[u8]) -> crate::error::Result<crate::msg::Msg> {
    let mut m = crate::msg::Msg::new();
    fill_message(&mut m, subscribe, topic)?;
    Ok(m)
}

/// [`message`] written over `m` (dropping what it held) in place: no
/// 64-byte message is built and then copied out, and no allocation for a
/// short topic.
pub fn fill_message(
    m: &mut crate::msg::Msg,
    subscribe: bool,
    topic: &[u8],
) -> crate::error::Result<()> {
    m.reset_with_size(topic.len() + 1, crate::msg::flags::SUBSCRIPTION)?;
    let data = m.data_mut();
    data[0] = subscribe as u8;
    data[1..].copy_from_slice(topic);
    Ok(())
}

pub fn encode(subscribe: bool, topic: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(topic.len() + 1);
    v.push(subscribe as u8);
    v.extend_from_slice(topic);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trie_node_is_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<Node<u32>>(), 32);
        assert_eq!(std::mem::size_of::<Node<Keys>>(), 32);
        assert_eq!(std::mem::size_of::<Label>(), 16);
    }

    #[test]
    fn a_departing_key_leaves_the_others_and_reports_its_last_topics() {
        let mut index = TopicIndex::<u64>::default();
        for t in 0..100u64 {
            let topic = format!("t{t}");
            assert_eq!(
                index.add(topic.as_bytes(), t % 2),
                Change {
                    changed: true,
                    edge: true
                }
            );
            assert!(!index.add(topic.as_bytes(), t % 2).changed, "a set");
        }
        assert!(!index.add(b"t1", 0).edge);
        let mut left = Vec::new();
        let mut all = 0;
        index.remove_key(1, 50, |t, last| {
            all += 1;
            if last {
                left.push(t.to_vec());
            }
        });
        // Key 1 had the odd topics; t1 stays (key 0 has it too).
        assert_eq!((all, left.len()), (50, 49));
        assert_eq!(index.len(), 51);
        let mut out = Vec::new();
        assert_eq!(index.collect(b"t1", &mut out), 1);
        assert_eq!(out, [0]);
        out.clear();
        index.collect(b"t3", &mut out);
        assert!(out.is_empty());
        index.remove_key(0, 51, |_, _| {});
        assert!(index.is_empty());
        // Empty again: everything it held is given back.
        assert_eq!((index.trie.nodes.len(), index.trie.free.len()), (1, 0));
        assert!(index.lists.items.is_empty());
    }

    #[test]
    fn long_labels_and_many_subscribers_round_trip() {
        let mut index = TopicIndex::<u64>::default();
        let long = b"a-topic-name-much-longer-than-fourteen-bytes".to_vec();
        for key in 0..5u64 {
            index.add(&long, key);
            index.add(&long[..20], key);
        }
        let mut out = Vec::new();
        assert_eq!(index.collect(&long, &mut out), 2);
        out.sort_unstable();
        assert_eq!(out, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
        for key in 0..4u64 {
            index.remove(&long, key);
        }
        out.clear();
        index.collect(&long, &mut out);
        out.sort_unstable();
        assert_eq!(out, [0, 1, 2, 3, 4, 4]);
    }

    use super::*;

    #[test]
    fn subscriptions_are_counted_and_match_by_prefix() {
        let mut s = Subscriptions::default();
        assert!(s.add(b"ab"));
        assert!(!s.add(b"ab"));
        assert!(s.matches(b"abc") && !s.matches(b"a"));
        assert!(!s.remove(b"ab"));
        assert!(s.matches(b"abc"));
        assert!(s.remove(b"ab"));
        assert!(!s.matches(b"abc"));
        s.add(b"");
        assert!(s.matches(b"anything"));
    }

    /// The same operations on a set and on a plain model (a map).
    #[test]
    fn the_trie_agrees_with_a_model() {
        // Three letters: every child table dense.
        trie_model(b"abc");
        // Far-apart bytes: tables turn sparse and back, grow at both ends.
        trie_model(&[0x00, 0x01, b'a', b'q', b'z', 0x7f, 0x80, 0xfe, 0xff]);
    }

    fn trie_model(alphabet: &[u8]) {
        use std::collections::BTreeMap;
        let pick = |r: u64| alphabet[(r % alphabet.len() as u64) as usize];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Miri interprets: fewer rounds, still well past the flat list's 16.
        let (rounds, ops) = if cfg!(miri) { (2, 300) } else { (20, 2000) };
        for round in 0..rounds {
            let mut s = Subscriptions::default();
            let mut model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
            for _ in 0..ops {
                let len = (next() % 6) as usize;
                let topic: Vec<u8> = (0..len).map(|_| pick(next())).collect();
                match next() % 4 {
                    0 | 1 => {
                        let new = !model.contains_key(&topic);
                        *model.entry(topic.clone()).or_insert(0) += 1;
                        assert_eq!(s.add(&topic), new, "round {round}");
                    }
                    2 => {
                        let last = model.get(&topic) == Some(&1);
                        if let Some(n) = model.get_mut(&topic) {
                            *n -= 1;
                            if *n == 0 {
                                model.remove(&topic);
                            }
                        }
                        assert_eq!(s.remove(&topic), last, "round {round}");
                    }
                    _ => {
                        let there = model.remove(&topic).is_some();
                        assert_eq!(s.remove_all(&topic), there, "round {round}");
                    }
                }
                let probe: Vec<u8> = (0..(next() % 8)).map(|_| pick(next())).collect();
                let want = model.keys().any(|t| probe.starts_with(t));
                assert_eq!(s.matches(&probe), want, "round {round} {probe:?}");
                assert_eq!(s.check(), Ok(()), "round {round}");
                assert_eq!(s.len(), model.len());
            }
            let mut got = s.topics();
            got.sort();
            assert_eq!(got, model.keys().cloned().collect::<Vec<_>>());
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "quadratic: still running after minutes under Miri, even 300 deep"
    )]
    fn a_deep_trie_neither_recurses_nor_stays_large() {
        // One topic per length up to 20 kB: a trie 20,000 deep (a test
        // thread's 2 MiB stack would hardly survive recursion that deep),
        // built, matched, cloned and dropped.
        let mut s = Subscriptions::default();
        let long = vec![b'x'; 20_000];
        for n in 1..=long.len() {
            s.add(&long[..n]);
        }
        assert_eq!(s.len(), 20_000);
        assert!(s.matches(&long) && !s.matches(b"y"));
        drop(s.clone());
        for n in 1..=long.len() {
            assert!(s.remove(&long[..n]));
        }
        assert!(s.is_empty() && !s.matches(&long));
        if let Repr::Trie(t) = &s.repr {
            assert_eq!(t.nodes.len(), 1, "only the root is left");
        }
        let mut s = Subscriptions::default();
        for n in 1..=long.len() {
            s.add(&long[..n]);
        }
        drop(s);
    }

    #[test]
    fn child_tables_stay_within_the_density_rule() {
        // The root's children, by first byte: a table only while dense.
        let root = |s: &Subscriptions| match &s.repr {
            Repr::Trie(t) => {
                let k = &t.nodes[0].kids;
                (k.is_dense(), k.size(), k.count)
            }
            Repr::Flat(_) => panic!("still flat"),
        };
        let mut s = Subscriptions::default();
        // Past the flat list, all under one prefix byte except two.
        for i in 0..20 {
            s.add(format!("m{i}").as_bytes());
        }
        s.add(b"\x00");
        s.add(b"\xff");
        // 'm', 0x00, 0xff: a span of 256 for 3 children is sparse.
        assert_eq!(root(&s), (false, 3, 3));
        assert!(s.matches(b"\x00x") && s.matches(b"\xff") && s.matches(b"m1x"));
        assert!(!s.matches(b"\x01") && !s.matches(b"n"));
        // Every byte: dense, one slot each.
        for b in 0..=255u8 {
            s.add(&[b, b'!']);
        }
        assert_eq!(root(&s), (true, 256, 256));
        assert!((0..=255u8).all(|b| s.matches(&[b, b'!'])));
        // Back to three: sparse again (a block shrinks once a quarter
        // full); then to one: a one-slot block.
        for b in 0..=255u8 {
            s.remove(&[b, b'!']);
        }
        assert_eq!(root(&s), (false, 4, 3));
        s.remove(b"\x00");
        s.remove(b"\xff");
        assert_eq!(root(&s), (true, 1, 1));
        assert!(s.matches(b"m19") && !s.matches(b"\xff"));
    }

    #[test]
    fn a_table_near_byte_255_keeps_low_bytes_out_of_its_tail() {
        // Children 0xfa..0xfe: a dense table of 8 slots, whose last three
        // would stand for 0x100.. (bytes 0x00-0x02 when wrapped).
        let mut s = Subscriptions::default();
        for i in 0..20 {
            s.add(format!("m{i}").as_bytes());
        }
        for b in 0xfa..=0xfeu8 {
            s.add(&[b]);
        }
        for i in 0..20 {
            s.remove(format!("m{i}").as_bytes());
        }
        s.add(&[0x01, b'x']);
        s.add(&[0x00]);
        // Rebuilt from its list: which must come in byte order.
        s.add(&[0x80]);
        assert!(s.matches(&[0x01, b'x']) && s.matches(&[0x00]) && s.matches(&[0xfe]));
        assert!(s.matches(&[0x80]) && !s.matches(&[0x81]));
        assert_eq!(s.check(), Ok(()));
        assert!(!s.matches(&[0x02]) && !s.matches(&[0xff]) && !s.matches(&[0x01]));
        let mut got = s.topics();
        got.sort();
        assert_eq!(got.len(), 8);
        assert_eq!(got[0], [0x00]);
        assert_eq!(got[1], [0x01, b'x']);
        assert_eq!(got[2], [0x80]);
        assert_eq!(got[7], [0xfe]);
    }

    #[test]
    fn many_topics_and_a_long_one() {
        let mut s = Subscriptions::default();
        for i in 0..1000 {
            assert!(s.add(format!("t{i}").as_bytes()));
        }
        assert!(s.matches(b"t999-data") && s.matches(b"t5") && !s.matches(b"x5"));
        assert!(!s.matches(b"t"));
        for i in 0..1000 {
            assert!(s.remove(format!("t{i}").as_bytes()));
        }
        assert!(s.is_empty() && !s.matches(b"t5"));
        let long = vec![b'x'; if cfg!(miri) { 1 << 12 } else { 1 << 20 }];
        assert!(s.insert(&long) && !s.insert(&long));
        assert!(s.matches(&long) && !s.matches(&long[1..]));
        assert!(s.remove_all(&long) && s.is_empty());
    }

    #[test]
    fn a_nodes_children_sit_side_by_side() {
        // Ten topics that differ in their last byte, subscribed out of
        // order: one dense block, each child at its byte's slot.
        let mut index = TopicIndex::<u64>::default();
        for d in [7u8, 0, 9, 3, 1, 8, 2, 6, 4, 5] {
            index.add(&[b't', b'-', b'0' + d], d as u64);
        }
        let t = &index.trie;
        let slot = |d: u8| t.find(&[b't', b'-', b'0' + d]).unwrap();
        assert!((0..10).all(|d| slot(d) == slot(0) + d as usize));
        let parent = t.find(b"t-").unwrap();
        assert!(t.nodes[parent].kids.is_dense());
        // Far-apart bytes: a sparse block, in byte order.
        let mut index = TopicIndex::<u64>::default();
        for b in [0xf0u8, 0x10, 0x80] {
            index.add(&[b'x', b'y', b], 1);
        }
        let t = &index.trie;
        let at = |b: u8| t.find(&[b'x', b'y', b]).unwrap();
        assert_eq!((at(0x80), at(0xf0)), (at(0x10) + 1, at(0x10) + 2));
        assert!(!t.nodes[t.find(b"xy").unwrap()].kids.is_dense());
        assert_eq!(index.check(), Ok(()));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "10,000 topics take minutes under Miri; the model test covers growth"
    )]
    fn a_growing_trie_moves_its_nodes_a_few_times() {
        // Every growth of the node vector is a new block and a copy (see
        // `reserve_nodes`): 10,000 topics move it 9 times (doublings to
        // GROW_FAST, the reservation, then eightfold), where doubling all
        // the way moved it 14 times.
        let mut index = TopicIndex::<u64>::default();
        let (mut moves, mut cap) = (0, index.trie.nodes.capacity());
        for t in 0..10_000u64 {
            index.add(format!("topic-{t:06}").as_bytes(), t % 10);
            let now = index.trie.nodes.capacity();
            if now != cap {
                moves += 1;
                // Past GROW_FAST the vector never takes less than the
                // reservation.
                assert!(now <= GROW_FAST || now >= GROW_RESERVE, "{cap} -> {now}");
                cap = now;
            }
        }
        assert!(index.trie.nodes.len() > GROW_RESERVE);
        assert!(moves <= 10, "{moves} moves");
        assert_eq!(index.check(), Ok(()));
    }

    #[test]
    fn subscription_messages_round_trip() {
        assert_eq!(parse(&encode(true, b"t")), Some((true, &b"t"[..])));
        assert_eq!(parse(&encode(false, b"")), Some((false, &b""[..])));
        assert_eq!(parse(b"\x02x"), None);
        assert_eq!(parse(b""), None);
    }
}
