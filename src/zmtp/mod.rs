//! ZMTP, sans I/O (RFC 23 ZMTP 3.0, RFC 37 ZMTP 3.1, with detection of
//! ZMTP 1.0/2.0 peers): bytes in, frames and commands out, and the reverse.
//! No sockets, no threads, no clock: the engine drives it. Everything a peer
//! sends is untrusted; every malformed input is a [`ProtocolError`] value,
//! never a panic, and sizes are checked before anything is allocated.

pub mod command;
pub mod curve;
pub mod frame;
pub mod greeting;
pub mod mechanism;
pub mod nacl;
pub mod plain;
pub mod ws;
pub mod zap;

/// Why a connection is being dropped, with the value libzmq reports in the
/// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` monitor event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    Unspecified,
    UnexpectedCommand,
    InvalidSequence,
    KeyExchange,
    MalformedCommandUnspecified,
    MalformedCommandMessage,
    MalformedCommandHello,
    MalformedCommandInitiate,
    MalformedCommandError,
    MalformedCommandReady,
    MalformedCommandWelcome,
    InvalidMetadata,
    Cryptographic,
    MechanismMismatch,
    /// A frame larger than `ZMQ_MAXMSGSIZE` (libzmq: EMSGSIZE, no event).
    MessageTooLarge,
    /// Reserved flag bits or a command with MORE set.
    BadFrame,
    /// The ZAP handler's reply broke RFC 27 (libzmq's ZAP_* codes).
    ZapUnspecified,
    ZapMalformedReply,
    ZapBadRequestId,
    ZapBadVersion,
    ZapInvalidStatusCode,
    ZapInvalidMetadata,
    /// ws:// opening handshake refused (libzmq: ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED).
    WsUnspecified,
    /// The peer sent ERROR during the handshake, with a ZAP status code
    /// (300/400/500) as its reason or 0 for any other reason: libzmq
    /// reports HANDSHAKE_FAILED_AUTH for a code and no protocol event.
    PeerError(u16),
}

impl ProtocolError {
    /// The `ZMQ_PROTOCOL_ERROR_*` value for the monitor event, or None for
    /// the errors libzmq 4.3 drops a connection for without that event: an
    /// oversized or malformed frame, and bad or incompatible metadata in a
    /// NULL READY (its `parse_metadata` fails with EPROTO/EINVAL).
    pub fn event_value(self) -> Option<u32> {
        Some(match self {
            ProtocolError::MessageTooLarge
            | ProtocolError::BadFrame
            | ProtocolError::InvalidMetadata
            | ProtocolError::PeerError(_) => return None,
            ProtocolError::Unspecified => 0x1000_0000,
            ProtocolError::UnexpectedCommand => 0x1000_0001,
            ProtocolError::InvalidSequence => 0x1000_0002,
            ProtocolError::KeyExchange => 0x1000_0003,
            ProtocolError::MalformedCommandUnspecified => 0x1000_0011,
            ProtocolError::MalformedCommandMessage => 0x1000_0012,
            ProtocolError::MalformedCommandHello => 0x1000_0013,
            ProtocolError::MalformedCommandInitiate => 0x1000_0014,
            ProtocolError::MalformedCommandError => 0x1000_0015,
            ProtocolError::MalformedCommandReady => 0x1000_0016,
            ProtocolError::MalformedCommandWelcome => 0x1000_0017,
            ProtocolError::Cryptographic => 0x1100_0001,
            ProtocolError::MechanismMismatch => 0x1100_0002,
            ProtocolError::ZapUnspecified => 0x2000_0000,
            ProtocolError::ZapMalformedReply => 0x2000_0001,
            ProtocolError::ZapBadRequestId => 0x2000_0002,
            ProtocolError::ZapBadVersion => 0x2000_0003,
            ProtocolError::ZapInvalidStatusCode => 0x2000_0004,
            ProtocolError::ZapInvalidMetadata => 0x2000_0005,
            ProtocolError::WsUnspecified => 0x3000_0000,
        })
    }
}
