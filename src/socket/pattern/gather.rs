//! GATHER (draft): PULL for the thread-safe family: fair-queues single-part
//! messages from SCATTER peers; it never sends (ENOTSUP, as libzmq).

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Gather;

impl Gather {
    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        single::fq_recv(pipes, terminated, out).map(|_| ())
    }
}
