//! The single-part rule of the draft (thread-safe) socket types: CLIENT,
//! SERVER, SCATTER, GATHER, CHANNEL, PEER, RADIO, DISH. A send with
//! ZMQ_SNDMORE is EINVAL, and a multipart message from a peer that breaks
//! the rule is dropped whole on receipt, as libzmq's `client_t::xrecv` does.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;

/// EINVAL for a frame sent with MORE.
#[inline]
pub fn refuse_more(msg: &Msg) -> Result<(), Error> {
    if msg.more() {
        return Err(Error::Invalid);
    }
    Ok(())
}

/// Load-balanced send of a single-part message.
pub fn lb_send(pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
    refuse_more(msg)?;
    pipes.lb_send_from(msg).map(|_| ())
}

/// Fair-queued receive of the next single-part message; returns the index
/// of its pipe. Multipart messages are skipped whole.
pub fn fq_recv(
    pipes: &mut PipeSet,
    terminated: &mut Vec<PipeId>,
    out: &mut Msg,
) -> Result<usize, Error> {
    loop {
        let Some(index) = pipes.fq_recv_into(terminated, out) else {
            *out = Msg::new();
            return Err(Error::Again);
        };
        if !out.more() {
            return Ok(index);
        }
        // The rest of the message was published with its first frame.
        while out.more() {
            if pipes.fq_recv_into(terminated, out).is_none() {
                *out = Msg::new();
                return Err(Error::Again);
            }
        }
    }
}
