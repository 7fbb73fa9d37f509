//! A tiny exhaustive state-space explorer for model checks of the lock-free
//! protocols (tests only; see docs/RELIABILITY.md, "Sanitizers, Miri and
//! model checks").
//!
//! A model is a transcription of a protocol's shared-memory steps into a
//! state value: each step of each thread (and each step of the memory
//! system, such as a store buffer draining) turns one state into another.
//! [`explore`] visits every reachable state once (depth first, with a visited
//! set), checks an invariant in each, and a final condition in each state
//! where nothing can move (a deadlock or a finished run). Reaching a state
//! once is enough: the future of a state does not depend on how it was
//! reached, so this covers every interleaving.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

pub trait Model: Clone + Eq + Hash + Debug {
    /// Every state one step away (any thread's step, or the memory's).
    fn successors(&self) -> Vec<Self>;
    /// Must hold in every reachable state.
    fn invariant(&self) -> Result<(), String>;
    /// Must hold in every state without successors.
    fn at_rest(&self) -> Result<(), String>;
}

/// What an exploration saw.
#[derive(Debug)]
pub struct Explored {
    pub states: usize,
    pub at_rest: usize,
}

/// Visits every state reachable from `init`. On a violation, the error names
/// it and lists the steps (states) from `init` that lead there.
pub fn explore<M: Model>(init: M) -> Result<Explored, String> {
    let mut seen = HashSet::new();
    let mut explored = Explored {
        states: 0,
        at_rest: 0,
    };
    // The path from `init` to the state on top, with each state's unexplored
    // successors: iterative, as the paths can be long.
    let mut path: Vec<(M, Vec<M>)> = Vec::new();
    let mut next = Some(init);
    loop {
        if let Some(state) = next.take() {
            if seen.insert(state.clone()) {
                explored.states += 1;
                let succ = state.successors();
                let verdict = state.invariant().and_then(|()| {
                    if succ.is_empty() {
                        explored.at_rest += 1;
                        state.at_rest()
                    } else {
                        Ok(())
                    }
                });
                if let Err(why) = verdict {
                    let mut trace: Vec<String> =
                        path.iter().map(|(s, _)| format!("{s:?}")).collect();
                    trace.push(format!("{state:?}"));
                    return Err(format!("{why}\ntrace:\n  {}", trace.join("\n  ")));
                }
                path.push((state, succ));
            }
        }
        match path.last_mut() {
            None => return Ok(explored),
            Some((_, succ)) => match succ.pop() {
                Some(s) => next = Some(s),
                None => {
                    path.pop();
                }
            },
        }
    }
}
