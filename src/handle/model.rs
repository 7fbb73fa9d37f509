//! Model check of the biased call lock (`CallLock::lock` and its guard's
//! drop) on x86-TSO with the asymmetric fence of `util::fence`: every
//! interleaving of two threads, exhaustively (`util::model`).
//!
//! TSO, as the hardware the fast side runs on (x86-64 Linux only, see
//! `fence::thread_token`): each thread's plain stores go to its own FIFO
//! store buffer and reach memory at any later moment (a step of its own),
//! in order; a load sees the thread's newest buffered store of that
//! variable, else memory; a locked instruction (`held.swap`) drains the
//! thread's buffer first. `fence::light` is a compiler fence: nothing on
//! TSO. `fence::heavy` (membarrier) drains every thread's buffer before it
//! returns. ThreadSanitizer and loom cannot see that last guarantee, which
//! is why this model exists.
//!
//! Checked: never two threads inside a call at once; no deadlock. A variant
//! whose heavy fence is an ordinary fence (drains only its own buffer) shows
//! the check can fail.

use crate::util::model::{explore, Model};

const THREADS: usize = 2;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Var {
    Held,
    Bias,
    Busy,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Pc {
    /// `bias.load() == me`?
    CheckBias,
    /// `busy.store(true)`.
    SetBusy,
    /// (`light`), `bias.load() == me` again?
    Recheck,
    /// Lost the bias meanwhile: `busy.store(false)`, then the slow path.
    ClearBusy,
    /// Inside a call by the fast path; leaving stores `busy = false`.
    InFast,
    /// `held.swap(true)` (a locked instruction even when it fails).
    TakeHeld,
    /// `lock_contended`: spins on plain loads while `held`, then swaps again.
    Contended,
    /// `owner = bias.load()`, then revoke, bias ourselves, or just proceed.
    ReadOwner,
    /// `bias.store(me)` (the streak reached BIAS_AFTER), then the call.
    SetBias,
    /// Revoke: `bias.store(0)`.
    ClearBias,
    /// `fence::heavy()`.
    Heavy,
    /// `while busy.load() {}`.
    WaitBusy,
    /// Inside a call by the slow path; leaving stores `held = false`.
    InSlow,
    Done,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Lock {
    /// Broken variant: the heavy fence only drains the caller's buffer.
    weak_heavy: bool,
    /// Revocations after which the lock is never biased again
    /// (`MAX_REVOCATIONS`), and how many happened.
    max_revocations: u8,
    revocations: u8,
    memory: [u8; 3],
    buffers: [Vec<(Var, u8)>; THREADS],
    pc: [Pc; THREADS],
    calls_left: [u8; THREADS],
}

impl Lock {
    /// Thread 0 holds the bias (token 1) as the run starts.
    fn new(calls: u8) -> Lock {
        let mut memory = [0; 3];
        memory[Var::Bias as usize] = 1;
        Lock {
            weak_heavy: false,
            max_revocations: super::MAX_REVOCATIONS as u8,
            revocations: 0,
            memory,
            buffers: Default::default(),
            pc: [Pc::CheckBias; THREADS],
            calls_left: [calls; THREADS],
        }
    }

    fn load(&self, t: usize, v: Var) -> u8 {
        self.buffers[t]
            .iter()
            .rev()
            .find(|(w, _)| *w == v)
            .map_or(self.memory[v as usize], |&(_, x)| x)
    }

    fn store(&mut self, t: usize, v: Var, x: u8) {
        self.buffers[t].push((v, x));
    }

    fn drain(&mut self, t: usize) {
        for (v, x) in std::mem::take(&mut self.buffers[t]) {
            self.memory[v as usize] = x;
        }
    }

    fn leave(&mut self, t: usize) {
        self.calls_left[t] -= 1;
        self.pc[t] = if self.calls_left[t] == 0 {
            Pc::Done
        } else {
            Pc::CheckBias
        };
    }

    /// Thread `t`'s possible next states (two when it may choose).
    fn thread_steps(&self, t: usize) -> Vec<Lock> {
        let me = t as u8 + 1;
        let mut s = self.clone();
        match s.pc[t] {
            Pc::CheckBias => {
                s.pc[t] = if s.load(t, Var::Bias) == me {
                    Pc::SetBusy
                } else {
                    Pc::TakeHeld
                };
            }
            Pc::SetBusy => {
                s.store(t, Var::Busy, 1);
                s.pc[t] = Pc::Recheck;
            }
            Pc::Recheck => {
                s.pc[t] = if s.load(t, Var::Bias) == me {
                    Pc::InFast
                } else {
                    Pc::ClearBusy
                };
            }
            Pc::ClearBusy => {
                s.store(t, Var::Busy, 0);
                s.pc[t] = Pc::TakeHeld;
            }
            Pc::InFast => {
                s.store(t, Var::Busy, 0);
                s.leave(t);
            }
            Pc::TakeHeld => {
                s.drain(t);
                if s.memory[Var::Held as usize] == 1 {
                    s.pc[t] = Pc::Contended;
                } else {
                    s.memory[Var::Held as usize] = 1;
                    s.pc[t] = Pc::ReadOwner;
                }
            }
            Pc::Contended => {
                // Spinning on a value that does not change is no step.
                if s.load(t, Var::Held) == 1 {
                    return vec![];
                }
                s.pc[t] = Pc::TakeHeld;
            }
            Pc::ReadOwner => {
                let owner = s.load(t, Var::Bias);
                if owner != 0 && owner != me {
                    s.pc[t] = Pc::ClearBias;
                } else if owner == 0 && s.revocations < s.max_revocations {
                    // Either the streak is not long enough yet, or it is.
                    let mut biased = s.clone();
                    biased.pc[t] = Pc::SetBias;
                    s.pc[t] = Pc::InSlow;
                    return vec![s, biased];
                } else {
                    s.pc[t] = Pc::InSlow;
                }
            }
            Pc::SetBias => {
                s.store(t, Var::Bias, me);
                s.pc[t] = Pc::InSlow;
            }
            Pc::ClearBias => {
                s.store(t, Var::Bias, 0);
                s.pc[t] = Pc::Heavy;
            }
            Pc::Heavy => {
                if s.weak_heavy {
                    s.drain(t);
                } else {
                    for u in 0..THREADS {
                        s.drain(u);
                    }
                }
                s.pc[t] = Pc::WaitBusy;
            }
            Pc::WaitBusy => {
                if s.load(t, Var::Busy) == 1 {
                    return vec![];
                }
                s.revocations += 1;
                s.pc[t] = Pc::InSlow;
            }
            Pc::InSlow => {
                s.store(t, Var::Held, 0);
                s.leave(t);
            }
            Pc::Done => return vec![],
        }
        vec![s]
    }
}

impl Model for Lock {
    fn successors(&self) -> Vec<Lock> {
        let mut next = Vec::new();
        for t in 0..THREADS {
            next.extend(self.thread_steps(t));
            // The memory system: the oldest buffered store reaches memory.
            if !self.buffers[t].is_empty() {
                let mut s = self.clone();
                let (v, x) = s.buffers[t].remove(0);
                s.memory[v as usize] = x;
                next.push(s);
            }
        }
        next
    }

    fn invariant(&self) -> Result<(), String> {
        let inside = self
            .pc
            .iter()
            .filter(|pc| matches!(pc, Pc::InFast | Pc::InSlow))
            .count();
        if inside > 1 {
            return Err("two threads inside a call".into());
        }
        Ok(())
    }

    fn at_rest(&self) -> Result<(), String> {
        if self.pc.iter().any(|&pc| pc != Pc::Done) {
            return Err("deadlock".into());
        }
        Ok(())
    }
}

#[test]
fn biased_lock_is_exclusive_and_live_on_tso_with_the_heavy_fence() {
    for calls in 1..=4 {
        let seen = explore(Lock::new(calls)).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{calls} calls per thread: {seen:?}");
        assert!(seen.at_rest >= 1);
    }
}

/// What the model found first: with re-biasing after a revocation
/// (MAX_REVOCATIONS was 8), a thread that lost the bias between its
/// re-check and its `busy.store(false)` (preempted there, or with the store
/// still buffered) clears `busy` after the new owner set it, so the next
/// revoker finds `busy` false while the new owner is inside a call.
#[test]
fn rebiasing_after_a_revocation_would_let_a_stale_busy_store_break_exclusion() {
    let mut rebias = Lock::new(3);
    rebias.max_revocations = 2;
    let err = explore(rebias).unwrap_err();
    assert!(err.starts_with("two threads inside a call"), "{err}");
}

#[test]
fn model_catches_a_revoker_without_the_heavy_fence() {
    let mut broken = Lock::new(1);
    broken.weak_heavy = true;
    let err = explore(broken).unwrap_err();
    assert!(err.starts_with("two threads inside a call"), "{err}");
}
