//! Subscription sets (RFC 29): counted topic prefixes; a message matches
//! when any subscribed prefix is a prefix of its first frame ("" matches
//! everything). Subscribing twice needs two unsubscribes.
//!
//! Topics come from the network (a subscriber may send 100 000 of them, or
//! one of a megabyte: CVE-2021-20236's shape), so no operation may cost more
//! than a logarithm of their number: an ordered map of topics (byte order,
//! the order libzmq's trie walks them in), and a count of topics per length
//! so matching looks up only the message's prefixes of a subscribed length.
//! Nothing recurses over a topic's bytes.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct Subscriptions {
    /// Topic -> reference count.
    topics: BTreeMap<Vec<u8>, u32>,
    /// Topic length -> how many topics have it.
    lengths: BTreeMap<usize, u32>,
}

/// Up to this many topics, matching scans them all (cheaper than lookups).
const SCAN_MAX: usize = 8;

impl Subscriptions {
    /// Adds one reference to `topic`; true if it is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        if let Some(n) = self.topics.get_mut(topic) {
            *n = n.saturating_add(1);
            return false;
        }
        self.topics.insert(topic.to_vec(), 1);
        *self.lengths.entry(topic.len()).or_insert(0) += 1;
        true
    }

    /// Drops one reference to `topic`; true if that was the last one.
    pub fn remove(&mut self, topic: &[u8]) -> bool {
        let Some(n) = self.topics.get_mut(topic) else {
            return false;
        };
        *n -= 1;
        if *n == 0 {
            self.forget(topic);
            return true;
        }
        false
    }

    /// Adds `topic` unless present (a set, as libzmq's XPUB keeps each
    /// pipe's subscriptions); true if it is new.
    pub fn insert(&mut self, topic: &[u8]) -> bool {
        !self.topics.contains_key(topic) && self.add(topic)
    }

    /// Removes `topic` whatever its count; true if it was there.
    pub fn remove_all(&mut self, topic: &[u8]) -> bool {
        if !self.topics.contains_key(topic) {
            return false;
        }
        self.forget(topic);
        true
    }

    fn forget(&mut self, topic: &[u8]) {
        self.topics.remove(topic);
        if let Some(n) = self.lengths.get_mut(&topic.len()) {
            *n -= 1;
            if *n == 0 {
                self.lengths.remove(&topic.len());
            }
        }
    }

    #[inline]
    pub fn matches(&self, data: &[u8]) -> bool {
        if self.topics.len() <= SCAN_MAX {
            return self.topics.keys().any(|t| data.starts_with(t));
        }
        self.lengths
            .range(..=data.len())
            .any(|(&l, _)| self.topics.contains_key(&data[..l]))
    }

    /// The topics, in byte order.
    pub fn topics(&self) -> impl Iterator<Item = &[u8]> {
        self.topics.keys().map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    pub fn len(&self) -> usize {
        self.topics.len()
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
    let mut m = crate::msg::Msg::from_slice(&encode(subscribe, topic))?;
    m.set_flags(crate::msg::flags::SUBSCRIPTION);
    Ok(m)
}

pub fn encode(subscribe: bool, topic: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(topic.len() + 1);
    v.push(subscribe as u8);
    v.extend_from_slice(topic);
    v
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn many_topics_match_by_prefix_and_count_per_length() {
        let mut s = Subscriptions::default();
        for i in 0..1000 {
            assert!(s.add(format!("t{i}").as_bytes()));
        }
        assert!(s.matches(b"t999-data") && s.matches(b"t5") && !s.matches(b"x5"));
        assert!(!s.matches(b"t"));
        for i in 0..1000 {
            assert!(s.remove(format!("t{i}").as_bytes()));
        }
        assert!(s.is_empty() && s.lengths.is_empty() && !s.matches(b"t5"));
        let long = vec![b'x'; 1 << 20];
        assert!(s.insert(&long) && !s.insert(&long));
        assert!(s.matches(&long) && !s.matches(&long[1..]));
        assert!(s.remove_all(&long) && s.lengths.is_empty());
    }

    #[test]
    fn subscription_messages_round_trip() {
        assert_eq!(parse(&encode(true, b"t")), Some((true, &b"t"[..])));
        assert_eq!(parse(&encode(false, b"")), Some((false, &b""[..])));
        assert_eq!(parse(b"\x02x"), None);
        assert_eq!(parse(b""), None);
    }
}
