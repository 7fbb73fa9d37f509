//! CLIENT (draft, RFC 41): talks to SERVER peers; single-part messages,
//! load-balanced out and fair-queued in, like a DEALER without envelopes.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Client;

impl Client {
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
