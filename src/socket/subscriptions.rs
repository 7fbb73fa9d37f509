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

    /// The number of distinct topics.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Flat(entries) => entries.len(),
            Repr::Trie(t) => t.topics,
        }
    }
}

/// A radix trie in an arena: node 0 is the root (the empty topic); every
/// other node hangs from its parent by a non-empty label, and siblings'
/// labels start with different bytes.
///
/// Generic over what a topic carries: a reference count for a socket's
/// own set ([`Subscriptions`]), the subscribed pipes for a publisher's
/// index ([`TopicIndex`]).
#[derive(Debug, Clone)]
struct Trie<V = u32> {
    nodes: Arena<Node<V>>,
    /// Arena slots to reuse.
    free: Vec<usize>,
    /// Topics whose value is set.
    topics: usize,
}

/// Where a trie keeps its nodes: chunks of doubling size (16, 32, 64 ...
/// nodes), so the arena grows without moving what it holds: a Vec's
/// doubling would copy the whole trie and fault in fresh pages each time,
/// a third of the cost of subscribing ten thousand topics. A chunk is
/// reserved whole but filled slot by slot, so its pages are touched (and
/// faulted in) only as nodes arrive, not all at once when it is made.
#[derive(Debug, Clone)]
struct Arena<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

/// The first chunk's size (a power of two).
const ARENA_FIRST: usize = 16;

impl<T> Arena<T> {
    /// (chunk, offset) of slot `i`: chunk k holds slots
    /// [16 (2^k - 1), 16 (2^(k+1) - 1)).
    #[inline(always)]
    fn locate(i: usize) -> (usize, usize) {
        let j = i + ARENA_FIRST;
        let top = usize::BITS - 1 - j.leading_zeros();
        let k = top - ARENA_FIRST.trailing_zeros();
        (k as usize, j - (1 << top))
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl<T> Arena<T> {
    fn with_root(root: T) -> Arena<T> {
        let mut arena = Arena {
            chunks: Vec::new(),
            len: 0,
        };
        arena.push(root);
        arena
    }

    fn push(&mut self, value: T) {
        let (k, _) = Arena::<T>::locate(self.len);
        if k == self.chunks.len() {
            self.chunks.push(Vec::with_capacity(ARENA_FIRST << k));
        }
        // Never past the reserved size: `locate` moves on to the next
        // chunk exactly when this one is full.
        self.chunks[k].push(value);
        self.len += 1;
    }
}

impl<T> std::ops::Index<usize> for Arena<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        let (k, off) = Arena::<T>::locate(i);
        &self.chunks[k][off]
    }
}

impl<T> std::ops::IndexMut<usize> for Arena<T> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        let (k, off) = Arena::<T>::locate(i);
        &mut self.chunks[k][off]
    }
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

impl<K> Value for Keys<K> {
    fn is_set(&self) -> bool {
        !matches!(self, Keys::None)
    }
}

/// The keys (pipes) subscribed to one topic of a [`TopicIndex`]: most
/// topics have one subscriber, kept inline (no allocation per topic).
#[derive(Debug, Clone, Default)]
enum Keys<K> {
    #[default]
    None,
    One(K),
    /// Boxed (a thin pointer): the value stays 16 bytes (see `Node`).
    #[allow(clippy::box_collection)]
    Many(Box<Vec<K>>),
}

impl<K: Copy + Eq> Keys<K> {
    #[inline]
    fn as_slice(&self) -> &[K] {
        match self {
            Keys::None => &[],
            Keys::One(k) => std::slice::from_ref(k),
            Keys::Many(v) => v,
        }
    }

    /// Adds `key` unless present; true if it was added.
    fn insert(&mut self, key: K) -> bool {
        match self {
            Keys::None => *self = Keys::One(key),
            Keys::One(k) if *k == key => return false,
            Keys::One(k) => *self = Keys::Many(Box::new(vec![*k, key])),
            Keys::Many(v) if v.contains(&key) => return false,
            Keys::Many(v) => v.push(key),
        }
        true
    }

