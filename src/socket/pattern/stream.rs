//! STREAM: raw TCP connections with ROUTER-style addressing (zmq_socket(3)).
//!
//! Every connection gets a generated 5-byte routing id (0x00 + u32), or
//! `ZMQ_CONNECT_ROUTING_ID` for a connect. A receive returns two frames:
//! the routing id (MORE), then the bytes one read brought. A send takes
//! two frames: the routing id (MORE), then the bytes to write (its MORE
//! flag is ignored); a zero-length data frame closes that connection.
//! With `ZMQ_STREAM_NOTIFY` (the default) the session delivers an empty data
//! frame when a connection opens and when it closes. The session side of
//! raw framing lives in `io::session` (`SessionConfig::raw`).

use std::collections::HashMap;

use crate::error::Error;
use crate::msg::{flags, Msg};
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;

#[derive(Debug, Default)]
pub struct Stream {
    /// Routing id to pipe.
    peers: HashMap<Vec<u8>, PipeId>,
    /// Next generated routing id.
    next_id: u32,
    /// The data frame held back while its routing id is returned.
    prefetched: Option<Msg>,
    /// Sending: `None` before the routing-id frame, `Some(None)` when the
    /// data frame is to be dropped, `Some(Some(id))` when it goes to a pipe.
    out: Option<Option<PipeId>>,
}

impl Stream {
    pub fn new(first_id: u32) -> Stream {
        Stream {
            next_id: first_id,
            ..Stream::default()
        }
    }

    /// A new connection's pipe: a generated id unless the connect named one.
    pub fn attach(&mut self, id: PipeId, routing_id: &mut Vec<u8>) -> bool {
        if routing_id.is_empty() {
            *routing_id = super::generate_routing_id(&mut self.next_id, &self.peers);
        } else if self.peers.contains_key(routing_id.as_slice()) {
            // libzmq asserts on a duplicate CONNECT_ROUTING_ID; we refuse.
            return false;
        }
        self.peers.insert(routing_id.clone(), id);
        true
    }

    pub fn detached(&mut self, id: PipeId) {
        self.peers.retain(|_, p| *p != id);
        if self.out == Some(Some(id)) {
            self.out = Some(None);
        }
    }

    pub fn has_in(&mut self, pipes: &mut PipeSet) -> bool {
        self.prefetched.is_some() || pipes.fq_has_in()
    }

    /// Receives the routing id of the next data frame, then the frame.
    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        if let Some(data) = self.prefetched.take() {
            *out = data;
            return Ok(());
        }
        let Some(index) = pipes.fq_recv_into(terminated, out) else {
            *out = Msg::new();
            return Err(Error::Again);
        };
        out.reset_flags(flags::MORE);
        let mut id = Msg::from_slice(&pipes.get(index).routing_id).map_err(|_| Error::NoMemory)?;
        id.set_metadata(out.metadata());
        id.set_flags(flags::MORE);
        self.prefetched = Some(std::mem::replace(out, id));
        Ok(())
    }

    /// Sends the routing-id frame (picks the connection: EHOSTUNREACH for
    /// an unknown one, EAGAIN when its pipe is full) or the data frame; an
    /// empty data frame closes the connection's pipe (the session then
    /// writes what is queued and closes the connection).
    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        let Some(target) = self.out else {
            // A routing id without MORE is no message: libzmq ignores it.
            if msg.more() {
                let id = *self
                    .peers
                    .get(msg.data())
                    .ok_or(Error::Os(libc::EHOSTUNREACH))?;
                let i = pipes.index_of(id).ok_or(Error::Os(libc::EHOSTUNREACH))?;
                if !pipes.get_mut(i).check_write() {
                    return Err(Error::Again);
                }
                self.out = Some(Some(id));
            } else {
                self.out = Some(None);
            }
            drop(msg.take());
            return Ok(());
        };
        self.out = None;
        msg.reset_flags(flags::MORE);
        let index = target.and_then(|id| pipes.index_of(id));
        match index {
            Some(i) if msg.size() == 0 => {
                drop(msg.take());
                let pipe = pipes.detach(i);
                self.detached(pipe.id());
                pipe.close();
            }
            Some(i) => {
                let pipe = pipes.get_mut(i);
                pipe.write_from(msg);
                pipe.flush();
            }
            None => drop(msg.take()),
        }
        Ok(())
    }
}
