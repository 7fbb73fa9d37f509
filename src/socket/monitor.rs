//! Socket monitors (`zmq_socket_monitor`, `zmq_socket_monitor_versioned`):
//! connection events of one socket, published on an inproc PAIR (or PUB,
//! PUSH) socket the application connects to.
//!
//! Every socket owns one [`Monitor`] from birth, shared with its sessions
//! and listeners through `SessionConfig`, so an I/O thread can report what
//! happens to a connection. The hot path never sees it: events are
//! connection-level, and a socket with no monitor pays one relaxed atomic
//! load per event (the mask), nothing per message.
//!
//! Events are sent without blocking: an event the monitor socket cannot
//! queue (no peer connected yet, or its HWM reached) is dropped. libzmq
//! sends them blocking, which stalls its I/O thread in that situation.
//!
//! Wire format (libzmq's `socket_base_t::monitor_event`):
//! - version 1: a 6-byte frame (`u16` event, `u32` value, host byte order)
//!   then the endpoint (the local one for bind-side events, else the remote);
//! - version 2: `u64` event, `u64` value count, the values, then the local
//!   and the remote endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Socket, DONTWAIT, SNDMORE};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::msg::Msg;

/// Event numbers (zmq.h `ZMQ_EVENT_*`).
pub mod event {
    pub const CONNECTED: u64 = 0x0001;
    pub const CONNECT_DELAYED: u64 = 0x0002;
    pub const CONNECT_RETRIED: u64 = 0x0004;
    pub const LISTENING: u64 = 0x0008;
    pub const BIND_FAILED: u64 = 0x0010;
    pub const ACCEPTED: u64 = 0x0020;
    pub const ACCEPT_FAILED: u64 = 0x0040;
    pub const CLOSED: u64 = 0x0080;
    pub const CLOSE_FAILED: u64 = 0x0100;
    pub const DISCONNECTED: u64 = 0x0200;
    pub const MONITOR_STOPPED: u64 = 0x0400;
    pub const HANDSHAKE_FAILED_NO_DETAIL: u64 = 0x0800;
    pub const HANDSHAKE_SUCCEEDED: u64 = 0x1000;
    pub const HANDSHAKE_FAILED_PROTOCOL: u64 = 0x2000;
    pub const HANDSHAKE_FAILED_AUTH: u64 = 0x4000;
    pub const PIPES_STATS: u64 = 0x10000;
}

/// Socket types a monitor may publish on (libzmq: one-way types that
/// support SNDMORE).
const MONITOR_TYPES: [i32; 3] = [
    super::pattern::kind::PAIR,
    super::pattern::kind::PUB,
    super::pattern::kind::PUSH,
];

/// Whether an event is reported on the local (bind side) endpoint in a
/// version 1 event, as libzmq's `endpoint_uri_pair_t::identifier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Bind,
    Connect,
}

/// The endpoints an event concerns.
#[derive(Debug, Clone, Copy)]
pub struct Endpoints<'a> {
    pub local: &'a str,
    pub remote: &'a str,
    pub side: Side,
}

