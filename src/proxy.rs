//! Devices: `zmq_proxy`, `zmq_proxy_steerable` and `zmq_device` (which
//! libzmq runs as a plain proxy whatever its type).
//!
//! The proxy moves whole messages between a frontend and a backend socket
//! (which may be the same socket), by reference: each frame goes from the
//! receiving socket's queue into the caller-side message and on into the
//! sending socket's queue, payloads never copied. A capture socket gets a
//! shared copy of every frame (one reference-count add). A message is taken
//! from one side only while the other side can accept one, so both sides'
//! HWMs hold: nothing is buffered inside the proxy beyond the message being
//! moved. Work comes in bursts of at most [`BURST`] messages per direction
//! so that neither direction starves the other.
//!
//! When nothing can move, the proxy sleeps in `poll(2)` on the sockets'
//! mailbox fds (`ZMQ_FD`, edge-triggered: a fd becomes readable only on a
//! new command, so a direction blocked by a full peer does not spin).
//!
//! The control socket of `zmq_proxy_steerable` takes libzmq 4.3's commands:
//! PAUSE, RESUME, TERMINATE, and STATISTICS, answered with 8 native-endian
//! `u64` frames (frontend received count/bytes, sent count/bytes, then the
//! same for the backend; a multipart message counts once); a REP control
//! socket gets an empty answer to the other commands (libzmq 4.3.5). Unlike libzmq,
//! which asserts (aborting the process) on an unknown command, we ignore it.
//!
//! The sockets are locked while the proxy works and released while it sleeps,
//! so the proxy thread owns them as libzmq's documentation requires without
//! turning a misuse elsewhere into a deadlock.

use crate::error::{Error, Result};
use crate::handle::{CallGuard, Cell};
use crate::msg::Msg;
use crate::socket::{Socket, DONTWAIT, SNDMORE};

/// Messages moved per direction before the other direction gets its turn.
pub const BURST: usize = 1000;

/// The sockets of one proxy; `backend` may be the same cell as `frontend`.
pub struct ProxySockets<'a> {
    pub frontend: &'a Cell<Socket>,
    pub backend: &'a Cell<Socket>,
    pub capture: Option<&'a Cell<Socket>>,
    pub control: Option<&'a Cell<Socket>>,
}

/// One side's counters, as STATISTICS reports them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SideStats {
    pub recv_count: u64,
    pub recv_bytes: u64,
    pub sent_count: u64,
    pub sent_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Front,
    Back,
}

/// The locked sockets during one round of work.
struct Locked<'a> {
    front: CallGuard<'a, Option<Socket>>,
    /// None when the backend is the frontend.
    back: Option<CallGuard<'a, Option<Socket>>>,
    capture: Option<CallGuard<'a, Option<Socket>>>,
    control: Option<CallGuard<'a, Option<Socket>>>,
}

fn live<'g>(g: &'g mut CallGuard<'_, Option<Socket>>) -> Result<&'g mut Socket> {
    g.as_mut().ok_or(Error::NotSocket)
}

impl Locked<'_> {
    fn side(&mut self, side: Side) -> Result<&mut Socket> {
        match (side, &mut self.back) {
            (Side::Back, Some(back)) => live(back),
            _ => live(&mut self.front),
        }
    }

    fn capture(&mut self) -> Result<Option<&mut Socket>> {
        self.capture.as_mut().map(live).transpose()
    }

    /// The control socket (if any) and the capture socket (if any).
    fn control(&mut self) -> Result<(Option<&mut Socket>, Option<&mut Socket>)> {
        let control = self.control.as_mut().map(live).transpose()?;
        let capture = self.capture.as_mut().map(live).transpose()?;
        Ok((control, capture))
    }

    /// The sockets' mailbox fds to sleep on: the data sockets only while
    /// the proxy is active, the control socket always.
    fn fds(&mut self, active: bool, out: &mut Vec<libc::pollfd>) -> Result<()> {
        out.clear();
        let mut add = |fd: i32| {
            out.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        };
        if active {
            add(live(&mut self.front)?.fd());
            if let Some(b) = self.back.as_mut() {
                add(live(b)?.fd());
            }
        }
        if let Some(c) = self.control.as_mut() {
            add(live(c)?.fd());
        }
        Ok(())
    }
}

