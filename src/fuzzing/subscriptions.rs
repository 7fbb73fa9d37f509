//! The `subscriptions` target: what peers subscribe drives a publisher's
//! topic index (XPUB/PUB: topic -> subscribed pipes) and a subscriber's own
//! counted set, with any bytes as topics (so the trie's child tables go
//! dense, sparse and back). Both must agree with a plain ordered-map model
//! after every step.
//!
//! Input: a sequence of steps, each an operation byte (low 3 bits: what;
//! high 3 bits: which of 8 subscribers) and a length-prefixed topic (or
//! message, for a match).

use std::collections::{BTreeMap, BTreeSet};

use super::Input;
use crate::socket::subscriptions::{Subscriptions, TopicIndex};

/// Steps per input: enough for deep and wide tries, bounded for speed.
const MAX_STEPS: usize = 4096;

pub fn subscriptions(data: &[u8]) {
    let mut input = Input::new(data);
    let mut index = TopicIndex::<u8>::default();
    let mut index_model: BTreeMap<Vec<u8>, BTreeSet<u8>> = BTreeMap::new();
    let mut set = Subscriptions::default();
    let mut set_model: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for step in 0..MAX_STEPS {
        if input.is_empty() {
            break;
        }
        let op = input.byte();
        let key = op >> 5;
        let topic = input.piece();
        match op & 7 {
            0 | 1 => {
                let change = index.add(topic, key);
                let keys = index_model.entry(topic.to_vec()).or_default();
                let first = keys.is_empty();
                let new = keys.insert(key);
                assert_eq!((change.changed, change.edge), (new, new && first));
            }
            2 => {
                let change = index.remove(topic, key);
                let (had, last) = match index_model.get_mut(topic) {
                    Some(keys) => {
                        let had = keys.remove(&key);
                        (had, had && keys.is_empty())
                    }
                    None => (false, false),
                };
                if last {
                    index_model.remove(topic);
                }
                assert_eq!((change.changed, change.edge), (had, last));
            }
            3 => {
                // The subscriber's pipe is gone: all its topics at once.
                let mine: Vec<(Vec<u8>, bool)> = index_model
                    .iter()
                    .filter(|(_, keys)| keys.contains(&key))
                    .map(|(t, keys)| (t.clone(), keys.len() == 1))
                    .collect();
                let mut reported = Vec::new();
                index.remove_key(key, mine.len(), |t, last| reported.push((t.to_vec(), last)));
                reported.sort();
                assert_eq!(reported, mine);
                for (t, _) in &mine {
                    if let Some(keys) = index_model.get_mut(t) {
                        keys.remove(&key);
                        if keys.is_empty() {
                            index_model.remove(t);
                        }
                    }
                }
            }
            4 => {
                // A message whose first frame is `topic`: its recipients.
                let mut got = Vec::new();
                let hits = index.collect(topic, &mut got);
                got.sort_unstable();
                got.dedup();
                let prefixes: Vec<&BTreeSet<u8>> = index_model
                    .iter()
                    .filter(|(t, _)| topic.starts_with(t))
                    .map(|(_, keys)| keys)
                    .collect();
                let want: BTreeSet<u8> = prefixes.iter().flat_map(|k| k.iter().copied()).collect();
                assert_eq!(hits, prefixes.len());
                assert_eq!(got, want.into_iter().collect::<Vec<_>>());
            }
            5 => {
                let count = set_model.entry(topic.to_vec()).or_insert(0);
                *count += 1;
                assert_eq!(set.add(topic), *count == 1);
            }
            6 => {
                let last = match set_model.get_mut(topic) {
                    Some(count) => {
                        *count -= 1;
                        *count == 0
                    }
                    None => false,
                };
                if last {
                    set_model.remove(topic);
                }
                assert_eq!(set.remove(topic), last);
            }
            _ => {
                if key & 1 == 0 {
                    assert_eq!(set.remove_all(topic), set_model.remove(topic).is_some());
                } else {
                    let new = !set_model.contains_key(topic);
                    if new {
                        set_model.insert(topic.to_vec(), 1);
                    }
                    assert_eq!(set.insert(topic), new);
                }
                let want = set_model.keys().any(|t| topic.starts_with(t));
                assert_eq!(set.matches(topic), want);
            }
        }
        assert_eq!(index.len(), index_model.len());
        assert_eq!(set.len(), set_model.len());
        if step % 64 == 0 {
            assert_eq!(index.check(), Ok(()));
            assert_eq!(set.check(), Ok(()));
        }
    }
    assert_eq!(index.check(), Ok(()));
    assert_eq!(set.check(), Ok(()));
    let mut topics = set.topics();
    topics.sort();
    assert_eq!(topics, set_model.keys().cloned().collect::<Vec<_>>());
}
