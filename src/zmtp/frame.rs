//! ZMTP 3.x framing (RFC 23 §"Framing"): `flags | size (u8, or u64 BE when
//! LONG) | body`. Decoding is incremental over arbitrary chunks; the body size
//! is checked against the receive limit before the message is allocated.

use super::ProtocolError;
use crate::msg::{flags as msg_flags, Msg, SharedBuf, INLINE_MAX};

pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;
/// Largest frame header: flags + 8-byte size.
pub const MAX_HEADER: usize = 9;

/// Writes a frame header for a body of `size` bytes; returns its length.
#[inline]
pub fn encode_header(size: usize, more: bool, command: bool, out: &mut [u8; MAX_HEADER]) -> usize {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    if size <= 255 {
        out[0] = flags;
        out[1] = size as u8;
        2
    } else {
        out[0] = flags | FLAG_LONG;
        out[1..9].copy_from_slice(&(size as u64).to_be_bytes());
        9
    }
}

/// Appends one message as a frame: MORE from the message, COMMAND when it is
/// a command message.
pub fn encode(msg: &Msg, out: &mut Vec<u8>) {
    let mut header = [0u8; MAX_HEADER];
    let n = encode_header(
        msg.size(),
        msg.more(),
        msg.flags() & msg_flags::COMMAND != 0,
        &mut header,
    );
    out.extend_from_slice(&header[..n]);
    out.extend_from_slice(msg.data());
}

#[derive(Debug)]
enum State {
    /// Waiting for the flags byte.
    Flags,
    /// Collecting the size: `need` bytes in total, `have` so far.
    Size {
        flags: u8,
        need: usize,
        have: usize,
        buf: [u8; 8],
    },
    /// Filling the body of `msg`; `filled` bytes written.
    Body { msg: Msg, filled: usize },
    /// A frame completed outside `decode` (read straight into its body),
    /// handed to the sink by the next `decode`.
    Ready(Msg),
}

/// Incremental frame decoder.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    /// Largest accepted body (`ZMQ_MAXMSGSIZE`), `None` for no limit.
    max_size: Option<u64>,
}

impl Decoder {
    pub fn new(max_size: Option<u64>) -> Decoder {
        Decoder {
            state: State::Flags,
            max_size,
        }
    }

    /// Changes the largest accepted body for frames not yet started.
    pub fn set_max_size(&mut self, max_size: Option<u64>) {
        self.max_size = max_size;
    }

    /// True between frames (nothing partial buffered).
    pub fn at_frame_boundary(&self) -> bool {
        matches!(self.state, State::Flags)
    }