/// Runs a proxy until TERMINATE (`Ok`) or an error such as ETERM when the
/// context shuts down.
pub fn run(sockets: ProxySockets<'_>) -> Result<()> {
    let same = std::ptr::eq(sockets.frontend, sockets.backend);
    // Locking one cell twice would deadlock: the capture and control
    // sockets must be sockets of their own.
    let data = [sockets.frontend, sockets.backend];
    for extra in [sockets.capture, sockets.control].into_iter().flatten() {
        if data.iter().any(|d| std::ptr::eq(*d, extra)) {
            return Err(Error::Invalid);
        }
    }
    if let (Some(a), Some(b)) = (sockets.capture, sockets.control) {
        if std::ptr::eq(a, b) {
            return Err(Error::Invalid);
        }
    }
    let lock = || Locked {
        front: sockets.frontend.value().lock(),
        back: (!same).then(|| sockets.backend.value().lock()),
        capture: sockets.capture.map(|c| c.value().lock()),
        control: sockets.control.map(|c| c.value().lock()),
    };
    // A capture socket whose context has ended fails the call now (ETERM),
    // rather than on the first message it would copy (libzmq's proxy
    // blocks on until then, for ever if no message comes).
    if let Some(capture) = lock().capture()? {
        capture.events()?;
    }
    let mut stats = [SideStats::default(); 2];
    let mut active = true;
    let mut msg = Msg::new();
    let mut fds = Vec::with_capacity(3);
    loop {
        let mut l = lock();
        let (front_in, front_out) = l.side(Side::Front)?.events()?;
        let (back_in, back_out) = if same {
            (false, false)
        } else {
            l.side(Side::Back)?.events()?
        };
        if let (Some(control), capture) = l.control()? {
            if control.events()?.0 {
                match command(control, capture, &mut msg, &stats)? {
                    Steer::Pause => active = false,
                    Steer::Resume => active = true,
                    Steer::Terminate => return Ok(()),
                    Steer::Other => {}
                }
                continue;
            }
        }
        if active {
            let mut moved = false;
            if front_in && (same || back_out) {
                moved |= forward(&mut l, Side::Front, Side::Back, same, &mut msg, &mut stats)?;
            }
            if back_in && front_out {
                moved |= forward(&mut l, Side::Back, Side::Front, same, &mut msg, &mut stats)?;
            }
            if moved {
                continue;
            }
        }
        l.fds(active, &mut fds)?;
        drop(l);
        // SAFETY: fds is a valid array of fds.len() pollfd structures.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if rc < 0 {
            // EINTR ends the proxy with -1/EINTR, as libzmq's does.
            return Err(Error::last_os_error());
        }
    }
}

/// Moves up to [`BURST`] whole messages from `from` to `to` while `to` can
/// take them. Returns whether anything moved.
fn forward(
    l: &mut Locked<'_>,
    from: Side,
    to: Side,
    same: bool,
    msg: &mut Msg,
    stats: &mut [SideStats; 2],
) -> Result<bool> {
    let mut moved = false;
    for _ in 0..BURST {
        // Taking a message the other side cannot queue would buffer it
        // here; libzmq skips this check for a single-socket proxy.
        if moved && !same && !l.side(to)?.can_send()? {
            break;
        }
        match l.side(from)?.recv_into(msg, DONTWAIT) {
            Ok(()) => {}
            Err(Error::Again) => break,
            Err(e) => return Err(e),
        }
        let mut bytes = 0u64;
        loop {
            let more = msg.more();
            let send_flags = if more { SNDMORE } else { 0 };
            bytes += msg.size() as u64;
            if let Some(capture) = l.capture()? {
                let mut copy = msg.share();
                capture.send_from(&mut copy, send_flags)?;
            }
            // The rest of a multipart message is already queued (messages
            // arrive whole) and the HWM counts whole messages, so these
            // calls do not wait in practice.
            l.side(to)?.send_from(msg, send_flags)?;
            if !more {
                break;
            }
            l.side(from)?.recv_into(msg, 0)?;
        }
        let (f, t) = (from as usize, to as usize);
        stats[f].recv_count += 1;
        stats[f].recv_bytes += bytes;
        stats[t].sent_count += 1;
        stats[t].sent_bytes += bytes;
        moved = true;
    }
    Ok(moved)
}

enum Steer {
    Pause,
    Resume,
    Terminate,
    Other,
}

/// Reads and carries out one control command (the capture socket gets a
/// copy, as in libzmq).
fn command(
    control: &mut Socket,
    capture: Option<&mut Socket>,
    msg: &mut Msg,
    stats: &[SideStats; 2],
) -> Result<Steer> {
    control.recv_into(msg, DONTWAIT)?;
    if let Some(capture) = capture {
        let mut copy = msg.share();
        capture.send_from(&mut copy, 0)?;
    }
    if msg.more() {
        // libzmq ends the proxy with -1 on a multipart command.
        while msg.more() {
            control.recv_into(msg, DONTWAIT)?;
        }
        return Err(Error::Invalid);
    }
    let steer = match msg.data() {
        b"PAUSE" => Steer::Pause,
        b"RESUME" => Steer::Resume,
        b"TERMINATE" => Steer::Terminate,
        b"STATISTICS" => {
            let values = stats_frames(stats);
            for (i, v) in values.iter().enumerate() {
                let mut part = Msg::from_slice(&v.to_ne_bytes())?;
                let f = if i + 1 < values.len() { SNDMORE } else { 0 };
                control.send_from(&mut part, f)?;
            }
            return Ok(Steer::Other);
        }
        _ => Steer::Other,
    };
    // libzmq 4.3.5 answers every other command with an empty message, so
    // that a REP control socket can take the next one; a control socket of
    // another type gets no answer, as in 4.3.4.
    if control.socket_type() == crate::socket::pattern::kind::REP {
        let mut empty = Msg::new();
        control.send_from(&mut empty, 0)?;
    }
    Ok(steer)
}

/// The 8 STATISTICS values in libzmq's order.
pub fn stats_frames(stats: &[SideStats; 2]) -> [u64; 8] {
    let [f, b] = stats;
    [
        f.recv_count,
        f.recv_bytes,
        f.sent_count,
        f.sent_bytes,
        b.recv_count,
        b.recv_bytes,
        b.sent_count,
        b.sent_bytes,
    ]
}
