//! ZMTP 3.x framing (RFC 23 §"Framing"): `flags | size (u8, or u64 BE when
//! LONG) | body`. Decoding is incremental over arbitrary chunks; the body size
//! is checked against the receive limit before the message is allocated.

use super::ProtocolError;
use crate::msg::{flags as msg_flags, Msg};

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

    /// True between frames (nothing partial buffered).
    pub fn at_frame_boundary(&self) -> bool {
        matches!(self.state, State::Flags)
    }

    /// Consumes `input`, calling `sink` with each complete frame as a message
    /// (MORE and COMMAND flags set on it). Stops at the first error; the
    /// connection must then be dropped. Returns the bytes consumed, which is
    /// all of `input` unless `sink` returns false (backpressure).
    pub fn decode(
        &mut self,
        input: &[u8],
        sink: &mut dyn FnMut(Msg) -> bool,
    ) -> Result<usize, ProtocolError> {
        let mut pos = 0;
        loop {
            match &mut self.state {
                State::Flags => {
                    let Some(&flags) = input.get(pos) else {
                        return Ok(pos);
                    };
                    pos += 1;
                    // Bits 3-7 are reserved and ignored, as libzmq does. A
                    // command cannot continue (RFC 37), but libzmq accepts a
                    // command frame with MORE set as a plain command: so do we.
                    let flags = if flags & FLAG_COMMAND != 0 {
                        flags & !FLAG_MORE
                    } else {
                        flags
                    };
                    let need = if flags & FLAG_LONG != 0 { 8 } else { 1 };
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
                    if self.max_size.is_some_and(|max| size > max) {
                        return Err(ProtocolError::MessageTooLarge);
                    }
                    let size = usize::try_from(size).map_err(|_| ProtocolError::MessageTooLarge)?;
                    let mut msg =
                        Msg::with_size(size).map_err(|_| ProtocolError::MessageTooLarge)?;
                    if flags & FLAG_MORE != 0 {
                        msg.set_flags(msg_flags::MORE);
                    }
                    if flags & FLAG_COMMAND != 0 {
                        msg.set_flags(msg_flags::COMMAND);
                    }
                    self.state = State::Body { msg, filled: 0 };
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
                    let State::Body { msg, .. } = std::mem::replace(&mut self.state, State::Flags)
                    else {
                        unreachable!("state matched Body above")
                    };
                    if !sink(msg) {
                        return Ok(pos);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], max: Option<u64>, chunk: usize) -> Result<Vec<Msg>, ProtocolError> {
        let mut d = Decoder::new(max);
        let mut out = Vec::new();
        for c in bytes.chunks(chunk.max(1)) {
            d.decode(c, &mut |m| {
                out.push(m);
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
            .decode(&wire, &mut |m| {
                got.push(m);
                false
            })
            .unwrap();
        assert_eq!(used, 3);
        assert_eq!(got.len(), 1);
        assert!(d.at_frame_boundary());
    }
}
