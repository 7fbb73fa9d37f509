//! CHANNEL (draft): PAIR for the thread-safe family: one peer at a time
//! (a second is refused), single-part messages both ways.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Channel {
    pub peer: Option<PipeId>,
}

impl Channel {
    /// Whether a new pipe may become the peer.
    pub fn attach(&mut self, id: PipeId) -> bool {
        if self.peer.is_some() {
            return false;
        }
        self.peer = Some(id);
        true
    }

    pub fn detached(&mut self, id: PipeId) {
        if self.peer == Some(id) {
            self.peer = None;
        }
    }

    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        single::lb_send(pipes, msg)
    }

    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        single::fq_recv(pipes, terminated, out).map(|_| ())
    }
}
