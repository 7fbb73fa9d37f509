//! DGRAM (draft): raw udp datagrams. Every message is two frames, the
//! peer's `ip:port` (MORE) and the body, both ways: a send must give the
//! address with MORE and then the body without it (EINVAL otherwise),
//! as libzmq's `dgram_t`.

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;

#[derive(Debug, Default)]
pub struct Dgram {
    /// The address frame went out; the body is next.
    more_out: bool,
}

impl Dgram {
    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        // The address frame must announce a body; the body must end it.
        if msg.more() == self.more_out {
            return Err(Error::Invalid);
        }
        pipes.lb_send_from(msg)?;
        self.more_out = !self.more_out;
        Ok(())
    }

    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        pipes
            .fq_recv_into(terminated, out)
            .map(|_| ())
            .ok_or(Error::Again)
    }
}
