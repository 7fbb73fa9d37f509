//! Security mechanisms (RFC 23 §"Authentication and Confidentiality"), sans
//! I/O. The session drives a [`Mechanism`]: it sends what `next_command`
//! gives, feeds what the peer sends to `process_command`, and starts
//! exchanging messages once `status` is `Ready`. After the handshake every
//! message passes through `encode`/`decode`, where CURVE will box and unbox
//! frames; NULL and PLAIN pass them through.
//!
//! Implemented: NULL (RFC 23/37). PLAIN (RFC 24), CURVE (RFC 25/26) and the
//! ZAP client (RFC 27) plug in here.

use super::command::{self, Command};
use super::ProtocolError;
use crate::msg::Msg;

/// Where a handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    Ready,
}

/// What the local side brings to a handshake.
#[derive(Debug, Clone)]
pub struct LocalProperties {
    /// The socket type's ZMTP name ("DEALER"...).
    pub socket_type: &'static [u8],
    /// Sent as "Identity" (REQ, DEALER and ROUTER announce one, as libzmq).
    pub identity: Option<Vec<u8>>,
    /// Application properties (`ZMQ_METADATA`, "X-..." names).
    pub app: Vec<(Vec<u8>, Vec<u8>)>,
}

impl LocalProperties {
    /// The metadata property list sent in READY (or INITIATE).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        command::encode_property(b"Socket-Type", self.socket_type, &mut out);
        if let Some(id) = &self.identity {
            command::encode_property(b"Identity", id, &mut out);
        }
        for (n, v) in &self.app {
            command::encode_property(n, v, &mut out);
        }
        out
    }
}

/// One side of a security handshake, and the per-frame transform after it.
pub trait Mechanism: Send {
    /// The name in the greeting, compared byte for byte with the peer's.
    fn name(&self) -> &'static [u8];

    /// The as-server flag in the greeting.
    fn as_server(&self) -> bool;

    /// The next handshake command to send (a command frame body), if any.
    fn next_command(&mut self) -> Option<Vec<u8>>;

    /// A command frame body received during the handshake.
    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError>;

    fn status(&self) -> Status;

    /// The properties the peer announced; valid once `Ready`.
    fn peer_properties(&self) -> &[(Vec<u8>, Vec<u8>)];

    /// An outgoing message after the handshake (CURVE encrypts here).
    fn encode(&mut self, msg: Msg) -> Result<Msg, ProtocolError> {
        Ok(msg)
    }

    /// An incoming message after the handshake (CURVE decrypts here).
    fn decode(&mut self, msg: Msg) -> Result<Msg, ProtocolError> {
        Ok(msg)
    }
}

/// Checks the peer's announced socket type against ours (RFC 37 table,
/// case-sensitive, as libzmq); a missing type is accepted, as libzmq does.
pub type TypeCheck = Box<dyn Fn(&[u8]) -> bool + Send>;

/// The NULL mechanism: both sides send READY with their properties.
pub struct Null {
    local: LocalProperties,
    check: TypeCheck,
    ready_sent: bool,
    peer: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Null {
    pub fn new(local: LocalProperties, check: TypeCheck) -> Null {
        Null {
            local,
            check,
            ready_sent: false,
            peer: None,
        }
    }
}

impl Mechanism for Null {
    fn name(&self) -> &'static [u8] {
        b"NULL"
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Vec<u8>> {
        if self.ready_sent {
            return None;
        }
        self.ready_sent = true;
        let mut body = Vec::new();
        command::encode(b"READY", &self.local.encode(), &mut body);
        Some(body)
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        if self.peer.is_some() {
            return Err(ProtocolError::UnexpectedCommand);
        }
        let props = match Command::parse(body).map_err(|_| ProtocolError::MalformedCommandReady)? {
            Command::Ready(p) => p,
            Command::Error(_) => return Err(ProtocolError::Unspecified),
            _ => return Err(ProtocolError::UnexpectedCommand),
        };
        let props = command::parse_properties(props)?;
        if let Some((_, t)) = props.iter().find(|(n, _)| *n == b"Socket-Type") {
            if !(self.check)(t) {
                return Err(ProtocolError::InvalidMetadata);
            }
        }
        self.peer = Some(
            props
                .into_iter()
                .map(|(n, v)| (n.to_vec(), v.to_vec()))
                .collect(),
        );
        Ok(())
    }

    fn status(&self) -> Status {
        if self.ready_sent && self.peer.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn peer_properties(&self) -> &[(Vec<u8>, Vec<u8>)] {
        self.peer.as_deref().unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull(t: &[u8]) -> bool {
        t == b"PUSH"
    }

    fn local(t: &'static [u8], id: Option<&[u8]>) -> LocalProperties {
        LocalProperties {
            socket_type: t,
            identity: id.map(<[u8]>::to_vec),
            app: Vec::new(),
        }
    }

    #[test]
    fn two_null_sides_become_ready_after_exchanging_ready() {
        let mut a = Null::new(local(b"PULL", None), Box::new(pull));
        let mut b = Null::new(local(b"PUSH", Some(b"me")), Box::new(|t| t == b"PULL"));
        let from_a = a.next_command().unwrap();
        let from_b = b.next_command().unwrap();
        assert!(a.next_command().is_none());
        a.process_command(&from_b).unwrap();
        b.process_command(&from_a).unwrap();
        assert_eq!((a.status(), b.status()), (Status::Ready, Status::Ready));
        assert!(a
            .peer_properties()
            .iter()
            .any(|(n, v)| n == b"Identity" && v == b"me"));
    }

    #[test]
    fn incompatible_type_error_and_second_ready_are_refused() {
        let mut a = Null::new(local(b"PULL", None), Box::new(pull));
        let mut wrong = Null::new(local(b"PULL", None), Box::new(pull));
        assert_eq!(
            a.process_command(&wrong.next_command().unwrap()),
            Err(ProtocolError::InvalidMetadata)
        );
        let mut err = Vec::new();
        command::encode_error(b"nope", &mut err);
        assert!(a.process_command(&err).is_err());
        let mut ok = Null::new(local(b"PUSH", None), Box::new(|_| true));
        let ready = ok.next_command().unwrap();
        a.process_command(&ready).unwrap();
        assert_eq!(
            a.process_command(&ready),
            Err(ProtocolError::UnexpectedCommand)
        );
    }
}
