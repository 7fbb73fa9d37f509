//! DISH (draft, RFC 48): receives the single-part messages of the groups it
//! joined (`zmq_join`/`zmq_leave`, at most ZMQ_GROUP_MAX_LENGTH bytes; a
//! second join of a group, or a leave of one not joined, is EINVAL). Joins
//! go to every RADIO peer, and to each new one when it attaches. Messages
//! of other groups are dropped. It never sends (ENOTSUP).

use std::collections::BTreeSet;

use crate::error::Error;
use crate::msg::{Msg, GROUP_MAX_LENGTH};
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Dish {
    groups: BTreeSet<Vec<u8>>,
    /// A matching message read ahead by `has_in`.
    prefetched: Option<Msg>,
}

impl Dish {
    pub fn join(&mut self, pipes: &mut PipeSet, group: &[u8], on: bool) -> Result<(), Error> {
        if group.len() > GROUP_MAX_LENGTH {
            return Err(Error::Invalid);
        }
        let changed = if on {
            self.groups.insert(group.to_vec())
        } else {
            self.groups.remove(group)
        };
        if !changed {
            return Err(Error::Invalid);
        }
        for pipe in pipes.iter_mut() {
            if let Ok(m) = Msg::group_command(on, group) {
                pipe.write(m);
                pipe.flush();
            }
        }
        Ok(())
    }

    /// A new RADIO peer learns every group joined so far.
    pub fn attached(&mut self, pipes: &mut PipeSet, index: usize) {
        let pipe = pipes.get_mut(index);
        for g in &self.groups {
            if let Ok(m) = Msg::group_command(true, g) {
                pipe.write(m);
            }
        }
        pipe.flush();
    }

    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        if let Some(m) = self.prefetched.take() {
            *out = m;
            return Ok(());
        }
        loop {
            single::fq_recv(pipes, terminated, out)?;
            // A radio over udp (or a peer that ignores LEAVE) may send
            // groups we are not in.
            if self.groups.contains(out.group().to_bytes()) {
                return Ok(());
            }
        }
    }

    /// Reads ahead to know whether a message of a joined group waits (as
    /// SUB does; pipes found terminated here are reaped by the next recv).
    pub fn has_in(&mut self, pipes: &mut PipeSet) -> bool {
        if self.prefetched.is_some() {
            return true;
        }
        let mut m = Msg::new();
        let mut terminated = Vec::new();
        if self.recv_into(pipes, &mut terminated, &mut m).is_ok() {
            self.prefetched = Some(m);
            return true;
        }
        false
    }
}
