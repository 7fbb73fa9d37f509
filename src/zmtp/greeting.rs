//! The ZMTP greeting (RFC 23/37) and the detection of older peers
//! ("Detecting ZMTP 1.0 and 2.0 peers").
//!
//! ```text
//! 0     0xFF            signature
//! 1..9  padding         we send be64(identity size + 1), as libzmq does, so a
//!                       1.0 peer reads it as an identity frame length
//! 9     0x7F            signature (bit 0 set: not a 1.0 length)
//! 10    major = 3
//! 11    minor = 1
//! 12..32 mechanism      ASCII, NUL padded
//! 32    as-server
//! 33..64 filler
//! ```

use super::ProtocolError;

pub const GREETING_SIZE: usize = 64;
/// The part sent first, before we know the peer's version.
pub const SIGNATURE_SIZE: usize = 10;
pub const MECHANISM_SIZE: usize = 20;

/// The protocol version a peer speaks, as read from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerVersion {
    /// ZMTP 1.0: no greeting, the stream starts with an identity frame.
    V1,
    /// ZMTP 2.0: revision byte 0x01, socket type byte follows.
    V2,
    V3_0,
    V3_1,
}

/// What the bytes seen so far say about the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detection {
    /// Need at least this many bytes in total to decide.
    NeedBytes(usize),
    /// The peer's version (V3 needs the minor byte, so 12 bytes).
    Version(PeerVersion),
}

/// Classifies a peer from the first bytes it sent.
pub fn detect(peer: &[u8]) -> Detection {
    match peer.first() {
        None => return Detection::NeedBytes(1),
        Some(&b) if b != 0xFF => return Detection::Version(PeerVersion::V1),
        _ => {}
    }
    if peer.len() < SIGNATURE_SIZE {
        return Detection::NeedBytes(SIGNATURE_SIZE);
    }
    if peer[9] & 0x01 == 0 {
        // A long 1.0 length prefix: 0xFF then a u64 whose last byte is even.
        return Detection::Version(PeerVersion::V1);
    }
    let Some(&revision) = peer.get(10) else {
        return Detection::NeedBytes(11);
    };
    match revision {
        0x00 => Detection::Version(PeerVersion::V1),
        0x01 => Detection::Version(PeerVersion::V2),
        _ => match peer.get(11) {
            None => Detection::NeedBytes(12),
            Some(0) if revision == 3 => Detection::Version(PeerVersion::V3_0),
            Some(_) => Detection::Version(PeerVersion::V3_1),
        },
    }
}

/// The 10-byte signature we send first.
pub fn signature(identity_len: usize) -> [u8; SIGNATURE_SIZE] {
    let mut s = [0u8; SIGNATURE_SIZE];
    s[0] = 0xFF;
    s[1..9].copy_from_slice(&(identity_len as u64 + 1).to_be_bytes());
    s[9] = 0x7F;
    s
}

/// Our full ZMTP 3.1 greeting.
pub fn encode(identity_len: usize, mechanism: &[u8], as_server: bool) -> [u8; GREETING_SIZE] {
    let mut g = [0u8; GREETING_SIZE];
    g[..SIGNATURE_SIZE].copy_from_slice(&signature(identity_len));
    g[10] = 3;
    g[11] = 1;
    let n = mechanism.len().min(MECHANISM_SIZE);
    g[12..12 + n].copy_from_slice(&mechanism[..n]);
    g[32] = as_server as u8;
    g
}

/// The fields of a peer's ZMTP 3.x greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub version: PeerVersion,
    pub mechanism: [u8; MECHANISM_SIZE],
    pub as_server: bool,
}

impl Greeting {
    /// Parses a complete 64-byte 3.x greeting.
    pub fn parse(g: &[u8; GREETING_SIZE]) -> Result<Greeting, ProtocolError> {
        let version = match detect(g) {
            Detection::Version(v @ (PeerVersion::V3_0 | PeerVersion::V3_1)) => v,
            _ => return Err(ProtocolError::Unspecified),
        };
        let mut mechanism = [0u8; MECHANISM_SIZE];
        mechanism.copy_from_slice(&g[12..32]);
        Ok(Greeting {
            version,
            mechanism,
            as_server: g[32] != 0,
        })
    }

    /// True when the peer announced `name` (compared over all 20 bytes, as
    /// libzmq does, so trailing garbage after the NULs is a mismatch).
    pub fn mechanism_is(&self, name: &[u8]) -> bool {
        let mut want = [0u8; MECHANISM_SIZE];
        let n = name.len().min(MECHANISM_SIZE);
        want[..n].copy_from_slice(&name[..n]);
        self.mechanism == want
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_greeting_is_detected_as_3_1_with_null_mechanism() {
        let g = encode(0, b"NULL", false);
        assert_eq!(&g[..10], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]);
        assert_eq!(detect(&g), Detection::Version(PeerVersion::V3_1));
        let p = Greeting::parse(&g).unwrap();
        assert!(p.mechanism_is(b"NULL") && !p.mechanism_is(b"PLAIN") && !p.as_server);
    }

    #[test]
    fn older_peers_are_recognised_from_their_first_bytes() {
        assert_eq!(detect(&[0x05]), Detection::Version(PeerVersion::V1));
        assert_eq!(
            detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 2, 0x00]),
            Detection::Version(PeerVersion::V1)
        );
        assert_eq!(
            detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01]),
            Detection::Version(PeerVersion::V2)
        );
        assert_eq!(
            detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x03, 0x00]),
            Detection::Version(PeerVersion::V3_0)
        );
        assert_eq!(
            detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x04, 0x00]),
            Detection::Version(PeerVersion::V3_1)
        );
        assert_eq!(detect(&[0xFF, 0, 0]), Detection::NeedBytes(10));
        assert_eq!(
            detect(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x03]),
            Detection::NeedBytes(12)
        );
    }
}
