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
/// and siblings' labels start with different bytes.
///
/// Generic over what a topic carries: a reference count for a socket's
/// own set ([`Subscriptions`]), the subscribed pipes for a publisher's
/// index ([`TopicIndex`]).
///
/// A node is half a cache line ([`Node`]): its child table and a label
/// longer than 15 bytes live beside the nodes, in `tables` and `longs`.
#[derive(Debug, Clone)]
struct Trie<V = u32> {
    /// Node 0 is the root. One vector, indexed directly: a walk's step
    /// is one address computation (chunks of doubling size cost a third
    /// of a match in locating the chunk).
    nodes: Vec<Node<V>>,
    /// Slots of `nodes` to reuse.
    free: Vec<usize>,
    /// Every node's child table.
    tables: Tables,
    /// Labels too long for a node.
    longs: Longs,
    /// Topics whose value is set.
    topics: usize,
    /// Scratch: the nodes from the root to the one being removed.
    path: Vec<u32>,
}

/// What a trie node carries for the topic that ends there.
trait Value: Default {
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
/// trie's [`Longs`]. Byte 0 is the length, or [`LONG`] and bytes 12..16
/// the index of the long label.
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

/// Half a cache line per node (32 bytes): matching reads a node, then its
/// child table, so the label and the value share the node with the
/// table's header. Two nodes to a line keeps a large trie's working set
/// small: ten thousand topics' nodes fit in a third of a megabyte.
#[derive(Debug, Clone, Default)]
#[repr(align(32))]
struct Node<V> {
    label: Label,
    /// For the topic that ends here: references, or pipes.
    value: V,
    kids: Kids,
}

/// A node's children, found by the first byte of their label. Where those
/// bytes are dense enough ([`dense_ok`]) the table is indexed by the byte
/// itself (`table[byte - min]`, 0 for none: the root is nobody's child),
/// one load without a search or a mispredicted branch, as libzmq's trie
/// does; otherwise it holds sorted (byte, child) pairs, so a node with a
/// few far-apart children (`a...` and `z...`) stays small. The table is a
/// block of the trie's [`Tables`], of 2^class u32s; a dense table's slots
/// past its last child are 0.
#[derive(Debug, Clone, Copy, Default)]
struct Kids {
    /// Where the table starts in [`Tables`] (no table while `count` is 0).
    at: u32,
    count: u16,
    /// Dense: the byte of slot 0.
    min: u8,
    /// [`DENSE`], and the table's size class (the low four bits).
    flags: u8,
}

const DENSE: u8 = 0x80;
const CLASS: u8 = 0x0f;
/// A node's first table: four slots.
const FIRST_CLASS: u8 = 2;

/// A table indexed by byte is used while its span (last byte - first + 1)
/// is at most 16, or at most four slots per child; a sparse node turns
/// dense again on the same rule, a dense one sparse only past twice that
/// (8 slots a child), so a node at the edge does not flip on every change.
/// A dense table is thus at most 4 (or 8) u32s per child, 1 KiB at worst.
const DENSE_SPAN: usize = 16;

fn dense_ok(span: usize, count: usize) -> bool {
    span <= DENSE_SPAN || span <= 4 * count
}

/// The smallest size class that holds `n` slots.
fn class_for(n: usize) -> u8 {
    n.max(1).next_power_of_two().trailing_zeros() as u8
}

/// Every child table of a trie: blocks of 2^class u32s in one vector
/// (classes 0 to 8: a table never needs more than 256 slots), with a free
/// list per class. One allocation for all of them, and a trie's tables
/// sit together rather than among everything else on the heap.
#[derive(Debug, Clone, Default)]
struct Tables {
    data: Vec<u32>,
    /// By class, made as classes are first freed.
    free: Vec<Vec<u32>>,
}

impl Tables {
    /// A zeroed block of class `class`.
    fn alloc(&mut self, class: u8) -> u32 {
        let size = 1usize << class;
        if let Some(at) = self.free.get_mut(class as usize).and_then(|f| f.pop()) {
            self.data[at as usize..at as usize + size].fill(0);
            return at;
        }
        let at = self.data.len();
        self.data.resize(at + size, 0);
        at as u32
    }

