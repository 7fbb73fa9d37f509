//! SERVER and PEER (draft, RFC 41): every connection gets a 32-bit routing
//! id, carried by each received message (`zmq_msg_routing_id`) and picked
//! by each sent one (`zmq_msg_set_routing_id`); single-part messages. A
//! send to an unknown id is EHOSTUNREACH, to a full peer EAGAIN (so a
//! blocking send waits for room), as libzmq's `server_t`. PEER is a SERVER
//! that also connects (`zmq_connect_peer` returns the new connection's id)
//! and talks only to PEERs.

use std::collections::HashMap;

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Server {
    by_id: HashMap<u32, PipeId>,
    ids: HashMap<PipeId, u32>,
    next_id: u32,
    /// The id given to the newest pipe (`zmq_connect_peer`'s answer).
    pub last_attached: u32,
}

impl Server {
    pub fn new(first_id: u32) -> Server {
        Server {
            next_id: first_id,
            ..Server::default()
        }
    }

    /// Gives a new pipe its routing id (never 0, never one in use).
    pub fn attach(&mut self, id: PipeId) {
        let rid = loop {
            let rid = self.next_id;
            self.next_id = self.next_id.wrapping_add(1);
            if rid != 0 && !self.by_id.contains_key(&rid) {
                break rid;
            }
        };
        self.by_id.insert(rid, id);
        self.ids.insert(id, rid);
        self.last_attached = rid;
    }

    pub fn detached(&mut self, id: PipeId) {
        if let Some(rid) = self.ids.remove(&id) {
            self.by_id.remove(&rid);
        }
    }

    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        single::refuse_more(msg)?;
        let index = self
            .by_id
            .get(&msg.routing_id())
            .and_then(|&id| pipes.index_of(id))
            .ok_or(Error::Os(libc::EHOSTUNREACH))?;
        let pipe = pipes.get_mut(index);
        if !pipe.check_write() {
            return Err(Error::Again);
        }
        // The id names the peer here; over inproc the other side must not
        // see it.
        msg.reset_routing_id();
        pipe.write_from(msg);
        pipe.flush();
        Ok(())
    }

    pub fn recv_into(
        &mut self,
        pipes: &mut PipeSet,
        terminated: &mut Vec<PipeId>,
        out: &mut Msg,
    ) -> Result<(), Error> {
        let index = single::fq_recv(pipes, terminated, out)?;
        let rid = self.ids.get(&pipes.get(index).id()).copied().unwrap_or(0);
        if rid != 0 {
            // Cannot fail: rid is not 0.
            let _ = out.set_routing_id(rid);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_ids_skip_zero_and_ids_in_use() {
        let mut s = Server::new(u32::MAX);
        s.attach(1);
        assert_eq!(s.last_attached, u32::MAX);
        s.attach(2);
        assert_eq!(s.last_attached, 1, "0 is never a routing id");
        s.detached(1);
        assert!(!s.by_id.contains_key(&u32::MAX));
        assert_eq!(s.ids.get(&2), Some(&1));
    }
}
