//! Security mechanisms (RFC 23 §"Authentication and Confidentiality"), sans
//! I/O. The session drives a [`Mechanism`]: it sends what `next_command`
//! gives, feeds what the peer sends to `process_command`, carries a server's
//! ZAP request (`zap_request`) to the handler and its verdict back
//! (`zap_reply`), and starts exchanging messages once `status` is `Ready`.
//! After a CURVE handshake every frame passes through the mechanism's
//! [`Codec`](super::curve::Codec), taken with `take_codec`.
//!
//! One file each: NULL here (RFC 23/37), PLAIN in `plain.rs` (RFC 24),
//! CURVE in `curve.rs` (RFC 25/26); ZAP (RFC 27) in `zap.rs`.

use super::command::{self, Command};
use super::zap::{ZapRequest, ZapStep};
use super::ProtocolError;

/// Where a handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Handshaking,
    Ready,
    /// Failed: send what `next_command` still gives (an ERROR), then close.
    Error,
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

/// The peer's properties, owned.
pub type Properties = Vec<(Vec<u8>, Vec<u8>)>;

/// One side of a security handshake.
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

    /// A server's ZAP consultation, for mechanisms that have one.
    fn zap_step(&mut self) -> Option<&mut ZapStep> {
        None
    }

    /// A ZAP request to send to the handler now (taken once).
    fn zap_request(&mut self) -> Option<ZapRequest> {
        self.zap_step()?.take_request()
    }

    /// The handler's status code for the request (200, 300, 400, 500).
    fn zap_reply(&mut self, status: u16) {
        if let Some(z) = self.zap_step() {
            z.judged(status);
        }
    }

    /// No handler is bound: whether the handshake may go on without one
    /// (`enforce` is ZMQ_ZAP_ENFORCE_DOMAIN). libzmq 4.3 lets NULL and
    /// CURVE through unless enforced (PLAIN overrides: it fails).
    fn zap_unavailable(&mut self, enforce: bool) -> bool {
        if enforce {
            return false;
        }
        if let Some(z) = self.zap_step() {
            *z = ZapStep::Passed;
        }
        true
    }

    /// The per-frame box of an encrypting mechanism, once `Ready`.
    fn take_codec(&mut self) -> Option<super::curve::Codec> {
        None
    }
}

/// Checks the peer's announced socket type against ours (RFC 37 table,
/// case-sensitive, as libzmq); a missing type is accepted, as libzmq does.
pub type TypeCheck = Box<dyn Fn(&[u8]) -> bool + Send>;

/// Parses the peer's metadata (READY or INITIATE) and checks its
/// Socket-Type: InvalidMetadata for either failure, as libzmq (no event).
pub fn accept_properties(data: &[u8], check: &TypeCheck) -> Result<Properties, ProtocolError> {
    let props = command::parse_properties(data)?;
    if let Some((_, t)) = props.iter().find(|(n, _)| *n == b"Socket-Type") {
        if !check(t) {
            return Err(ProtocolError::InvalidMetadata);
        }
    }
    Ok(props
        .into_iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect())
}

/// The peer's ERROR reason as libzmq reads it: a ZAP status code
/// ("300"/"400"/"500") gives that code, anything else 0.
pub fn peer_error(reason: &[u8]) -> ProtocolError {
    ProtocolError::PeerError(match reason {
        [d @ b'3'..=b'5', b'0', b'0'] => (d - b'0') as u16 * 100,
        _ => 0,
    })
}

/// The NULL mechanism: both sides send READY with their properties. With a
/// ZAP domain the side that has it asks the handler before its READY.
pub struct Null {
    local: LocalProperties,
    check: TypeCheck,
    ready_sent: bool,
    peer: Option<Properties>,
    zap: ZapStep,
    error_received: bool,
}

impl Null {
    pub fn new(local: LocalProperties, check: TypeCheck) -> Null {
        Null {
            local,
            check,
            ready_sent: false,
            peer: None,
            zap: ZapStep::Off,
            error_received: false,
        }
    }

    /// Consults ZAP (mechanism "NULL", no credentials) before READY.
    pub fn with_zap(mut self) -> Null {
        self.zap = ZapStep::Wanted(ZapRequest {
            mechanism: b"NULL",
            credentials: Vec::new(),
        });
        self
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
        if let Some(e) = self.zap.error_command() {
            return Some(e);
        }
        if self.ready_sent || self.zap.pending() || self.zap.refused() || self.error_received {
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
        let props = match Command::parse(body).map_err(|e| match e {
            ProtocolError::MalformedCommandError => e,
            _ => ProtocolError::MalformedCommandReady,
        })? {
            Command::Ready(p) => p,
            Command::Error(reason) => {
                self.error_received = true;
                return Err(peer_error(reason));
            }
            _ => return Err(ProtocolError::UnexpectedCommand),
        };
        self.peer = Some(accept_properties(props, &self.check)?);
        Ok(())
    }

    fn status(&self) -> Status {
        if self.zap.refused() || self.error_received {
            Status::Error
        } else if self.ready_sent && self.peer.is_some() {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn peer_properties(&self) -> &[(Vec<u8>, Vec<u8>)] {
        self.peer.as_deref().unwrap_or(&[])
    }

    fn zap_step(&mut self) -> Option<&mut ZapStep> {
        Some(&mut self.zap)
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
        assert_eq!(a.process_command(&err), Err(ProtocolError::PeerError(0)));
        let mut err = Vec::new();
        command::encode_error(b"400", &mut err);
        let mut c = Null::new(local(b"PULL", None), Box::new(pull));
        assert_eq!(c.process_command(&err), Err(ProtocolError::PeerError(400)));
        let mut ok = Null::new(local(b"PUSH", None), Box::new(|_| true));
        let ready = ok.next_command().unwrap();
        a.process_command(&ready).unwrap();
        assert_eq!(
            a.process_command(&ready),
            Err(ProtocolError::UnexpectedCommand)
        );
    }

    #[test]
    fn null_with_zap_sends_ready_only_after_the_handlers_200() {
        let mut server = Null::new(local(b"PULL", None), Box::new(pull)).with_zap();
        assert!(server.next_command().is_none());
        let req = server.zap_request().unwrap();
        assert_eq!(req.mechanism, b"NULL");
        assert!(server.next_command().is_none());
        server.zap_reply(200);
        assert!(server.next_command().is_some());

        let mut denied = Null::new(local(b"PULL", None), Box::new(pull)).with_zap();
        denied.zap_request();
        denied.zap_reply(400);
        assert_eq!(denied.status(), Status::Error);
        assert_eq!(denied.next_command().unwrap(), b"\x05ERROR\x03400");
        assert!(denied.next_command().is_none());

        let mut absent = Null::new(local(b"PULL", None), Box::new(pull)).with_zap();
        absent.zap_request();
        assert!(absent.zap_unavailable(false));
        assert!(absent.next_command().is_some());
    }
}
