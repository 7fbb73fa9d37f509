//! Socket patterns: each socket type as a small state machine over the
//! routing blocks of [`PipeSet`] (RFC 28/30/31 semantics).
//!
//! Implemented so far: PAIR, PUSH, PULL, DEALER. The remaining types arrive
//! as their own variants.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::pipes::PipeSet;

/// Socket type numbers (zmq.h).
pub mod kind {
    pub const PAIR: i32 = 0;
    pub const PUB: i32 = 1;
    pub const SUB: i32 = 2;
    pub const REQ: i32 = 3;
    pub const REP: i32 = 4;
    pub const DEALER: i32 = 5;
    pub const ROUTER: i32 = 6;
    pub const PULL: i32 = 7;
    pub const PUSH: i32 = 8;
    pub const XPUB: i32 = 9;
    pub const XSUB: i32 = 10;
    pub const STREAM: i32 = 11;
}

/// What the pattern does with a newly attached pipe.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Accept,
    /// PAIR already has its peer: the pipe is closed at once.
    Refuse,
}

#[derive(Debug)]
pub enum Pattern {
    Pair { peer: Option<PipeId> },
    Push,
    Pull,
    Dealer,
}

impl Pattern {
    /// The pattern for a socket type, or `None` if not implemented yet.
    pub fn for_type(t: i32) -> Option<Pattern> {
        Some(match t {
            kind::PAIR => Pattern::Pair { peer: None },
            kind::PUSH => Pattern::Push,
            kind::PULL => Pattern::Pull,
            kind::DEALER => Pattern::Dealer,
            _ => return None,
        })
    }

    pub fn attach(&mut self, id: PipeId) -> Admission {
        match self {
            Pattern::Pair { peer } => {
                if peer.is_some() {
                    return Admission::Refuse;
                }
                *peer = Some(id);
                Admission::Accept
            }
            _ => Admission::Accept,
        }
    }

    pub fn detached(&mut self, id: PipeId) {
        if let Pattern::Pair { peer } = self {
            if *peer == Some(id) {
                *peer = None;
            }
        }
    }

    /// True for patterns that never receive: their pipes are drained and
    /// dropped as soon as the peer closes.
    pub fn send_only(&self) -> bool {
        matches!(self, Pattern::Push)
    }

    pub fn send(&mut self, pipes: &mut PipeSet, msg: Msg) -> Result<(), (Error, Msg)> {
        match self {
            Pattern::Pull => Err((Error::NotSupported, msg)),
            Pattern::Pair { .. } | Pattern::Push | Pattern::Dealer => pipes.lb_send(msg),
        }
    }

    pub fn recv(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
    ) -> Result<Msg, Error> {
        match self {
            Pattern::Push => Err(Error::NotSupported),
            Pattern::Pair { .. } | Pattern::Pull | Pattern::Dealer => pipes
                .fq_recv(terminated)
                .map(|(m, _)| m)
                .ok_or(Error::Again),
        }
    }

    pub fn has_in(&mut self, pipes: &mut PipeSet) -> bool {
        match self {
            Pattern::Push => false,
            _ => pipes.fq_has_in(),
        }
    }

    pub fn has_out(&mut self, pipes: &mut PipeSet) -> bool {
        match self {
            Pattern::Pull => false,
            _ => pipes.lb_has_out(),
        }
    }
}
