//! A socket's pipes and the two routing blocks most patterns share:
//! load-balancing out ([`PipeSet::lb_send`], RFC 28/30 round robin with
//! whole-message stickiness) and fair-queueing in ([`PipeSet::fq_recv`]).
//!
//! Pipes are kept in one vector with the *active* ones first (libzmq's array
//! trick): deactivating swaps a pipe behind the active range, activating
//! swaps it back, both O(1). A pipe is inactive for sending while it is at its
//! HWM and for receiving while it is empty; the socket re-activates it on
//! the pipe's ActivateWrite/ActivateRead command. A socket that both sends
//! and receives (DEALER) keeps two sets of flags in one vector, so the sets
//! here track activity separately per direction.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::{IdMap, PipeEnd, PipeId};

/// One direction's view of the pipes: indices into `PipeSet::pipes`, active
/// ones first.
#[derive(Debug, Default)]
struct Ring {
    order: Vec<usize>,
    active: usize,
    current: usize,
}

impl Ring {
    fn position(&self, index: usize) -> Option<usize> {
        self.order.iter().position(|&i| i == index)
    }

    fn activate(&mut self, index: usize) {
        if let Some(p) = self.position(index) {
            if p >= self.active {
                self.order.swap(p, self.active);
                self.active += 1;
            }
        }
    }

    /// Moves the pipe at ring position `p` behind the active range.
    fn deactivate_at(&mut self, p: usize) {
        if p < self.active {
            self.active -= 1;
            self.order.swap(p, self.active);
            if self.current >= self.active {
                self.current = 0;
            }
        }
    }

    #[inline]
    fn advance(&mut self) {
        // No modulo: a division per message is measurable.
        self.current += 1;
        if self.current >= self.active {
            self.current = 0;
        }
    }

    /// Removes a pipe index and renumbers `moved_from` to `moved_to` (the
    /// vector's swap_remove moved the last pipe into the hole).
    fn remove(&mut self, index: usize, moved_from: usize, moved_to: usize) {
        if let Some(p) = self.position(index) {
            self.deactivate_at(p);
            let p = self.position(index).unwrap_or(p);
            self.order.remove(p);
        }
        for i in self.order.iter_mut() {
            if *i == moved_from {
                *i = moved_to;
            }
        }
        if self.current >= self.active {
            self.current = 0;
        }
    }
}

/// The pipes of one socket.
#[derive(Debug, Default)]
pub struct PipeSet {
    pipes: Vec<PipeEnd>,
    /// Pipe id to index in `pipes`: commands and routing address pipes by id.
    by_id: IdMap<usize>,
    out: Ring,
    inp: Ring,
    /// lb: in the middle of a multipart message on `out.current`.
    lb_more: bool,
    /// fq: in the middle of a multipart message on `inp.current`.
    fq_more: bool,
}

impl PipeSet {
    pub fn len(&self) -> usize {
        self.pipes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pipes.is_empty()
    }

    pub fn index_of(&self, id: PipeId) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    pub fn get(&self, index: usize) -> &PipeEnd {
        &self.pipes[index]
    }