    fn release(&mut self, at: u32, class: u8) {
        let class = class as usize;
        if self.free.len() <= class {
            self.free.resize_with(class + 1, Vec::new);
        }
        self.free[class].push(at);
    }
}

impl Kids {
    fn is_dense(&self) -> bool {
        self.flags & DENSE != 0
    }

    fn class(&self) -> u8 {
        self.flags & CLASS
    }

    /// The table's slots (empty without children).
    #[inline]
    fn table<'a>(&self, tables: &'a Tables) -> &'a [u32] {
        let len = match (self.count, self.is_dense()) {
            (0, _) => 0,
            (_, true) => 1usize << self.class(),
            (n, false) => 2 * n as usize,
        };
        let at = self.at as usize;
        tables.data.get(at..at + len).unwrap_or(&[])
    }

    #[inline]
    fn get(&self, tables: &Tables, byte: u8) -> Option<usize> {
        if self.is_dense() {
            // Below `min` wraps past the table's end (its span is at most
            // 256 - min, its size at most 256).
            let i = byte.wrapping_sub(self.min) as usize;
            if i >> self.class() != 0 {
                return None;
            }
            return match tables.data.get(self.at as usize + i) {
                Some(&c) if c != 0 => Some(c as usize),
                _ => None,
            };
        }
        self.table(tables)
            .chunks_exact(2)
            .find(|p| p[0] == byte as u32)
            .map(|p| p[1] as usize)
    }

    /// The children as (byte, child), in byte order.
    fn list<'a>(&self, tables: &'a Tables) -> impl Iterator<Item = (u8, usize)> + 'a {
        let (dense, min) = (self.is_dense(), self.min);
        let step = if dense { 1 } else { 2 };
        self.table(tables)
            .chunks_exact(step)
            .enumerate()
            .filter_map(move |(i, p)| {
                if dense {
                    (p[0] != 0).then(|| (min.wrapping_add(i as u8), p[0] as usize))
                } else {
                    Some((p[0] as u8, p[1] as usize))
                }
            })
    }

    /// The only child, if there is exactly one.
    fn only_child(&self, tables: &Tables) -> Option<usize> {
        if self.count != 1 {
            return None;
        }
        self.list(tables).next().map(|(_, c)| c)
    }

    /// Sets the child for `byte` (adding or replacing it).
    fn set(&mut self, tables: &mut Tables, byte: u8, child: usize) {
        let child = child as u32;
        let count = self.count as usize;
        if count == 0 {
            // Room for a few more: a node rarely keeps one child.
            self.at = tables.alloc(FIRST_CLASS);
            tables.data[self.at as usize] = child;
            (self.count, self.min, self.flags) = (1, byte, DENSE | FIRST_CLASS);
            return;
        }
        let at = self.at as usize;
        let size = 1usize << self.class();
        if self.is_dense() {
            let (min, b) = (self.min as usize, byte as usize);
            if b >= min && b - min < size {
                // Within the table (past its last child at most doubles
                // the span). Not below `min`: a table can be larger than
                // the bytes from `min` to 255.
                let slot = &mut tables.data[at + b - min];
                self.count += (*slot == 0) as u16;
                *slot = child;
                return;
            }
            let last = min + self.last_slot(tables);
            let (lo, hi) = (min.min(b), last.max(b));
            if dense_ok(hi - lo + 1, count + 1) {
                // Grow (or shift) the table to span lo..=hi.
                let class = class_for(hi - lo + 1);
                let to = tables.alloc(class) as usize;
                let shift = min - lo;
                tables
                    .data
                    .copy_within(at..at + (last - min + 1), to + shift);
                tables.release(self.at, self.class());
                tables.data[to + b - lo] = child;
                self.at = to as u32;
                (self.count, self.min, self.flags) = (count as u16 + 1, lo as u8, DENSE | class);
                return;
            }
        } else {
            let pairs = &tables.data[at..at + 2 * count];
            let k = pairs
                .chunks_exact(2)
                .take_while(|p| p[0] < byte as u32)
                .count();
            if k < count && pairs[2 * k] == byte as u32 {
                tables.data[at + 2 * k + 1] = child;
                return;
            }
            let span = (byte as u32).max(pairs[2 * count - 2]) - (byte as u32).min(pairs[0]) + 1;
            if !dense_ok(span as usize, count + 1) {
                // Insert the pair in place, in a larger block if full.
                let mut at = at;
                if 2 * count + 2 > size {
                    let class = class_for(2 * count + 2);
                    let to = tables.alloc(class) as usize;
                    tables.data.copy_within(at..at + 2 * count, to);
                    tables.release(self.at, self.class());
                    (self.at, self.flags) = (to as u32, class);
                    at = to;
                }
                tables
                    .data
                    .copy_within(at + 2 * k..at + 2 * count, at + 2 * k + 2);
                tables.data[at + 2 * k] = byte as u32;
                tables.data[at + 2 * k + 1] = child;
                self.count += 1;
                return;
            }
        }
        // The table changes kind: rebuilt from its list.
        let mut pairs = self.pairs(tables);
        if let Err(k) = pairs.binary_search_by_key(&byte, |p| p.0) {
            pairs.insert(k, (byte, child));
        }
        self.store(tables, &pairs, true);
    }

    /// The index of a dense table's last child.
    fn last_slot(&self, tables: &Tables) -> usize {
        self.table(tables)
            .iter()
            .rposition(|&c| c != 0)
            .unwrap_or(0)
    }

    /// Removes the child for `byte`, if there is one.
    fn unset(&mut self, tables: &mut Tables, byte: u8) {
        let count = self.count as usize;
        let at = self.at as usize;
        let size = 1usize << self.class();
        if self.is_dense() {
            let i = byte.wrapping_sub(self.min) as usize;
            if byte < self.min || i >= size || tables.data[at + i] == 0 {
                return;
            }
            if count > 1 {
                tables.data[at + i] = 0;
                let mut lead = 0;
                if i == 0 {
                    // The first child went: the table starts at the next.
                    lead = tables.data[at..at + size]
                        .iter()
                        .take_while(|&&c| c == 0)
                        .count();
                    tables.data.copy_within(at + lead..at + size, at);
                    tables.data[at + size - lead..at + size].fill(0);
                }
                let span = self.last_slot(tables) + 1;
                let left = count - 1;
                if span <= DENSE_SPAN || span <= 8 * left {
                    self.count -= 1;
                    self.min = self.min.wrapping_add(lead as u8);
                    if 2 * span <= size && size > DENSE_SPAN {
                        // Mostly empty: a smaller block.
                        let class = class_for(span);
                        let to = tables.alloc(class) as usize;
                        tables.data.copy_within(at..at + span, to);
                        tables.release(self.at, self.class());
                        (self.at, self.flags) = (to as u32, DENSE | class);
                    }
                    return;
                }
                // Too sparse now: rebuilt sparse from what is left.
                self.min = self.min.wrapping_add(lead as u8);
                self.count -= 1;
                self.rebuild(tables);
                return;
            }
        } else {
            let pairs = &tables.data[at..at + 2 * count];
            let Some(k) = pairs.chunks_exact(2).position(|p| p[0] == byte as u32) else {
                return;
            };
            if count > 1 {
                tables
                    .data
                    .copy_within(at + 2 * k + 2..at + 2 * count, at + 2 * k);
                self.count -= 1;
                let n = count - 1;
                let span = (tables.data[at + 2 * n - 2] - tables.data[at]) as usize + 1;
                if !dense_ok(span, n) && 8 * n > size {
                    return;
                }
                // Dense again, or a smaller block.
                self.rebuild(tables);
                return;
            }
        }
        // The last child.
        tables.release(self.at, self.class());
        *self = Kids::default();
    }

    /// The children as (byte, child) pairs, in byte order.
    fn pairs(&self, tables: &Tables) -> Vec<(u8, u32)> {
        self.list(tables).map(|(b, c)| (b, c as u32)).collect()
    }

    /// Rewrites the table, after a child went, by the density rule.
    fn rebuild(&mut self, tables: &mut Tables) {
        let pairs = self.pairs(tables);
        self.store(tables, &pairs, false);
    }

    /// Rewrites the table to hold `pairs` (sorted by byte), dense or sparse
    /// by the density rule (see [`DENSE_SPAN`]); `growing`: a child came.
    fn store(&mut self, tables: &mut Tables, pairs: &[(u8, u32)], growing: bool) {
        let had_table = self.count > 0;
        let (was_dense, old_class) = (self.is_dense(), self.class());
        let (Some(first), Some(last)) = (pairs.first(), pairs.last()) else {
            if had_table {
                tables.release(self.at, old_class);
            }
            *self = Kids::default();
            return;
        };
        let count = pairs.len();
        let span = (last.0 - first.0) as usize + 1;
        let dense = dense_ok(span, count)
            || (!growing && was_dense && (span <= DENSE_SPAN || span <= 8 * count));
        let class = class_for(if dense { span } else { 2 * count });
        if had_table && class == old_class {
            let size = 1usize << class;
            tables.data[self.at as usize..self.at as usize + size].fill(0);
        } else {
            if had_table {
                tables.release(self.at, old_class);
            }
            self.at = tables.alloc(class);
        }
        let at = self.at as usize;
        if dense {
            for &(b, c) in pairs {
                tables.data[at + (b - first.0) as usize] = c;
            }
        } else {
            for (k, &(b, c)) in pairs.iter().enumerate() {
                tables.data[at + 2 * k] = b as u32;
                tables.data[at + 2 * k + 1] = c;
            }
        }
        self.count = count as u16;
        self.min = first.0;
        self.flags = class | if dense { DENSE } else { 0 };
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
            tables: Tables::default(),
            longs: Longs::default(),
            topics: 0,
            path: Vec::new(),
        }
    }

    /// A new node with `label`. Its fields are written in place: a node
    /// built on the stack and copied in would stall on store forwarding.
    fn alloc(&mut self, label: Label) -> usize {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.nodes.push(Node::default());
                self.nodes.len() - 1
            }
        };
        let node = &mut self.nodes[i];
        node.label = label;
        node.value = V::default();
        node.kids = Kids::default();
        i
    }

    /// Frees node `i` with its table and long label.
    fn release(&mut self, i: usize) {
        let node = std::mem::take(&mut self.nodes[i]);
        if node.kids.count > 0 {
            self.tables.release(node.kids.at, node.kids.class());
        }
        self.longs.release(node.label);
        self.free.push(i);
    }

    #[inline]
    fn label(&self, i: usize) -> &[u8] {
        self.longs.bytes(&self.nodes[i].label)
    }

    #[inline]
    fn child(&self, node: usize, byte: u8) -> Option<usize> {
        self.nodes[node].kids.get(&self.tables, byte)
    }

    fn set_child(&mut self, node: usize, byte: u8, child: usize) {
        self.nodes[node].kids.set(&mut self.tables, byte, child);
    }

    fn unset_child(&mut self, node: usize, byte: u8) {
        self.nodes[node].kids.unset(&mut self.tables, byte);
    }

    /// The node where `topic` ends, splitting an edge if it ends inside
    /// one, creating the tail if missing.
    fn node_for(&mut self, topic: &[u8]) -> usize {
        let (mut node, mut rest) = (0usize, topic);
        while let Some(&first) = rest.first() {
            let Some(child) = self.child(node, first) else {
                let label = self.longs.make(rest);
                let leaf = self.alloc(label);
                self.set_child(node, first, leaf);
                return leaf;
            };
            let label = self.label(child);
            let k = common_prefix(label, rest);
            if k < label.len() {
                // Split the edge: node -> mid (label[..k]) -> child.
                let (head, tail, tail_first) = self.split_label(child, k);
                self.nodes[child].label = tail;
                let mid = self.alloc(head);
                self.set_child(mid, tail_first, child);
                self.set_child(node, first, mid);
                node = mid;
            } else {
                node = child;
            }
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
    /// compressed.
    fn prune(&mut self, path: &[u32]) {
        let Some(mut k) = path.len().checked_sub(1) else {
            return;
        };
        let mut i = path[k] as usize;
        while k > 0 && !self.nodes[i].value.is_set() && self.nodes[i].kids.count == 0 {
            let parent = path[k - 1] as usize;
            let Some(&first) = self.label(i).first() else {
                return;
            };
            self.unset_child(parent, first);
            self.release(i);
            k -= 1;
            i = parent;
        }
        if k == 0 || self.nodes[i].value.is_set() {
            return;
        }
        if let Some(child) = self.nodes[i].kids.only_child(&self.tables) {
            // The child takes `i`'s place, `i`'s label in front of its own:
            // no value moves, no grandchild needs a new parent.
            let parent = path[k - 1] as usize;
            let Some(&first) = self.label(i).first() else {
                return;
            };
            let mut label = self.label(i).to_vec();
            let old = self.nodes[child].label;
            label.extend_from_slice(&self.longs.take(old));
            self.nodes[child].label = self.longs.make(&label);
            self.set_child(parent, first, child);
            self.release(i);
        }
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
            // Empty again: its storage goes back (nodes, tables and free
            // lists never shrink while topics remain).
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
            let Some(child) = rest.first().and_then(|&b| n.kids.get(&self.tables, b)) else {
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
            stack.extend(
                self.nodes[i]
                    .kids
                    .list(&self.tables)
                    .map(|(_, c)| (c, path.len())),
            );
            stack[at..].reverse();
        }
        out
    }

    /// Checks the trie's invariants (for tests and fuzzing): children in
    /// byte order under their label's first byte, tables within the
    /// density rule, no node without a topic and with fewer than two
    /// children (but the root), the topic count, and no node lost.
    fn check(&self) -> Result<(), String> {
        let (mut seen, mut topics) = (0usize, 0usize);
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            seen += 1;
            let node = &self.nodes[i];
            let kids: Vec<(u8, usize)> = node.kids.list(&self.tables).collect();
            let k = &node.kids;
            if kids.len() != k.count as usize {
                return Err(format!(
                    "node {i}: count {} for {} children",
                    k.count,
                    kids.len()
                ));
            }
            if kids.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(format!("node {i}: children out of order {kids:?}"));
            }
            if let (Some(first), Some(last)) = (kids.first(), kids.last()) {
                let span = (last.0 - first.0) as usize + 1;
                let need = if k.is_dense() { span } else { 2 * kids.len() };
                if k.class() > 8 || need > 1 << k.class() || (k.is_dense() && k.min != first.0) {
                    return Err(format!("node {i}: table {k:?} for {kids:?}"));
                }
                if k.is_dense() && span > DENSE_SPAN && span > 16 * kids.len() {
                    return Err(format!("node {i}: dense table too sparse {k:?}"));
                }
            }
            if node.value.is_set() {
                topics += 1;
            } else if i != 0 && kids.len() < 2 {
                return Err(format!("node {i}: no topic and {} children", kids.len()));
            }
            for (b, c) in kids {
                if self.label(c).first() != Some(&b) {
                    return Err(format!(
                        "node {c}: label {:?} under byte {b}",
                        self.label(c)
                    ));
                }
                stack.push(c);
            }
        }
        if topics != self.topics {
            return Err(format!("{topics} topics counted as {}", self.topics));
        }
        if seen + self.free.len() != self.nodes.len() {
            return Err(format!(
                "{seen} nodes + {} free of {}",
                self.free.len(),
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
            let kids = self.trie.nodes[i].kids;
            stack.extend(kids.list(&self.trie.tables).map(|(_, c)| (c, path.len())));
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
        assert!(index.trie.tables.data.is_empty() && index.lists.items.is_empty());
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
            assert_eq!(t.nodes.len() - t.free.len(), 1, "only the root is left");
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
                (k.is_dense(), k.table(&t.tables).len(), k.count)
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
        assert_eq!(root(&s), (false, 6, 3));
        assert!(s.matches(b"\x00x") && s.matches(b"\xff") && s.matches(b"m1x"));
        assert!(!s.matches(b"\x01") && !s.matches(b"n"));
        // Every byte: dense, one slot each.
        for b in 0..=255u8 {
            s.add(&[b, b'!']);
        }
        assert_eq!(root(&s), (true, 256, 256));
        assert!((0..=255u8).all(|b| s.matches(&[b, b'!'])));
        // Back to three: sparse again; then to one: a one-slot table.
        for b in 0..=255u8 {
            s.remove(&[b, b'!']);
        }
        assert_eq!(root(&s), (false, 6, 3));
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
    fn subscription_messages_round_trip() {
        assert_eq!(parse(&encode(true, b"t")), Some((true, &b"t"[..])));
        assert_eq!(parse(&encode(false, b"")), Some((false, &b""[..])));
        assert_eq!(parse(b"\x02x"), None);
        assert_eq!(parse(b""), None);
    }
}
