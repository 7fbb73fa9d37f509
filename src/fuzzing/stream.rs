//! The `stream_read` target: direct reads of a stream of frames
//! (`pipe::direct::read_stream`, the receiving thread reading the
//! connection itself) taking turns with the session's decoder, against
//! decoding the whole stream at once.

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use super::{Chunks, Input};
use crate::msg::{flags, Msg};
use crate::pipe::direct::{read_stream, Lease, Partial};
use crate::zmtp::frame::Decoder;

/// The size limits a holder and the decoder share (`ZMQ_MAXMSGSIZE`).
const MAX_SIZES: [u64; 6] = [0, 255, 8191, 8192, 70_000, 1 << 20];
/// Holder turns before the session takes what is left.
const MAX_TURNS: usize = 2000;

/// One frame: (MORE, COMMAND, body).
type Frame = (bool, bool, Vec<u8>);

fn record(msg: &Msg, out: &mut Vec<Frame>) {
    out.push((
        msg.more(),
        msg.flags() & flags::COMMAND != 0,
        msg.data().to_vec(),
    ));
}

/// The peer writes `stream` in pieces through a unix stream socket; a
/// holder reads it (never waiting) turn by turn, its part-read frame
/// handed back and forth; the session takes over with the bytes a holder
/// hands back, or (chosen by the input) a part-read frame, and decodes the
/// rest. Whole messages the holder queued, then the session's frames, must
/// be exactly the frames of the stream decoded at once (up to the frame a
/// decoding error stops at, which both reach).
pub fn stream_read(data: &[u8]) {
    let mut input = Input::new(data);
    let max = MAX_SIZES[input.byte() as usize % MAX_SIZES.len()];
    let mut chunks = Chunks::new(input.byte());
    let handover = input.byte();
    let stream = input.rest();

    let mut want = Vec::new();
    let want_ok = Decoder::new(Some(max))
        .decode(stream, &mut |m| {
            record(m, &mut want);
            true
        })
        .is_ok();

    let (Ok((peer, conn)), Ok((_quiet, wake))) = (UnixStream::pair(), UnixStream::pair()) else {
        return;
    };
    if peer.set_nonblocking(true).is_err() || conn.set_nonblocking(true).is_err() {
        return;
    }
    let mut got = Vec::new();
    let (mut queue, mut rbuf) = (VecDeque::new(), Vec::new());
    let mut partial: Option<Partial> = None;
    let mut session_bytes = Vec::new();
    let mut fed = 0;
    let mut idle_turns = 0;
    for turn in 0..MAX_TURNS {
        if fed < stream.len() {
            let n = chunks.next(stream.len() - fed);
            if let Ok(k) = (&peer).write(&stream[fed..fed + n]) {
                fed += k;
            }
        }
        let before = partial.as_ref().map(|p| p.filled);
        let mut lease = Lease {
            fd: conn.as_raw_fd(),
            metadata: None,
            max: Some(max),
            partial: partial.take(),
            stream: true,
        };
        // A deadline already passed: the holder never waits.
        let s = read_stream(
            &mut lease,
            wake.as_raw_fd(),
            Some(Instant::now()),
            &mut queue,
            &mut rbuf,
        );
        let queued = !queue.is_empty();
        for m in queue.drain(..) {
            assert!(
                (m.size() as u64) <= max && m.flags() & flags::COMMAND == 0,
                "a holder queued a command or a frame over the limit"
            );
            record(&m, &mut got);
        }
        if !s.leftover.is_empty() {
            assert!(s.partial.is_none(), "leftover bytes and a part-read frame");
            session_bytes.extend_from_slice(&s.leftover);
            break;
        }
        partial = s.partial;
        if partial.is_some() && (handover >> (turn % 8)) & 1 == 1 {
            break;
        }
        let moved = queued || partial.as_ref().map(|p| p.filled) != before;
        idle_turns = if moved || fed < stream.len() {
            0
        } else {
            idle_turns + 1
        };
        if idle_turns > 2 {
            break;
        }
    }
    // The session: what it was handed, then everything the kernel holds.
    drop(peer);
    let mut rest = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match (&conn).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => rest.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    session_bytes.extend_from_slice(&rest);
    session_bytes.extend_from_slice(&stream[fed..]);
    let mut decoder = Decoder::new(Some(max));
    if let Some(p) = partial {
        assert!(
            decoder.resume_body(p.msg, p.filled),
            "the decoder resumes a frame"
        );
    }
    let ok = decoder
        .decode(&session_bytes, &mut |m| {
            record(m, &mut got);
            true
        })
        .is_ok();
    assert_eq!(got, want, "frames differ from the stream decoded at once");
    assert_eq!(ok, want_ok, "one decoding failed, the other did not");
}