    pub fn get_mut(&mut self, index: usize) -> &mut PipeEnd {
        &mut self.pipes[index]
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut PipeEnd> {
        self.pipes.iter_mut()
    }

    /// Adds a pipe, active in both directions.
    pub fn attach(&mut self, pipe: PipeEnd) -> usize {
        let index = self.pipes.len();
        self.by_id.insert(pipe.id(), index);
        self.pipes.push(pipe);
        self.update_direct();
        for ring in [&mut self.out, &mut self.inp] {
            ring.order.push(index);
            ring.activate(index);
        }
        index
    }

    /// Removes a pipe and returns it.
    pub fn detach(&mut self, index: usize) -> PipeEnd {
        let last = self.pipes.len() - 1;
        // A multipart message in flight on this pipe is abandoned.
        if self.out.order.get(self.out.current) == Some(&index) {
            self.lb_more = false;
        }
        if self.inp.order.get(self.inp.current) == Some(&index) {
            self.fq_more = false;
        }
        self.out.remove(index, last, index);
        self.inp.remove(index, last, index);
        let mut pipe = self.pipes.swap_remove(index);
        self.by_id.remove(&pipe.id());
        if index < self.pipes.len() {
            self.by_id.insert(self.pipes[index].id(), index);
        }
        pipe.set_direct_ok(false);
        self.update_direct();
        pipe
    }

    /// Direct writes (`pipe::direct`) only for a socket's only pipe.
    fn update_direct(&mut self) {
        match self.pipes.len() {
            1 => self.pipes[0].set_direct_ok(true),
            2 => {
                for p in &mut self.pipes {
                    p.set_direct_ok(false);
                }
            }
            _ => {}
        }
    }

    pub fn activate_out(&mut self, index: usize) {
        self.out.activate(index);
    }

    pub fn activate_in(&mut self, index: usize) {
        self.inp.activate(index);
    }

    /// Round-robin send. The whole message goes to one pipe; a pipe at its
    /// HWM is skipped (and re-activated later by ActivateWrite). `EAGAIN`
    /// when no pipe can take a new message. Returns the pipe's id.
    pub fn lb_send(&mut self, mut msg: Msg) -> Result<PipeId, (Error, Msg)> {
        self.lb_send_from(&mut msg).map_err(|e| (e, msg))
    }

    /// [`PipeSet::lb_send`] for a message held by reference: on success it
    /// has moved into the pipe and `msg` is empty; on failure it is untouched.
    pub fn lb_send_from(&mut self, msg: &mut Msg) -> Result<PipeId, Error> {
        if !self.lb_more {
            loop {
                if self.out.active == 0 {
                    return Err(Error::Again);
                }
                let index = self.out.order[self.out.current];
                let pipe = &mut self.pipes[index];
                if !pipe.peer_closed() && pipe.check_write() {
                    break;
                }
                self.out.deactivate_at(self.out.current);
            }
        }
        let index = self.out.order[self.out.current];
        let more = msg.more();
        let pipe = &mut self.pipes[index];
        let id = pipe.id();
        pipe.write_from(msg);
        self.lb_more = more;
        if !more {
            pipe.flush();
            self.out.advance();
        }
        Ok(id)
    }

    /// True if `lb_send` can accept a new message now.
    pub fn lb_has_out(&mut self) -> bool {
        if self.lb_more {
            return true;
        }
        while self.out.active > 0 {
            let index = self.out.order[self.out.current];
            let pipe = &mut self.pipes[index];
            if !pipe.peer_closed() && pipe.check_write() {
                return true;
            }
            self.out.deactivate_at(self.out.current);
        }
        false
    }

    /// Fair-queued receive: the next frame from the current pipe, moving to
    /// the next pipe only at message boundaries. Returns the frame and the
    /// index of its pipe; `None` when nothing is ready. Pipes whose peer
    /// closed and that are fully read are reported in `terminated`.
    pub fn fq_recv(&mut self, terminated: &mut Vec<PipeId>) -> Option<(Msg, usize)> {
        let mut msg = Msg::new();
        let index = self.fq_recv_into(terminated, &mut msg)?;
        Some((msg, index))
    }

    /// [`PipeSet::fq_recv`] into a message held by reference (its old content
    /// is dropped); returns the pipe's index. On `None`, `out` may have been
    /// replaced by an empty message.
    pub fn fq_recv_into(&mut self, terminated: &mut Vec<PipeId>, out: &mut Msg) -> Option<usize> {
        while self.inp.active > 0 {
            let index = self.inp.order[self.inp.current];
            let pipe = &mut self.pipes[index];
            if pipe.read_into(out) {
                self.fq_more = out.more();
                if !self.fq_more {
                    self.inp.advance();
                }
                return Some(index);
            }
            if pipe.is_terminated() {
                terminated.push(pipe.id());
            }
            // Frames of one message are published together, so an empty pipe
            // mid-message only happens when its peer vanished: drop the rest.
            self.fq_more = false;
            self.inp.deactivate_at(self.inp.current);
        }
        None
    }

    /// True if `fq_recv` would return a frame now.
    pub fn fq_has_in(&mut self) -> bool {
        if self.fq_more {
            return true;
        }
        let mut p = 0;
        while p < self.inp.active {
            let index = self.inp.order[p];
            if self.pipes[index].check_read() {
                return true;
            }
            p += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::flags::MORE;
    use crate::pipe::pipe_pair;

    fn msg(b: &[u8], more: bool) -> Msg {
        let mut m = Msg::from_slice(b).unwrap();
        if more {
            m.set_flags(MORE);
        }
        m
    }

    #[test]
    fn lb_round_robins_whole_messages() {
        let mut set = PipeSet::default();
        let (a0, mut a1) = pipe_pair([0, 0]);
        let (b0, mut b1) = pipe_pair([0, 0]);
        set.attach(a0);
        set.attach(b0);
        for i in 0..4u8 {
            set.lb_send(msg(&[i], true)).unwrap();
            set.lb_send(msg(&[i, i], false)).unwrap();
        }
        let drain = |p: &mut PipeEnd| {
            let mut v = Vec::new();
            while let Some(m) = p.read() {
                v.push(m.data().to_vec());
            }
            v
        };
        assert_eq!(
            drain(&mut a1),
            vec![vec![0], vec![0, 0], vec![2], vec![2, 2]]
        );
        assert_eq!(
            drain(&mut b1),
            vec![vec![1], vec![1, 1], vec![3], vec![3, 3]]
        );
    }

    #[test]
    fn lb_skips_full_pipes_and_reports_eagain_when_all_full() {
        let mut set = PipeSet::default();
        let (a0, _a1) = pipe_pair([1, 1]);
        set.attach(a0);
        set.lb_send(msg(b"1", false)).unwrap();
        let (e, m) = set.lb_send(msg(b"2", false)).unwrap_err();
        assert_eq!(e, Error::Again);
        assert_eq!(m.data(), b"2");
        assert!(!set.lb_has_out());
    }

    #[test]
    fn fq_alternates_between_pipes_at_message_boundaries() {
        let mut set = PipeSet::default();
        let (a0, mut a1) = pipe_pair([0, 0]);
        let (b0, mut b1) = pipe_pair([0, 0]);
        set.attach(a0);
        set.attach(b0);
        for p in [&mut a1, &mut b1] {
            for _ in 0..2 {
                p.write(msg(b"h", true));
                p.write(msg(b"t", false));
            }
            p.flush();
        }
        let mut term = Vec::new();
        let order: Vec<(Vec<u8>, usize)> = std::iter::from_fn(|| set.fq_recv(&mut term))
            .map(|(m, i)| (m.data().to_vec(), i))
            .collect();
        let pipes: Vec<usize> = order.iter().map(|(_, i)| *i).collect();
        assert_eq!(pipes, vec![0, 0, 1, 1, 0, 0, 1, 1]);
    }

    #[test]
    fn only_a_sockets_only_pipe_may_write_directly() {
        let mut set = PipeSet::default();
        let (a, _a) = pipe_pair([0, 0]);
        let (b, _b) = pipe_pair([0, 0]);
        set.attach(a);
        assert!(set.get(0).direct_ok());
        set.attach(b);
        assert!(!set.get(0).direct_ok() && !set.get(1).direct_ok());
        let gone = set.detach(0);
        assert!(!gone.direct_ok());
        assert!(set.get(0).direct_ok());
    }

    #[test]
    fn detach_keeps_the_remaining_pipes_addressable() {
        let mut set = PipeSet::default();
        let ends: Vec<_> = (0..3).map(|_| pipe_pair([0, 0])).collect();
        let ids: Vec<_> = ends.iter().map(|(a, _)| a.id()).collect();
        let mut peers = Vec::new();
        for (a, b) in ends {
            set.attach(a);
            peers.push(b);
        }
        let removed = set.detach(set.index_of(ids[0]).unwrap());
        assert_eq!(removed.id(), ids[0]);
        assert_eq!(set.len(), 2);
        for _ in 0..4 {
            set.lb_send(msg(b"x", false)).unwrap();
        }
        assert!(set.index_of(ids[2]).is_some());
    }
}
