//! `zmq_timers_*`: a set of repeating timers that the application drives by
//! calling `timeout` and `execute` from its own loop. Not thread-safe, like
//! libzmq's; handlers may add, cancel or reset timers of the same set.

use std::ffi::c_void;
use std::time::Instant;

use crate::error::{Error, Result};

/// `zmq_timer_fn`.
pub type TimerFn = unsafe extern "C" fn(timer_id: i32, arg: *mut c_void);

struct Timer {
    id: i32,
    interval_ms: u64,
    due_ms: u64,
    /// Insertion sequence: timers due at the same moment fire in this order.
    seq: u64,
    handler: TimerFn,
    arg: *mut c_void,
}

pub struct Timers {
    epoch: Instant,
    next_id: i32,
    next_seq: u64,
    timers: Vec<Timer>,
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    pub fn new() -> Timers {
        Timers {
            epoch: Instant::now(),
            next_id: 0,
            next_seq: 0,
            timers: Vec::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn find(&mut self, id: i32) -> Result<&mut Timer> {
        self.timers
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(Error::Invalid)
    }

    /// Adds a timer firing every `interval_ms`; returns its id (from 1).
    pub fn add(&mut self, interval_ms: usize, handler: TimerFn, arg: *mut c_void) -> i32 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let (id, due_ms, seq) = (
            self.next_id,
            self.now_ms().saturating_add(interval_ms as u64),
            self.seq(),
        );
        self.timers.push(Timer {
            id,
            interval_ms: interval_ms as u64,
            due_ms,
            seq,
            handler,
            arg,
        });
        id
    }

    pub fn cancel(&mut self, id: i32) -> Result<()> {
        let i = self
            .timers
            .iter()
            .position(|t| t.id == id)
            .ok_or(Error::Invalid)?;
        self.timers.remove(i);
        Ok(())
    }

    /// Changes the interval and restarts the timer from now.
    pub fn set_interval(&mut self, id: i32, interval_ms: usize) -> Result<()> {
        let (now, seq) = (self.now_ms(), self.seq());
        let t = self.find(id)?;
        t.interval_ms = interval_ms as u64;
        t.due_ms = now.saturating_add(t.interval_ms);
        t.seq = seq;
        Ok(())
    }

    /// Restarts the timer from now.
    pub fn reset(&mut self, id: i32) -> Result<()> {
        let (now, seq) = (self.now_ms(), self.seq());
        let t = self.find(id)?;
        t.due_ms = now.saturating_add(t.interval_ms);
        t.seq = seq;
        Ok(())
    }

    /// Milliseconds until the next timer is due (0 if overdue), -1 if none.
    pub fn timeout(&self) -> i64 {
        let now = self.now_ms();
        self.timers
            .iter()
            .map(|t| t.due_ms.saturating_sub(now) as i64)
            .min()
            .unwrap_or(-1)
    }

    /// The ids of timers due now, in firing order; `execute` fires them one by
    /// one through [`Timers::fire`] so that handlers can change the set between.
    pub fn due(&self) -> (u64, Vec<i32>) {
        let now = self.now_ms();
        let mut due: Vec<&Timer> = self.timers.iter().filter(|t| t.due_ms <= now).collect();
        due.sort_by_key(|t| (t.due_ms, t.seq));
        (now, due.into_iter().map(|t| t.id).collect())
    }

    /// If timer `id` is still due at `now`, reschedules it and returns its
    /// handler to call (outside any borrow of the set).
    pub fn fire(&mut self, id: i32, now: u64) -> Option<(TimerFn, *mut c_void)> {
        let seq = self.seq();
        let t = self
            .timers
            .iter_mut()
            .find(|t| t.id == id && t.due_ms <= now)?;
        t.due_ms = now.saturating_add(t.interval_ms);
        t.seq = seq;
        Some((t.handler, t.arg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn nop(_id: i32, _arg: *mut c_void) {}

    #[test]
    fn timeout_is_minus_one_without_timers_and_ids_count_from_one() {
        let mut t = Timers::new();
        assert_eq!(t.timeout(), -1);
        assert_eq!(t.add(1000, nop, std::ptr::null_mut()), 1);
        assert_eq!(t.add(10, nop, std::ptr::null_mut()), 2);
        assert!(t.timeout() <= 10);
        t.cancel(2).unwrap();
        assert_eq!(t.cancel(2), Err(Error::Invalid));
        assert!(t.timeout() > 10);
    }

    #[test]
    fn zero_interval_timer_is_due_and_rescheduled_on_fire() {
        let mut t = Timers::new();
        let id = t.add(0, nop, std::ptr::null_mut());
        let (now, due) = t.due();
        assert_eq!(due, vec![id]);
        assert!(t.fire(id, now).is_some());
        assert_eq!(t.reset(99), Err(Error::Invalid));
    }
}
