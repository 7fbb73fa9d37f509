//! ZAP, the ZeroMQ Authentication Protocol (RFC 27), sans I/O: the request a
//! server-side mechanism asks its handler (`inproc://zeromq.zap.01`), and the
//! checks on the reply, with the protocol-error codes libzmq reports. The
//! session carries the frames over a pipe to the handler's socket.

use super::command;
use super::ProtocolError;

/// What a mechanism wants the handler to judge: its name and the client's
/// credentials (none for NULL; user name and password for PLAIN; the
/// client's long-term public key for CURVE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    pub mechanism: &'static [u8],
    pub credentials: Vec<Vec<u8>>,
}

/// The request id we send; the reply must echo it.
const REQUEST_ID: &[u8] = b"1";
const VERSION: &[u8] = b"1.0";
/// A reply has exactly these many frames.
pub const REPLY_FRAMES: usize = 7;

impl ZapRequest {
    /// The request's frames, the empty delimiter first (the handler is a REP
    /// or ROUTER socket): version, request id, domain, the peer's address,
    /// its routing id, the mechanism, then the credentials.
    pub fn frames(&self, domain: &[u8], address: &[u8], identity: &[u8]) -> Vec<Vec<u8>> {
        let mut f = vec![
            Vec::new(),
            VERSION.to_vec(),
            REQUEST_ID.to_vec(),
            domain.to_vec(),
            address.to_vec(),
            identity.to_vec(),
            self.mechanism.to_vec(),
        ];
        f.extend(self.credentials.iter().cloned());
        f
    }
}

/// An accepted ZAP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapReply {
    /// 200, 300, 400 or 500.
    pub status: u16,
    /// Becomes the connection's `User-Id` property.
    pub user_id: Vec<u8>,
    /// The handler's metadata, added to the connection's properties.
    pub metadata: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Checks a reply as libzmq does. `frames` are (body, more flag) in order;
/// the first frame that breaks a rule decides the error.
pub fn parse_reply(frames: &[(Vec<u8>, bool)]) -> Result<ZapReply, ProtocolError> {
    if frames.len() != REPLY_FRAMES
        || frames
            .iter()
            .enumerate()
            .any(|(i, (_, more))| *more != (i + 1 < REPLY_FRAMES))
    {
        return Err(ProtocolError::ZapMalformedReply);
    }
    if !frames[0].0.is_empty() {
        return Err(ProtocolError::ZapUnspecified);
    }
    if frames[1].0 != VERSION {
        return Err(ProtocolError::ZapBadVersion);
    }
    if frames[2].0 != REQUEST_ID {
        return Err(ProtocolError::ZapBadRequestId);
    }
    let status = match frames[3].0.as_slice() {
        [d @ b'2'..=b'5', b'0', b'0'] => (d - b'0') as u16 * 100,
        _ => return Err(ProtocolError::ZapInvalidStatusCode),
    };
    let metadata = command::parse_properties(&frames[6].0)
        .map_err(|_| ProtocolError::ZapInvalidMetadata)?
        .into_iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect();
    Ok(ZapReply {
        status,
        user_id: frames[5].0.clone(),
        metadata,
    })
}

/// Where a server's ZAP consultation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZapStep {
    /// No ZAP for this handshake (a NULL socket without a domain).
    Off,
    /// A request is ready for the session to send.
    Wanted(ZapRequest),
    /// Sent; waiting for the reply.
    Waiting,
    /// The handler said 200, or no handler was needed.
    Passed,
    /// Refused: 300 ends the connection silently, 400/500 with an ERROR
    /// carrying the status code (`error_to_send`, taken once).
    Refused { error_to_send: Option<u16> },
}

impl ZapStep {
    /// The request, once, for the session to send.
    pub fn take_request(&mut self) -> Option<ZapRequest> {
        match std::mem::replace(self, ZapStep::Waiting) {
            ZapStep::Wanted(r) => Some(r),
            other => {
                *self = other;
                None
            }
        }
    }

