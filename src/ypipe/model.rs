//! Model check of the ypipe wake-up protocol (`Writer::flush` against
//! `Reader::has_next_or_sleep` and the sleep that follows): every
//! interleaving of one writer and one reader, exhaustively
//! (`util::model`). The protocol's atomics are all SeqCst (`committed`'s
//! store in `flush`, `reader_asleep`'s store and `committed`'s re-load in
//! `has_next_or_sleep`), so sequentially consistent interleavings are
//! exactly what the code may do; the chunk hand-over (Release/Acquire) is
//! left to ThreadSanitizer and Miri, which see the real code.
//!
//! Checked: the reader never sleeps for good while published items wait (no
//! lost wake-up), and `flush` asks for a wake-up at most once per announced
//! sleep. Two deliberately broken variants show the check can fail.

use crate::util::model::{explore, Model};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum W {
    /// Writes the next item (then flushes), or is done.
    Write,
    /// `flush`: `committed.store(complete)`.
    Publish,
    /// `flush`: `reader_asleep.load()`.
    LoadAsleep,
    /// `flush`: `reader_asleep.swap(false)`; true means wake the reader.
    SwapAsleep,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum R {
    /// `has_next` (cached `visible`, else a load of `committed`) and the
    /// read that follows, or the announcement when nothing is there.
    HasNext,
    /// `reader_asleep.store(true)`.
    Announce,
    /// `visible = committed.load()`.
    Recheck,
    /// An item slipped in: `reader_asleep.store(false)` and read it.
    Cancel,
    /// Asleep until an activation (a wake-up the writer sent) arrives.
    Asleep,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Pipe {
    items: u8,
    /// Items per flush (the last flush may carry fewer).
    batch: u8,
    /// Broken variants: the reader does not re-check after announcing; the
    /// writer reads `reader_asleep` before publishing.
    no_recheck: bool,
    load_before_publish: bool,
    // Shared.
    committed: u8,
    reader_asleep: bool,
    /// Activations sent to the reader's owner, not yet taken.
    activations: u8,
    // Writer.
    w: W,
    written: u8,
    flushed: u8,
    wakes_asked: u8,
    // Reader.
    r: R,
    read: u8,
    visible: u8,
    sleeps_announced: u8,
}

impl Pipe {
    fn new(items: u8, batch: u8) -> Pipe {
        Pipe {
            items,
            batch,
            no_recheck: false,
            load_before_publish: false,
            committed: 0,
            reader_asleep: false,
            activations: 0,
            w: W::Write,
            written: 0,
            flushed: 0,
            wakes_asked: 0,
            r: R::HasNext,
            read: 0,
            visible: 0,
            sleeps_announced: 0,
        }
    }

    fn writer_step(&self) -> Option<Pipe> {
        let mut s = self.clone();
        match s.w {
            W::Write => {
                if s.written == s.items {
                    return None;
                }
                s.written += 1;
                // `flush` returns at once when nothing new is complete; a
                // batch flushes after its last item (or the very last one).
                if s.written % s.batch == 0 || s.written == s.items {
                    s.flushed = s.written;
                    s.w = if s.load_before_publish {
                        W::LoadAsleep
                    } else {
                        W::Publish
                    };
                }
            }
            W::Publish => {
                s.committed = s.flushed;
                s.w = if s.load_before_publish {
                    W::Write
                } else {
                    W::LoadAsleep
                };
            }
            W::LoadAsleep => {
                s.w = match (s.reader_asleep, s.load_before_publish) {
                    (true, _) => W::SwapAsleep,
                    (false, true) => W::Publish,
                    (false, false) => W::Write,
                };
            }
            W::SwapAsleep => {
                if std::mem::replace(&mut s.reader_asleep, false) {
                    s.wakes_asked += 1;
                    s.activations += 1;
                }
                s.w = if s.load_before_publish {
                    W::Publish
                } else {
                    W::Write
                };
            }
        }
        Some(s)
    }

    fn reader_step(&self) -> Option<Pipe> {
        let mut s = self.clone();
        match s.r {
            R::HasNext => {
                if s.read == s.items {
                    return None;
                }
                if s.read >= s.visible {
                    s.visible = s.committed;
                }
                if s.read < s.visible {
                    s.read += 1;
                } else {
                    s.r = R::Announce;
                }
            }
            R::Announce => {
                s.reader_asleep = true;
                s.sleeps_announced += 1;
                s.r = if s.no_recheck { R::Asleep } else { R::Recheck };
            }
            R::Recheck => {
                s.visible = s.committed;
                s.r = if s.read < s.visible {
                    R::Cancel
                } else {
                    R::Asleep
                };
            }
            R::Cancel => {
                s.reader_asleep = false;
                s.read += 1;
                s.r = R::HasNext;
            }
            R::Asleep => {
                if s.activations == 0 {
                    return None;
                }
                s.activations -= 1;
                s.r = R::HasNext;
            }
        }
        Some(s)
    }
}

impl Model for Pipe {
    fn successors(&self) -> Vec<Pipe> {
        [self.writer_step(), self.reader_step()]
            .into_iter()
            .flatten()
            .collect()
    }

    fn invariant(&self) -> Result<(), String> {
        if self.read > self.committed {
            return Err("read an unpublished item".into());
        }
        if self.wakes_asked > self.sleeps_announced {
            return Err("more wake-ups asked than sleeps announced".into());
        }
        Ok(())
    }

    fn at_rest(&self) -> Result<(), String> {
        if self.read != self.items {
            return Err(format!(
                "lost wake-up: the reader sleeps with {} of {} items read",
                self.read, self.items
            ));
        }
        Ok(())
    }
}

#[test]
fn no_interleaving_loses_a_wakeup_or_wakes_twice_per_sleep() {
    for items in 1..=4 {
        for batch in 1..=items {
            let seen = explore(Pipe::new(items, batch)).unwrap_or_else(|e| panic!("{e}"));
            eprintln!("{items} items, flushed by {batch}: {seen:?}");
            assert!(seen.states > items as usize && seen.at_rest >= 1);
        }
    }
}

#[test]
fn model_catches_a_reader_that_does_not_recheck_after_announcing() {
    let mut broken = Pipe::new(2, 1);
    broken.no_recheck = true;
    let err = explore(broken).unwrap_err();
    assert!(err.starts_with("lost wake-up"), "{err}");
}

#[test]
fn model_catches_a_flush_that_reads_the_sleep_flag_before_publishing() {
    let mut broken = Pipe::new(2, 1);
    broken.load_before_publish = true;
    let err = explore(broken).unwrap_err();
    assert!(err.starts_with("lost wake-up"), "{err}");
}