    /// Removes `key`; true if it was there.
    fn remove(&mut self, key: K) -> bool {
        match self {
            Keys::One(k) if *k == key => *self = Keys::None,
            Keys::Many(v) => {
                let Some(at) = v.iter().position(|k| *k == key) else {
                    return false;
                };
                v.swap_remove(at);
                match v.len() {
                    0 => *self = Keys::None,
                    1 => *self = Keys::One(v[0]),
                    _ => {}
                }
            }
            _ => return false,
        }
        true
    }
}

/// A node's label: up to 14 bytes kept in the node itself (matching reads
/// it without a second cache miss), longer ones on the heap.
#[derive(Debug, Clone)]
enum Label {
    Inline {
        len: u8,
        bytes: [u8; LABEL_INLINE],
    },
    /// A thin pointer: the label stays 16 bytes.
    #[allow(clippy::box_collection)]
    Heap(Box<Vec<u8>>),
}

/// Label bytes kept in the node (see `Node`'s size).
const LABEL_INLINE: usize = 14;

impl Default for Label {
    fn default() -> Label {
        Label::Inline {
            len: 0,
            bytes: [0; LABEL_INLINE],
        }
    }
}

impl Label {
    fn new(bytes: &[u8]) -> Label {
        if bytes.len() <= LABEL_INLINE {
            let mut inline = [0u8; LABEL_INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            Label::Inline {
                len: bytes.len() as u8,
                bytes: inline,
            }
        } else {
            Label::Heap(Box::new(bytes.to_vec()))
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u8] {
        match self {
            Label::Inline { len, bytes } => &bytes[..*len as usize],
            Label::Heap(b) => b,
        }
    }
}

/// One cache line per node: a walk costs a miss for the node and one for
/// its child table, so the label (16 bytes), the value (at most 16), the
/// parent and the child table's header share the line.
///
/// The children are found by the first byte of their label. Where those
/// bytes are dense enough ([`dense_ok`]) the table is indexed by the byte
/// itself (`kids[byte - kids_min]`, 0 for none: the root is nobody's
/// child), one load without a search or a mispredicted branch, as
/// libzmq's trie does; otherwise it holds sorted (byte, child) pairs, so a
/// node with a few far-apart children (`a...` and `z...`) stays small.
#[derive(Debug, Clone, Default)]
#[repr(align(64))]
struct Node<V> {
    label: Label,
    /// For the topic that ends here: references, or pipes.
    value: V,
    /// Dense: child per byte from `kids_min`; sparse: `byte, child` pairs
    /// sorted by the byte. u32 indexes keep the table small.
    kids: Vec<u32>,
    parent: u32,
    /// How many children.
    kids_count: u16,
    kids_min: u8,
    kids_dense: bool,
}

/// A table indexed by byte is used while its span (last byte - first + 1)
/// is at most 16, or at most four slots per child; a sparse node turns
/// dense again on the same rule, a dense one sparse only past twice that
/// (8 slots a child), so a node at the edge does not flip on every change.
/// A dense table is thus at most 4 (or 8) u32s per child, 1 KiB at worst.
const DENSE_SPAN: usize = 16;

fn dense_ok(span: usize, count: usize) -> bool {
    span <= DENSE_SPAN || span <= 4 * count
}

impl<V> Node<V> {
    #[inline]
    fn child(&self, byte: u8) -> Option<usize> {
        if self.kids_dense {
            // Below `kids_min` wraps past the table's end (its span is at
            // most 256 - kids_min).
            return match self.kids.get(byte.wrapping_sub(self.kids_min) as usize) {
                Some(&c) if c != 0 => Some(c as usize),
                _ => None,
            };
        }
        self.kids
            .chunks_exact(2)
            .find(|p| p[0] == byte as u32)
            .map(|p| p[1] as usize)
    }

    /// The children as (byte, child), in byte order.
    fn kid_list(&self) -> impl Iterator<Item = (u8, usize)> + '_ {
        let (dense, min) = (self.kids_dense, self.kids_min);
        let step = if dense { 1 } else { 2 };
        self.kids
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
    fn only_child(&self) -> Option<usize> {
        if self.kids_count != 1 {
            return None;
        }
        self.kid_list().next().map(|(_, c)| c)
    }

    fn set_child(&mut self, byte: u8, index: usize) {
        let index = index as u32;
        if self.kids_count == 0 {
            self.kids.clear();
            self.kids.push(index);
            self.kids_min = byte;
            self.kids_dense = true;
            self.kids_count = 1;
            return;
        }
        if self.kids_dense {
            let (min, b) = (self.kids_min as usize, byte as usize);
            let max = min + self.kids.len() - 1;
            if (min..=max).contains(&b) {
                let slot = &mut self.kids[b - min];
                self.kids_count += (*slot == 0) as u16;
                *slot = index;
                return;
            }
            let (lo, hi) = (min.min(b), max.max(b));
            if dense_ok(hi - lo + 1, self.kids_count as usize + 1) {
                if b < min {
                    self.kids.splice(0..0, std::iter::repeat(0).take(min - b));
                    self.kids_min = byte;
                } else {
                    self.kids.resize(b - min + 1, 0);
                }
                self.kids[b - lo] = index;
                self.kids_count += 1;
                return;
            }
            self.make_sparse();
        }
        let pairs = self.kids.len() / 2;
        let at = (0..pairs)
            .find(|&k| self.kids[2 * k] >= byte as u32)
            .unwrap_or(pairs);
        if at < pairs && self.kids[2 * at] == byte as u32 {
            self.kids[2 * at + 1] = index;
            return;
        }
        self.kids.splice(2 * at..2 * at, [byte as u32, index]);
        self.kids_count += 1;
        self.rebalance();
    }

    fn unset_child(&mut self, byte: u8) {
        if self.kids_dense {
            let i = byte.wrapping_sub(self.kids_min) as usize;
            match self.kids.get_mut(i) {
                Some(slot) if *slot != 0 => *slot = 0,
                _ => return,
            }
            self.kids_count -= 1;
            if self.kids_count == 0 {
                self.kids = Vec::new();
                return;
            }
            while self.kids.last() == Some(&0) {
                self.kids.pop();
            }
            let lead = self.kids.iter().take_while(|&&c| c == 0).count();
            if lead > 0 {
                self.kids.drain(..lead);
                self.kids_min = self.kids_min.wrapping_add(lead as u8);
            }
        } else {
            let Some(at) = self.kids.chunks_exact(2).position(|p| p[0] == byte as u32) else {
                return;
            };
            self.kids.drain(2 * at..2 * at + 2);
            self.kids_count -= 1;
        }
        self.rebalance();
    }

    /// Applies the density rule after a change (see [`DENSE_SPAN`]).
    fn rebalance(&mut self) {
        let count = self.kids_count as usize;
        if count == 0 {
            return;
        }
        if self.kids_dense {
            let span = self.kids.len();
            if span > DENSE_SPAN && span > 8 * count {
                self.make_sparse();
            }
        } else {
            let n = self.kids.len();
            let span = (self.kids[n - 2] - self.kids[0]) as usize + 1;
            if dense_ok(span, count) {
                let min = self.kids[0];
                let mut table = vec![0u32; span];
                for p in self.kids.chunks_exact(2) {
                    table[(p[0] - min) as usize] = p[1];
                }
                self.kids = table;
                self.kids_min = min as u8;
                self.kids_dense = true;
            }
        }
        if self.kids.capacity() > 2 * self.kids.len() + 8 {
            self.kids.shrink_to_fit();
        }
    }

    fn make_sparse(&mut self) {
        let pairs: Vec<u32> = self
            .kid_list()
            .flat_map(|(b, c)| [b as u32, c as u32])
            .collect();
        self.kids = pairs;
        self.kids_dense = false;
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
            nodes: Arena::with_root(Node::default()),
            free: Vec::new(),
            topics: 0,
        }
    }

    fn alloc(&mut self, node: Node<V>) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        }
    }

    fn release(&mut self, i: usize) {
        self.nodes[i] = Node::default();
        self.free.push(i);
    }

    /// The node where `topic` ends, splitting an edge if it ends inside
    /// one, creating the tail if missing.
    fn node_for(&mut self, topic: &[u8]) -> usize {
        let (mut node, mut rest) = (0usize, topic);
        while let Some(&first) = rest.first() {
            let Some(child) = self.nodes[node].child(first) else {
                let leaf = self.alloc(Node {
                    label: Label::new(rest),
                    parent: node as u32,
                    ..Node::default()
                });
                self.nodes[node].set_child(first, leaf);
                return leaf;
            };
            let label = self.nodes[child].label.as_slice();
            let k = common_prefix(label, rest);
            if k < label.len() {
                // Split the edge: node -> mid (label[..k]) -> child.
                let (head, tail) = (Label::new(&label[..k]), Label::new(&label[k..]));
                self.nodes[child].label = tail;
                let mut mid = Node {
                    label: head,
                    parent: node as u32,
                    ..Node::default()
                };
                mid.set_child(self.nodes[child].label.as_slice()[0], child);
                let mid = self.alloc(mid);
                self.nodes[child].parent = mid as u32;
                self.nodes[node].set_child(first, mid);
                node = mid;
            } else {
                node = child;
            }
            rest = &rest[k..];
        }
        node
    }

    /// The node where `topic` ends exactly, if there is one.
    fn find(&self, topic: &[u8]) -> Option<usize> {
        let (mut node, mut rest) = (0usize, topic);
        while let Some(&first) = rest.first() {
            let child = self.nodes[node].child(first)?;
            let label = self.nodes[child].label.as_slice();
            if !rest.starts_with(label) {
                return None;
            }
            rest = &rest[label.len()..];
            node = child;
        }
        Some(node)
    }

    /// The value at `i` was just cleared: prune empty leaves upwards, then
    /// merge a lone child into a node that carries no topic, so the trie
    /// stays compressed.
    fn cleared(&mut self, i: usize) {
        self.topics -= 1;
        self.prune(i);
    }

    /// Prunes and merges around node `i`, whose value is unset (the topic
    /// count already says so).
    fn prune(&mut self, mut i: usize) {
        while i != 0 && !self.nodes[i].value.is_set() && self.nodes[i].kids_count == 0 {
            let parent = self.nodes[i].parent as usize;
            let first = self.nodes[i].label.as_slice()[0];
            self.nodes[parent].unset_child(first);
            self.release(i);
            i = parent;
        }
        if i == 0 || self.nodes[i].value.is_set() {
            return;
        }
        if let Some(child) = self.nodes[i].only_child() {
            // The child takes `i`'s place, `i`'s label in front of its own:
            // no value moves, no grandchild needs a new parent.
            let parent = self.nodes[i].parent as usize;
            let first = self.nodes[i].label.as_slice()[0];
            let label = [
                self.nodes[i].label.as_slice(),
                self.nodes[child].label.as_slice(),
            ]
            .concat();
            self.nodes[child].label = Label::new(&label);
            self.nodes[child].parent = parent as u32;
            self.nodes[parent].set_child(first, child);
            self.release(i);
        }
    }

    /// Calls `f` with the value of each subscribed prefix of `data`,
    /// shortest first, until it returns true; whether one did.
    #[inline]
    fn prefixes(&self, data: &[u8], mut f: impl FnMut(&V) -> bool) -> bool {
        let (mut node, mut rest) = (0usize, data);
        loop {
            let value = &self.nodes[node].value;
            if value.is_set() && f(value) {
                return true;
            }
            let Some(child) = rest.first().and_then(|&b| self.nodes[node].child(b)) else {
                return false;
            };
            let label = self.nodes[child].label.as_slice();
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
            path.extend_from_slice(self.nodes[i].label.as_slice());
            if self.nodes[i].value.is_set() {
                out.push(path.clone());
            }
            let at = stack.len();
            stack.extend(self.nodes[i].kid_list().map(|(_, c)| (c, path.len())));
            stack[at..].reverse();
        }
        out
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
        let Some(i) = self.find(topic) else {
            return false;
        };
        let count = &mut self.nodes[i].value;
        if *count == 0 {
            return false;
        }
        *count = if all { 0 } else { *count - 1 };
        if *count > 0 {
            return false;
        }
        self.cleared(i);
        true
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
#[derive(Debug, Clone)]
pub struct TopicIndex<K> {
    trie: Trie<Keys<K>>,
}

impl<K> Default for TopicIndex<K> {
    fn default() -> TopicIndex<K> {
        TopicIndex { trie: Trie::new() }
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

impl<K: Copy + Eq> TopicIndex<K> {
    /// Subscribes `key` to `topic` unless it is already.
    pub fn add(&mut self, topic: &[u8], key: K) -> Change {
        let i = self.trie.node_for(topic);
        let keys = &mut self.trie.nodes[i].value;
        let was_set = keys.is_set();
        let changed = keys.insert(key);
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
        let unchanged = Change {
            changed: false,
            edge: false,
        };
        let Some(i) = self.trie.find(topic) else {
            return unchanged;
        };
        let keys = &mut self.trie.nodes[i].value;
        if !keys.remove(key) {
            return unchanged;
        }
        let edge = !keys.is_set();
        if edge {
            self.trie.cleared(i);
        }
        Change {
            changed: true,
            edge,
        }
    }

    /// Cancels the `count` subscriptions of `key` (its pipe is gone) in one
    /// walk over the trie, without recursion, stopping once all are found
    /// (libzmq walks it all). `removed` gets each topic, and whether `key`
    /// was its last subscriber.
    pub fn remove_key(&mut self, key: K, count: usize, mut removed: impl FnMut(&[u8], bool)) {
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
            let node = &mut self.trie.nodes[i];
            path.extend_from_slice(node.label.as_slice());
            if node.value.remove(key) {
                found.push((path.clone(), !node.value.is_set()));
            }
            let at = stack.len();
            stack.extend(node.kid_list().map(|(_, c)| (c, path.len())));
            stack[at..].reverse();
        }
        // Pruned once the walk is over: pruning frees nodes.
        self.trie.topics -= found.iter().filter(|(_, last)| *last).count();
        for (topic, last) in &found {
            if *last {
                if let Some(i) = self.trie.find(topic) {
                    if !self.trie.nodes[i].value.is_set() {
                        self.trie.prune(i);
                    }
                }
            }
            removed(topic, *last);
        }
    }

    /// Appends the keys subscribed to a prefix of `data`: each once, but
    /// for a key subscribed to several of its prefixes (then `out` has it
    /// as often; the caller dedups). Returns how many prefixes matched.
    #[inline]
    pub fn collect(&self, data: &[u8], out: &mut Vec<K>) -> usize {
        let mut hits = 0;
        self.trie.prefixes(data, |keys| {
            out.extend_from_slice(keys.as_slice());
            hits += 1;
            false
        });
        hits
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
    fn a_trie_node_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Node<u32>>(), 64);
        assert_eq!(std::mem::size_of::<Node<Keys<u64>>>(), 64);
        assert_eq!(std::mem::size_of::<Label>(), 16);
    }

    #[test]
    fn arena_slots_fill_doubling_chunks_in_order() {
        let mut arena = Arena::with_root(0usize);
        let mut want = (0usize, 0usize);
        for i in 0..5000 {
            assert_eq!(Arena::<usize>::locate(i), want, "slot {i}");
            want.1 += 1;
            if want.1 == ARENA_FIRST << want.0 {
                want = (want.0 + 1, 0);
            }
            if i > 0 {
                arena.push(i);
            }
        }
        assert_eq!(arena.len(), 5000);
        assert!((0..5000).all(|i| arena[i] == i));
        // Chunks of 16, 32, ... 4096 slots: 8176 in all.
        assert_eq!(arena.chunks.len(), 9);
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
        assert_eq!(index.trie.nodes.len() - index.trie.free.len(), 1);
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
                let n = &t.nodes[0];
                (n.kids_dense, n.kids.len(), n.kids_count)
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