    /// The handler's verdict.
    pub fn judged(&mut self, status: u16) {
        *self = match status {
            200 => ZapStep::Passed,
            300 => ZapStep::Refused {
                error_to_send: None,
            },
            s => ZapStep::Refused {
                error_to_send: Some(s),
            },
        };
    }

    /// Blocks the handshake: a request not yet answered.
    pub fn pending(&self) -> bool {
        matches!(self, ZapStep::Wanted(_) | ZapStep::Waiting)
    }

    pub fn refused(&self) -> bool {
        matches!(self, ZapStep::Refused { .. })
    }

    /// The ERROR command to send for a refusal, once.
    pub fn error_command(&mut self) -> Option<Vec<u8>> {
        if let ZapStep::Refused { error_to_send } = self {
            if let Some(code) = error_to_send.take() {
                let mut body = Vec::new();
                command::encode_error(code.to_string().as_bytes(), &mut body);
                return Some(body);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(parts: &[&[u8]]) -> Vec<(Vec<u8>, bool)> {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_vec(), i + 1 < parts.len()))
            .collect()
    }

    #[test]
    fn request_frames_follow_rfc27() {
        let r = ZapRequest {
            mechanism: b"PLAIN",
            credentials: vec![b"admin".to_vec(), b"secret".to_vec()],
        };
        let f = r.frames(b"global", b"127.0.0.1", b"id");
        let want: Vec<&[u8]> = vec![
            b"",
            b"1.0",
            b"1",
            b"global",
            b"127.0.0.1",
            b"id",
            b"PLAIN",
            b"admin",
            b"secret",
        ];
        assert_eq!(f, want.iter().map(|p| p.to_vec()).collect::<Vec<_>>());
    }

    #[test]
    fn a_good_reply_gives_status_user_and_metadata() {
        let mut meta = Vec::new();
        command::encode_property(b"Hello", b"World", &mut meta);
        let r = parse_reply(&reply(&[
            b"",
            b"1.0",
            b"1",
            b"200",
            b"OK",
            b"anonymous",
            &meta,
        ]))
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.user_id, b"anonymous");
        assert_eq!(r.metadata, vec![(b"Hello".to_vec(), b"World".to_vec())]);
    }

    #[test]
    fn bad_replies_give_libzmqs_error_codes() {
        let ok: [&[u8]; 7] = [b"", b"1.0", b"1", b"200", b"", b"", b""];
        let with = |i: usize, v: &'static [u8]| {
            let mut p = ok;
            p[i] = v;
            reply(&p)
        };
        assert_eq!(
            parse_reply(&reply(&ok[..6])),
            Err(ProtocolError::ZapMalformedReply)
        );
        let mut last_more = reply(&ok);
        last_more[6].1 = true;
        assert_eq!(
            parse_reply(&last_more),
            Err(ProtocolError::ZapMalformedReply)
        );
        assert_eq!(
            parse_reply(&with(0, b"x")),
            Err(ProtocolError::ZapUnspecified)
        );
        assert_eq!(
            parse_reply(&with(1, b"2.0")),
            Err(ProtocolError::ZapBadVersion)
        );
        assert_eq!(
            parse_reply(&with(2, b"2")),
            Err(ProtocolError::ZapBadRequestId)
        );
        for bad in [&b"201"[..], b"600", b"20", b"abc"] {
            let mut p = ok;
            p[3] = bad;
            assert_eq!(
                parse_reply(&reply(&p)),
                Err(ProtocolError::ZapInvalidStatusCode)
            );
        }
        assert_eq!(
            parse_reply(&with(6, b"\x05Hel")),
            Err(ProtocolError::ZapInvalidMetadata)
        );
    }

    #[test]
    fn verdicts_set_the_step() {
        let mut s = ZapStep::Wanted(ZapRequest {
            mechanism: b"NULL",
            credentials: vec![],
        });
        assert!(s.take_request().is_some() && s.take_request().is_none() && s.pending());
        s.judged(300);
        assert!(s.refused() && s.error_command().is_none());
        s.judged(400);
        assert_eq!(s.error_command().unwrap(), b"\x05ERROR\x03400");
        assert!(s.error_command().is_none());
        s.judged(200);
        assert_eq!(s, ZapStep::Passed);
    }
}