impl<'a> Endpoints<'a> {
    /// A bind-side event with no connection (listening, closed...).
    pub fn bound(local: &'a str) -> Endpoints<'a> {
        Endpoints {
            local,
            remote: "",
            side: Side::Bind,
        }
    }

    /// A connect-side event before a connection exists.
    pub fn connecting(remote: &'a str) -> Endpoints<'a> {
        Endpoints {
            local: "",
            remote,
            side: Side::Connect,
        }
    }
}

struct Sink {
    socket: Socket,
    version: i32,
}

/// A socket's monitor: which events are wanted and where they go.
#[derive(Default)]
pub struct Monitor {
    /// The events wanted; 0 while no monitor runs.
    mask: AtomicU64,
    sink: Mutex<Option<Sink>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Monitor({:#x})", self.mask.load(Ordering::Relaxed))
    }
}

impl Monitor {
    pub fn new() -> Arc<Monitor> {
        Arc::new(Monitor::default())
    }

    /// Whether `event` would be reported: one relaxed load (a stale answer
    /// only decides whether the lock is taken; `emit` checks again).
    #[inline]
    pub fn wants(&self, event: u64) -> bool {
        self.mask.load(Ordering::Relaxed) & event != 0
    }

    /// Starts monitoring `events` on a new socket of `socket_type` bound at
    /// `addr` (inproc only). A running monitor is stopped first (with its
    /// MONITOR_STOPPED event).
    pub fn start(
        &self,
        ctx: &Arc<Ctx>,
        addr: &[u8],
        events: u64,
        version: i32,
        socket_type: i32,
    ) -> Result<()> {
        if !(1..=2).contains(&version) || (version == 1 && events >> 16 != 0) {
            return Err(Error::Invalid);
        }
        match super::Endpoint::parse(addr)? {
            super::Endpoint::Inproc(_) => {}
            _ => return Err(Error::Os(libc::EPROTONOSUPPORT)),
        }
        self.stop(true);
        if !MONITOR_TYPES.contains(&socket_type) {
            return Err(Error::Invalid);
        }
        let mut socket = Socket::new(ctx.clone(), socket_type)?;
        // Never hold up context termination on undelivered events.
        socket.options.linger = 0;
        if let Err(e) = socket.bind(addr) {
            socket.close();
            return Err(e);
        }
        let mut sink = self.sink.lock();
        *sink = Some(Sink { socket, version });
        self.mask.store(events, Ordering::Relaxed);
        Ok(())
    }

    /// Stops monitoring; with `announce`, MONITOR_STOPPED goes out first
    /// (if wanted).
    pub fn stop(&self, announce: bool) {
        let mut sink = self.sink.lock();
        if let Some(mut s) = sink.take() {
            if announce && self.wants(event::MONITOR_STOPPED) {
                send_event(&mut s, event::MONITOR_STOPPED, &[0], Endpoints::bound(""));
            }
            self.mask.store(0, Ordering::Relaxed);
            s.socket.close();
        }
    }

    /// Reports `event` with its values, if it is wanted.
    pub fn emit(&self, event: u64, values: &[u64], endpoints: Endpoints<'_>) {
        if !self.wants(event) {
            return;
        }
        let mut sink = self.sink.lock();
        if let Some(s) = sink.as_mut() {
            if self.wants(event) {
                send_event(s, event, values, endpoints);
            }
        }
    }

    /// Whether a monitor runs (ZMQ_EVENT_PIPES_STATS needs one).
    pub fn running(&self) -> bool {
        self.sink.lock().is_some()
    }
}

fn send_event(sink: &mut Sink, event: u64, values: &[u64], ep: Endpoints<'_>) {
    let mut frames: Vec<Msg> = Vec::with_capacity(4);
    let part = |bytes: &[u8]| Msg::from_slice(bytes).unwrap_or_default();
    if sink.version == 1 {
        let mut head = [0u8; 6];
        head[..2].copy_from_slice(&(event as u16).to_ne_bytes());
        let value = values.first().copied().unwrap_or(0) as u32;
        head[2..].copy_from_slice(&value.to_ne_bytes());
        frames.push(part(&head));
        let id = match ep.side {
            Side::Bind => ep.local,
            Side::Connect => ep.remote,
        };
        frames.push(part(id.as_bytes()));
    } else {
        frames.push(part(&event.to_ne_bytes()));
        frames.push(part(&(values.len() as u64).to_ne_bytes()));
        for v in values {
            frames.push(part(&v.to_ne_bytes()));
        }
        frames.push(part(ep.local.as_bytes()));
        frames.push(part(ep.remote.as_bytes()));
    }
    // All or nothing: the first frame decides (HWM counts whole messages).
    let last = frames.len() - 1;
    for (i, mut f) in frames.into_iter().enumerate() {
        let more = if i < last { SNDMORE } else { 0 };
        if sink.socket.send_from(&mut f, DONTWAIT | more).is_err() {
            return;
        }
    }
}
