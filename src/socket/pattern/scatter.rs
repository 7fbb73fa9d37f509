//! SCATTER (draft): PUSH for the thread-safe family: single-part messages
//! round-robin to GATHER peers; it never receives.

use crate::error::Error;
use crate::msg::Msg;

use super::super::pipes::PipeSet;
use super::single;

#[derive(Debug, Default)]
pub struct Scatter;

impl Scatter {
    pub fn send_from(&mut self, pipes: &mut PipeSet, msg: &mut Msg) -> Result<(), Error> {
        single::lb_send(pipes, msg)
    }
}
