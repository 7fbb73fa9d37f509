//! Subscription sets (RFC 29): counted topic prefixes; a message matches
//! when any subscribed prefix is a prefix of its first frame ("" matches
//! everything). Subscribing twice needs two unsubscribes.
//!
//! A flat list is enough for the handful of topics most sockets carry; a
//! prefix trie replaces it when fan-out benchmarks ask for one.

#[derive(Debug, Default, Clone)]
pub struct Subscriptions {
    entries: Vec<(Vec<u8>, u32)>,
}

impl Subscriptions {
    /// Adds one reference to `topic`; true if it is new.
    pub fn add(&mut self, topic: &[u8]) -> bool {
        match self.entries.iter_mut().find(|(t, _)| t == topic) {
            Some((_, n)) => {
                *n += 1;
                false
            }
            None => {
                self.entries.push((topic.to_vec(), 1));
                if topic.is_empty() {
                    // Matching tries the catch-all first.
                    let last = self.entries.len() - 1;
                    self.entries.swap(0, last);
                }
                true
            }
        }
    }

    /// Drops one reference to `topic`; true if that was the last one.
    pub fn remove(&mut self, topic: &[u8]) -> bool {
        let Some(i) = self.entries.iter().position(|(t, _)| t == topic) else {
            return false;
        };
        self.entries[i].1 -= 1;
        if self.entries[i].1 == 0 {
            self.entries.swap_remove(i);
            return true;
        }
        false
    }

    /// Adds `topic` unless present (a set, as libzmq's XPUB keeps each
    /// pipe's subscriptions); true if it is new.
    pub fn insert(&mut self, topic: &[u8]) -> bool {
        !self.entries.iter().any(|(t, _)| t == topic) && self.add(topic)
    }

    /// Removes `topic` whatever its count; true if it was there.
    pub fn remove_all(&mut self, topic: &[u8]) -> bool {
        let Some(i) = self.entries.iter().position(|(t, _)| t == topic) else {
            return false;
        };
        self.entries.swap_remove(i);
        true
    }

    #[inline]
    pub fn matches(&self, data: &[u8]) -> bool {
        self.entries.iter().any(|(t, _)| {
            // The empty topic (subscribe to everything) without a memcmp call.
            t.is_empty() || (data.len() >= t.len() && data[..t.len()] == t[..])
        })
    }

    pub fn topics(&self) -> impl Iterator<Item = &[u8]> {
        self.entries.iter().map(|(t, _)| t.as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
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
    fn subscription_messages_round_trip() {
        assert_eq!(parse(&encode(true, b"t")), Some((true, &b"t"[..])));
        assert_eq!(parse(&encode(false, b"")), Some((false, &b""[..])));
        assert_eq!(parse(b"\x02x"), None);
        assert_eq!(parse(b""), None);
    }
}