    /// Consumes `input`, calling `sink` with each complete frame as a message
    /// (MORE and COMMAND flags set on it). The sink gets the message by
    /// reference and takes it (`Msg::take`, or a pipe's `write_from`) if it
    /// keeps it; what it leaves is dropped. Stops at the first error; the
    /// connection must then be dropped. Returns the bytes consumed, which is
    /// all of `input` unless `sink` returns false (backpressure).
    pub fn decode(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(&mut Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        self.decode_from(input, None, sink)
    }

    /// As [`decode`](Self::decode) over `buf.filled()[start..]`, but bodies
    /// larger than a message holds inline that lie wholly in the buffer are
    /// not copied: their messages reference the buffer.
    pub fn decode_shared(
        &mut self,
        buf: &SharedBuf,
        start: usize,
        sink: &mut dyn FnMut(&mut Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        let input = buf.filled().get(start..).unwrap_or(&[]);
        self.decode_from(input, Some((buf, start)), sink)
    }

    /// Makes `msg` the message for a frame of `size` bytes with wire
    /// `flags`, its body starting at `input[pos..]`: a slice of `shared` when
    /// the whole body is there and too big to be inline, else a fresh (still
    /// empty) message. Built in place (a message returned by value through a
    /// `Result` costs a 64-byte copy per frame). Returns whether the body is
    /// already complete.
    #[inline]
    fn new_message(
        &self,
        flags: u8,
        size: u64,
        input: &[u8],
        pos: usize,
        shared: Option<(&SharedBuf, usize)>,
        msg: &mut Msg,
    ) -> Result<bool, ProtocolError> {
        if self.max_size.is_some_and(|max| size > max) {
            return Err(ProtocolError::MessageTooLarge);
        }
        let size = usize::try_from(size).map_err(|_| ProtocolError::MessageTooLarge)?;
        let mut msg_flags = 0;
        if flags & FLAG_MORE != 0 {
            msg_flags |= msg_flags::MORE;
        }
        if flags & FLAG_COMMAND != 0 {
            msg_flags |= msg_flags::COMMAND;
        }
        if let Some((buf, start)) = shared {
            if size > INLINE_MAX
                && input.len() - pos >= size
                && buf.slice_into(start + pos, size, msg_flags, msg)
            {
                return Ok(true);
            }
        }
        msg.reset_with_size(size, msg_flags)
            .map_err(|_| ProtocolError::MessageTooLarge)?;
        Ok(size == 0)
    }

    fn decode_from(
        &mut self,
        input: &[u8],
        shared: Option<(&SharedBuf, usize)>,
        sink: &mut dyn FnMut(&mut Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        let mut pos = 0;
        // Each frame is built here and handed to the sink by reference.
        let mut msg = Msg::new();
        loop {
            match &mut self.state {
                State::Ready(_) => {
                    let State::Ready(mut ready) = std::mem::replace(&mut self.state, State::Flags)
                    else {
                        unreachable!("state matched Ready above")
                    };
                    if !sink(&mut ready) {
                        return Ok(pos);
                    }
                }
                State::Flags => {
                    let Some(&flags) = input.get(pos) else {
                        return Ok(pos);
                    };
                    // Bits 3-7 are reserved and ignored, as libzmq does. A
                    // command cannot continue (RFC 37), but libzmq accepts a
                    // command frame with MORE set as a plain command: so do we.
                    let flags = if flags & FLAG_COMMAND != 0 {
                        flags & !FLAG_MORE
                    } else {
                        flags
                    };
                    let need = if flags & FLAG_LONG != 0 { 8 } else { 1 };
                    // Fast path: the whole header is here.
                    if input.len() - pos > need {
                        let size = if need == 1 {
                            input[pos + 1] as u64
                        } else {
                            let mut b = [0u8; 8];
                            b.copy_from_slice(&input[pos + 1..pos + 9]);
                            u64::from_be_bytes(b)
                        };
                        let body = pos + 1 + need;
                        let complete =
                            self.new_message(flags, size, input, body, shared, &mut msg)?;
                        pos = body;
                        if complete {
                            pos += msg.size();
                            if !sink(&mut msg) {
                                return Ok(pos);
                            }
                            continue;
                        }
                        // Copy what is here; small bodies usually complete.
                        let size = msg.size();
                        let take = size.min(input.len() - pos);
                        msg.data_mut()[..take].copy_from_slice(&input[pos..pos + take]);
                        pos += take;
                        if take == size {
                            if !sink(&mut msg) {
                                return Ok(pos);
                            }
                            continue;
                        }
                        self.state = State::Body {
                            msg: msg.take(),
                            filled: take,
                        };
                        return Ok(pos);
                    }
                    pos += 1;
                    self.state = State::Size {
                        flags,
                        need,
                        have: 0,
                        buf: [0; 8],
                    };
                }
                State::Size {
                    flags,
                    need,
                    have,
                    buf,
                } => {
                    let take = (*need - *have).min(input.len() - pos);
                    buf[*have..*have + take].copy_from_slice(&input[pos..pos + take]);
                    *have += take;
                    pos += take;
                    if *have < *need {
                        return Ok(pos);
                    }
                    let size = if *need == 1 {
                        buf[0] as u64
                    } else {
                        u64::from_be_bytes(*buf)
                    };
                    let flags = *flags;
                    let complete = self.new_message(flags, size, input, pos, shared, &mut msg)?;
                    if complete {
                        pos += msg.size();
                        self.state = State::Flags;
                        if !sink(&mut msg) {
                            return Ok(pos);
                        }
                        continue;
                    }
                    self.state = State::Body {
                        msg: msg.take(),
                        filled: 0,
                    };
                }
                State::Body { msg, filled } => {
                    let size = msg.size();
                    let take = (size - *filled).min(input.len() - pos);
                    msg.data_mut()[*filled..*filled + take]
                        .copy_from_slice(&input[pos..pos + take]);
                    *filled += take;
                    pos += take;
                    if *filled < size {
                        return Ok(pos);
                    }
                    let State::Body { msg: mut done, .. } =
                        std::mem::replace(&mut self.state, State::Flags)
                    else {
                        unreachable!("state matched Body above")
                    };
                    if !sink(&mut done) {
                        return Ok(pos);
                    }
                }
            }
        }
    }

    /// While a frame body is being filled: the part still missing, so that
    /// a transport can read straight into the message (large messages are
    /// then copied once, by the kernel). Report what was written with
    /// [`body_filled`](Self::body_filled).
    pub fn body_remaining(&mut self) -> Option<&mut [u8]> {
        match &mut self.state {
            State::Body { msg, filled } => {
                let f = *filled;
                Some(&mut msg.data_mut()[f..])
            }
            _ => None,
        }
    }

    /// Accounts `n` bytes written into [`body_remaining`](Self::body_remaining);
    /// a completed frame goes to the sink of the next `decode`.
    pub fn body_filled(&mut self, n: usize) {
        let State::Body { msg, filled } = &mut self.state else {
            return;
        };
        *filled = (*filled + n).min(msg.size());
        if *filled < msg.size() {
            return;
        }
        if let State::Body { msg, .. } = std::mem::replace(&mut self.state, State::Flags) {
            self.state = State::Ready(msg);
        }
    }

    /// Hands over the data frame whose body is being filled (a direct
    /// read's holder completes it: `pipe::direct`), leaving the decoder
    /// between frames: the message (MORE flag set as the wire said) and
    /// the bytes already in it. None unless a data frame is in progress.
    pub fn suspend_body(&mut self) -> Option<(Msg, usize)> {
        match &self.state {
            State::Body { msg, .. } if msg.flags() & msg_flags::COMMAND == 0 => {}
            _ => return None,
        }
        match std::mem::replace(&mut self.state, State::Flags) {
            State::Body { msg, filled } => Some((msg, filled)),
            other => {
                self.state = other;
                None
            }
        }
    }

    /// Takes back a frame handed over by [`suspend_body`](Self::suspend_body)
    /// (or started by a holder), `filled` of its bytes written. Only
    /// between frames; false (and nothing changes) otherwise.
    pub fn resume_body(&mut self, msg: Msg, filled: usize) -> bool {
        if !matches!(self.state, State::Flags) {
            return false;
        }
        let filled = filled.min(msg.size());
        self.state = State::Body { msg, filled };
        // A frame that came complete is handed on by the next decode.
        self.body_filled(0);
        true
    }

    /// True when a frame completed by `body_filled` waits for `decode`.
    pub fn has_ready(&self) -> bool {
        matches!(self.state, State::Ready(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], max: Option<u64>, chunk: usize) -> Result<Vec<Msg>, ProtocolError> {
        let mut d = Decoder::new(max);
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            d.decode(c, &mut |m: &mut Msg| {
                out.push(m.take());
                true
            })?;
        }
        Ok(out)
    }

    #[test]
    fn short_and_long_frames_round_trip_in_any_chunking() {
        let mut wire = Vec::new();
        let sizes = [0usize, 1, 33, 34, 255, 256, 70_000];
        for (i, &n) in sizes.iter().enumerate() {
            let mut m = Msg::from_slice(&vec![i as u8; n]).unwrap();
            if i % 2 == 0 {
                m.set_flags(msg_flags::MORE);
            }
            encode(&m, &mut wire);
        }
        for chunk in [1, 2, 7, 300, wire.len()] {
            let msgs = decode_all(&wire, None, chunk).unwrap();
            assert_eq!(msgs.len(), sizes.len());
            for (i, m) in msgs.iter().enumerate() {
                assert_eq!(m.size(), sizes[i]);
                assert_eq!(m.more(), i % 2 == 0);
                assert!(m.data().iter().all(|&b| b == i as u8));
            }
        }
    }

    #[test]
    fn header_uses_long_form_only_above_255() {
        let mut h = [0u8; MAX_HEADER];
        assert_eq!(encode_header(255, false, false, &mut h), 2);
        assert_eq!(&h[..2], &[0x00, 0xFF]);
        assert_eq!(encode_header(256, true, false, &mut h), 9);
        assert_eq!(h[0], FLAG_LONG | FLAG_MORE);
        assert_eq!(encode_header(5, false, true, &mut h), 2);
        assert_eq!(h[0], FLAG_COMMAND);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "without MAXMSGSIZE the 2^62-byte allocation is tried and fails; Miri stops instead"
    )]
    fn oversized_frame_is_refused_before_allocation() {
        // A long frame announcing 2^62 bytes must fail at the size, not OOM.
        let mut wire = vec![FLAG_LONG];
        wire.extend_from_slice(&(1u64 << 62).to_be_bytes());
        assert_eq!(
            decode_all(&wire, None, 64).err(),
            Some(ProtocolError::MessageTooLarge)
        );
        assert_eq!(
            decode_all(&[0x00, 10], Some(9), 64).err(),
            Some(ProtocolError::MessageTooLarge)
        );
        assert!(decode_all(&[0x00, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9], Some(9), 64).is_ok());
    }

    #[test]
    fn command_with_more_flag_is_read_as_a_plain_command() {
        let msgs = decode_all(&[FLAG_COMMAND | FLAG_MORE, 1, b'x'], None, 64).unwrap();
        assert_eq!(msgs.len(), 1);
        assert!(!msgs[0].more() && msgs[0].flags() & msg_flags::COMMAND != 0);
    }

    #[test]
    fn backpressure_stops_after_the_frame_the_sink_refused() {
        let mut wire = Vec::new();
        encode(&Msg::from_slice(b"a").unwrap(), &mut wire);
        encode(&Msg::from_slice(b"b").unwrap(), &mut wire);
        let mut d = Decoder::new(None);
        let mut got = Vec::new();
        let used = d
            .decode(&wire, &mut |m: &mut Msg| {
                got.push(m.take());
                false
            })
            .unwrap();
        assert_eq!(used, 3);
        assert_eq!(got.len(), 1);
        assert!(d.at_frame_boundary());
    }

    #[test]
    fn shared_decoding_references_the_buffer_and_frees_it_with_the_last_message() {
        let mut wire = Vec::new();
        for (n, more) in [(10usize, true), (100, true), (34, false)] {
            let mut m = Msg::from_slice(&vec![n as u8; n]).unwrap();
            if more {
                m.set_flags(msg_flags::MORE);
            }
            encode(&m, &mut wire);
        }
        let mut buf = SharedBuf::new(1024).unwrap();
        buf.spare_mut()[..wire.len()].copy_from_slice(&wire);
        buf.advance(wire.len());
        let mut d = Decoder::new(None);
        let mut out = Vec::new();
        let used = d
            .decode_shared(&buf, 0, &mut |m: &mut Msg| {
                out.push(m.take());
                true
            })
            .unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(out.len(), 3);
        let base = buf.filled().as_ptr_range();
        for (m, (n, more)) in out.iter().zip([(10usize, true), (100, true), (34, false)]) {
            assert_eq!(m.size(), n);
            assert_eq!(m.more(), more);
            assert!(m.data().iter().all(|&b| b == n as u8));
            // Bodies above 33 bytes point into the buffer; small ones are inline.
            assert_eq!(base.contains(&m.data().as_ptr()), n > 33);
        }
        assert!(!buf.is_unique(), "messages hold the buffer");
        out.clear();
        assert!(buf.is_unique(), "the last message released it");
    }

    #[test]
    fn a_body_can_be_filled_in_place_and_is_handed_out_by_the_next_decode() {
        let body = vec![7u8; 20_000];
        let mut wire = Vec::new();
        encode(&Msg::from_slice(&body).unwrap(), &mut wire);
        let mut d = Decoder::new(None);
        let mut got = Vec::new();
        d.decode(&wire[..100], &mut |m: &mut Msg| {
            got.push(m.take());
            true
        })
        .unwrap();
        assert!(got.is_empty());
        let rest = d.body_remaining().unwrap();
        assert_eq!(rest.len(), 20_000 - 91);
        rest.copy_from_slice(&wire[100..]);
        d.body_filled(20_000 - 91);
        assert!(d.has_ready());
        d.decode(&[], &mut |m: &mut Msg| {
            got.push(m.take());
            true
        })
        .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data(), &body[..]);
        assert!(d.at_frame_boundary());
    }
}
