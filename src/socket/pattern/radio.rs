//! RADIO (draft, RFC 48): publishes single-part messages to groups; each
//! goes to the DISH peers that joined its group (`zmq_msg_set_group`).
//! Joins and leaves arrive from the pipes as JOIN/LEAVE messages (the
//! session turns the wire's JOIN/LEAVE commands into those). A full peer
//! loses the message, unless ZMQ_XPUB_NODROP: then the send is EAGAIN.
//! It never receives (ENOTSUP).

use std::collections::HashMap;

use crate::error::Error;
use crate::msg::Msg;
use crate::pipe::PipeId;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Radio {
    /// Group to the pipes that joined it; a pipe joining twice is listed
    /// twice and needs two leaves (libzmq's multimap).
    groups: HashMap<Vec<u8>, Vec<PipeId>>,
    /// Pipes to udp engines, which take every group.
    udp: Vec<PipeId>,
    /// ZMQ_XPUB_NODROP.
    pub nodrop: bool,
    targets: Vec<usize>,
}

impl Radio {
    /// Reads the joins and leaves a pipe carries; anything else is dropped.
    pub fn read_groups(&mut self, pipes: &mut PipeSet, index: usize) {
        let pipe = pipes.get_mut(index);
        let id = pipe.id();
        while let Some(msg) = pipe.read() {
            let group = msg.group().to_bytes();
            if msg.is_join() {
                self.groups.entry(group.to_vec()).or_default().push(id);
            } else if msg.is_leave() {
                if let Some(list) = self.groups.get_mut(group) {
                    if let Some(at) = list.iter().position(|p| *p == id) {
                        list.swap_remove(at);
                    }
                    if list.is_empty() {
                        self.groups.remove(group);
                    }
                }
            }
        }
    }

    pub fn udp_attached(&mut self, id: PipeId) {
        self.udp.push(id);
    }

    pub fn detached(&mut self, id: PipeId) {
        self.udp.retain(|p| *p != id);
        self.groups.retain(|_, list| {
            list.retain(|p| *p != id);
            !list.is_empty()
        });
    }

    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        single::refuse_more(msg)?;
        self.targets.clear();
        let mut full = false;
        let joined = self.groups.get(msg.group().to_bytes());
        {
            for id in joined.into_iter().flatten().chain(self.udp.iter()) {
                let Some(i) = pipes.index_of(*id) else {
                    continue;
                };
                if self.targets.contains(&i) {
                    continue;
                }
                let pipe = pipes.get_mut(i);
                if pipe.peer_closed() {
                    continue;
                }
                if pipe.check_write() {
                    self.targets.push(i);
                } else {
                    full = true;
                }
            }
        }
        if full && self.nodrop {
            return Err(Error::Again);
        }
        let n = self.targets.len();
        for k in 0..n {
            let pipe = pipes.get_mut(self.targets[k]);
            if k + 1 == n {
                pipe.write_from(msg);
            } else {
                let mut copy = msg.share();
                pipe.write_from(&mut copy);
            }
            pipe.flush();
        }
        drop(msg.take());
        Ok(())
    }
}
