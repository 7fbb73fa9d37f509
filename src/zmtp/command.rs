//! ZMTP commands (RFC 23/37): `name_len:u8 name data`, and the metadata
//! property list carried by READY/INITIATE: `(name_len:u8 name
//! value_len:u32be value)*`.

use super::ProtocolError;
use crate::metadata::Metadata;

/// A parsed command. Bodies borrow from the frame they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    Ready(&'a [u8]),
    Error(&'a [u8]),
    Hello(&'a [u8]),
    Welcome(&'a [u8]),
    Initiate(&'a [u8]),
    /// Heartbeat request: TTL in deciseconds and up to 16 context bytes.
    Ping {
        ttl_ds: u16,
        context: &'a [u8],
    },
    Pong(&'a [u8]),
    Subscribe(&'a [u8]),
    Cancel(&'a [u8]),
    Join(&'a [u8]),
    Leave(&'a [u8]),
    Message(&'a [u8]),
    /// A command this version does not know; libzmq ignores those.
    Unknown {
        name: &'a [u8],
        data: &'a [u8],
    },
}

impl<'a> Command<'a> {
    /// Parses a command frame body.
    pub fn parse(body: &'a [u8]) -> Result<Command<'a>, ProtocolError> {
        let (&len, rest) = body
            .split_first()
            .ok_or(ProtocolError::MalformedCommandUnspecified)?;
        let len = len as usize;
        if rest.len() < len {
            return Err(ProtocolError::MalformedCommandUnspecified);
        }
        let (name, data) = rest.split_at(len);
        Ok(match name {
            b"READY" => Command::Ready(data),
            b"ERROR" => {
                // reason_len:u8 reason
                let (&n, reason) = data
                    .split_first()
                    .ok_or(ProtocolError::MalformedCommandError)?;
                if reason.len() != n as usize {
                    return Err(ProtocolError::MalformedCommandError);
                }
                Command::Error(reason)
            }
            b"HELLO" => Command::Hello(data),
            b"WELCOME" => Command::Welcome(data),
            b"INITIATE" => Command::Initiate(data),
            b"PING" => {
                if data.len() < 2 {
                    return Err(ProtocolError::MalformedCommandUnspecified);
                }
                // RFC 37 allows 16 context bytes; libzmq answers a longer
                // context with its first 16, and so do we.
                Command::Ping {
                    ttl_ds: u16::from_be_bytes([data[0], data[1]]),
                    context: &data[2..data.len().min(2 + 16)],
                }
            }
            b"PONG" => Command::Pong(data),
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            b"JOIN" => Command::Join(data),
            b"LEAVE" => Command::Leave(data),
            b"MESSAGE" => Command::Message(data),
            _ => Command::Unknown { name, data },
        })
    }
}

/// Appends a command body (`name_len name data`) to `out`.
pub fn encode(name: &[u8], data: &[u8], out: &mut Vec<u8>) {
    debug_assert!(name.len() <= 255, "command names are short constants");
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(data);
}

/// Appends an ERROR command body with `reason` (cut to 255 bytes).
pub fn encode_error(reason: &[u8], out: &mut Vec<u8>) {
    let reason = &reason[..reason.len().min(255)];
    out.push(5);
    out.extend_from_slice(b"ERROR");
    out.push(reason.len() as u8);
    out.extend_from_slice(reason);
}

/// Appends one metadata property.
pub fn encode_property(name: &[u8], value: &[u8], out: &mut Vec<u8>) {
    debug_assert!(name.len() <= 255, "property names are short");
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

/// One metadata property: name and value.
pub type Property<'a> = (&'a [u8], &'a [u8]);

/// Parses a property list; a truncated entry or an empty name is
/// INVALID_METADATA, as in libzmq.
pub fn parse_properties(mut data: &[u8]) -> Result<Vec<Property<'_>>, ProtocolError> {
    let mut props = Vec::new();
    while !data.is_empty() {
        let (&n, rest) = data.split_first().ok_or(ProtocolError::InvalidMetadata)?;
        let n = n as usize;
        if n == 0 || rest.len() < n + 4 {
            return Err(ProtocolError::InvalidMetadata);
        }
        let (name, rest) = rest.split_at(n);
        let vlen = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let rest = &rest[4..];
        if rest.len() < vlen {
            return Err(ProtocolError::InvalidMetadata);
        }
        let (value, rest) = rest.split_at(vlen);
        props.push((name, value));
        data = rest;
    }
    Ok(props)
}

/// Builds connection metadata from a property list.
pub fn metadata_from_properties(data: &[u8]) -> Result<Metadata, ProtocolError> {
    let mut m = Metadata::new();
    for (name, value) in parse_properties(data)? {
        m.set(name, value);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_with_properties_round_trips() {
        let mut props = Vec::new();
        encode_property(b"Socket-Type", b"DEALER", &mut props);
        encode_property(b"Identity", b"", &mut props);
        let mut body = Vec::new();
        encode(b"READY", &props, &mut body);
        let Command::Ready(p) = Command::parse(&body).unwrap() else {
            panic!("not READY")
        };
        let parsed = parse_properties(p).unwrap();
        assert_eq!(
            parsed,
            vec![
                (&b"Socket-Type"[..], &b"DEALER"[..]),
                (&b"Identity"[..], &b""[..])
            ]
        );
    }

    #[test]
    fn truncated_inputs_are_errors_not_panics() {
        assert!(Command::parse(&[]).is_err());
        assert!(Command::parse(&[9, b'R']).is_err());
        assert_eq!(
            parse_properties(&[3, b'a']),
            Err(ProtocolError::InvalidMetadata)
        );
        assert_eq!(
            parse_properties(&[1, b'a', 0, 0, 0, 5, 1]),
            Err(ProtocolError::InvalidMetadata)
        );
        assert_eq!(
            parse_properties(&[0, 0, 0, 0, 0]),
            Err(ProtocolError::InvalidMetadata)
        );
        let mut e = Vec::new();
        encode(b"ERROR", &[10, b'x'], &mut e);
        assert_eq!(
            Command::parse(&e),
            Err(ProtocolError::MalformedCommandError)
        );
    }

    #[test]
    fn ping_carries_ttl_and_context() {
        let mut b = Vec::new();
        encode(b"PING", &[0x00, 0x64, b'c', b't', b'x'], &mut b);
        assert_eq!(
            Command::parse(&b).unwrap(),
            Command::Ping {
                ttl_ds: 100,
                context: b"ctx"
            }
        );
    }

    #[test]
    fn a_ping_context_over_16_bytes_is_cut_to_16_as_libzmq_does() {
        let mut b = Vec::new();
        let mut data = vec![0u8, 0];
        data.extend_from_slice(&[b'z'; 60]);
        encode(b"PING", &data, &mut b);
        match Command::parse(&b).unwrap() {
            Command::Ping { context, .. } => assert_eq!(context, &[b'z'; 16][..]),
            other => panic!("not a PING: {other:?}"),
        }
    }

    #[test]
    fn every_byte_string_parses_or_errs_without_panicking() {
        // A small exhaustive sweep over short inputs (131,000 of them; Miri
        // interprets the 257 shortest).
        for len in 0..if cfg!(miri) { 2 } else { 4 } {
            for v in 0..(1u32 << (8 * len.min(2))) {
                let bytes: Vec<u8> = (0..len).map(|i| (v >> (8 * (i % 2))) as u8).collect();
                let _ = Command::parse(&bytes);
                let _ = parse_properties(&bytes);
            }
        }
    }
}
