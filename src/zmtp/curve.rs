//! CURVE (RFC 25 CurveZMQ, RFC 26 ZMTP-CURVE), sans I/O: the handshake
//! (HELLO, WELCOME with the cookie, INITIATE with the vouch, READY) and the
//! per-frame MESSAGE box after it ([`Codec`]).
//!
//! The primitives are NaCl's, from libsodium (see `nacl`):
//! `crypto_box_beforenm` (X25519, then HSalsa20) gives a box key and
//! XSalsa20-Poly1305 (`crypto_secretbox`) seals with it; the cookie is a
//! plain secretbox under a key the server keeps for this connection. No
//! cryptography is written here: only the byte layouts of RFC 26.
//! A box is `tag(16) | ciphertext`, as NaCl's `crypto_box` output is once
//! its leading zero bytes are stripped (libzmq's layout).
//!
//! Every length is checked before it is used; every failure is a
//! [`ProtocolError`] with the code libzmq reports.

use super::command::{self, Command};
use super::frame;
use super::mechanism::{accept_properties, peer_error, LocalProperties, Mechanism};
use super::mechanism::{Properties, Status, TypeCheck};
use super::nacl::{self, Nonce, TAG_SIZE};
use super::zap::{ZapRequest, ZapStep};
use super::ProtocolError;

pub const KEY_SIZE: usize = nacl::KEY_SIZE;
/// "\x07MESSAGE", the short nonce, the tag and the flags byte.
pub const MESSAGE_OVERHEAD: usize = 8 + 8 + TAG_SIZE + 1;
/// Where a MESSAGE body's ciphertext (flags byte first) starts.
const MESSAGE_BOX_AT: usize = 8 + 8 + TAG_SIZE;

/// Fills `buf` from the OS's CSPRNG.
pub fn random(buf: &mut [u8]) -> Result<(), ProtocolError> {
    getrandom::getrandom(buf).map_err(|_| ProtocolError::Unspecified)
}

/// The public key of a secret key (X25519 base point multiplication).
pub fn public_key(secret: &[u8; KEY_SIZE]) -> Result<[u8; KEY_SIZE], ProtocolError> {
    nacl::public_key(secret).ok_or(ProtocolError::Cryptographic)
}

/// A new long-term or transient key pair: (public, secret).
pub fn keypair() -> Result<([u8; KEY_SIZE], [u8; KEY_SIZE]), ProtocolError> {
    let mut secret = [0u8; KEY_SIZE];
    random(&mut secret)?;
    Ok((public_key(&secret)?, secret))
}

/// A precomputed box key (`crypto_box_beforenm`) or a secretbox key.
struct BoxKey([u8; KEY_SIZE]);

fn nonce(prefix: &[u8], tail: &[u8]) -> Nonce {
    let mut n = [0u8; nacl::NONCE_SIZE];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..prefix.len() + tail.len()].copy_from_slice(tail);
    n
}

impl BoxKey {
    /// The key between `their` public and `our` secret key; None for a
    /// low-order public key (an all-zero shared secret), which libsodium
    /// refuses.
    fn new(their: &[u8; KEY_SIZE], our: &[u8; KEY_SIZE]) -> Option<BoxKey> {
        nacl::box_key(their, our).map(BoxKey)
    }

    fn secret(key: &[u8; KEY_SIZE]) -> BoxKey {
        BoxKey(*key)
    }

    /// Appends `tag | ciphertext` of `plain`.
    fn seal(&self, nonce: &Nonce, plain: &[u8], out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let at = out.len();
        out.extend_from_slice(&[0u8; TAG_SIZE]);
        out.extend_from_slice(plain);
        let tag = nacl::seal(&self.0, nonce, &mut out[at + TAG_SIZE..])
            .ok_or(ProtocolError::Cryptographic)?;
        out[at..at + TAG_SIZE].copy_from_slice(&tag);
        Ok(())
    }

    /// Opens `tag | ciphertext`.
    fn open(&self, nonce: &Nonce, boxed: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        if boxed.len() < TAG_SIZE {
            return Err(ProtocolError::Cryptographic);
        }
        let (tag, ct) = boxed.split_at(TAG_SIZE);
        let mut plain = ct.to_vec();
        let tag = tag_of(tag);
        if !nacl::open(&self.0, nonce, &mut plain, &tag) {
            return Err(ProtocolError::Cryptographic);
        }
        Ok(plain)
    }
}

fn tag_of(bytes: &[u8]) -> [u8; TAG_SIZE] {
    let mut t = [0u8; TAG_SIZE];
    t.copy_from_slice(&bytes[..TAG_SIZE]);
    t
}

fn key_at(data: &[u8], at: usize) -> [u8; KEY_SIZE] {
    let mut k = [0u8; KEY_SIZE];
    k.copy_from_slice(&data[at..at + KEY_SIZE]);
    k
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[at..at + 8]);
    u64::from_be_bytes(b)
}

/// The MESSAGE box of an established CURVE connection: every frame in
/// either direction, with strictly increasing short nonces.
pub struct Codec {
    /// The session key under our nonce prefix and under the peer's.
    send: nacl::PrefixBox,
    recv: nacl::PrefixBox,
    /// The next nonce we send.
    send_nonce: u64,
    /// The last nonce the peer sent.
    recv_nonce: u64,
}

/// MESSAGE plaintext flag bits (libzmq's internal values, not ZMTP's).
pub mod message_flags {
    pub const MORE: u8 = 1;
    pub const COMMAND: u8 = 2;
}

impl Codec {
    /// `client`: the side whose MESSAGE nonces start "CurveZMQMESSAGEC".
    fn new(key: &BoxKey, client: bool, send_nonce: u64, recv_nonce: u64) -> Option<Codec> {
        let (ours, theirs) = if client {
            (b"CurveZMQMESSAGEC", b"CurveZMQMESSAGES")
        } else {
            (b"CurveZMQMESSAGES", b"CurveZMQMESSAGEC")
        };
        Some(Codec {
            send: nacl::PrefixBox::new(&key.0, ours)?,
            recv: nacl::PrefixBox::new(&key.0, theirs)?,
            send_nonce,
            recv_nonce,
        })
    }

    /// Appends one ZMTP frame carrying a MESSAGE whose plaintext is `flags`
    /// then `parts` concatenated. Encrypts in `out` itself: nothing is
    /// allocated once `out` has its capacity.
    pub fn encode(
        &mut self,
        flags: u8,
        parts: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<(), ProtocolError> {
        let payload: usize = parts.iter().map(|p| p.len()).sum();
        let mut header = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(MESSAGE_OVERHEAD + payload, false, false, &mut header);
        let nonce_value = self.send_nonce;
        self.send_nonce = self
            .send_nonce
            .checked_add(1)
            .ok_or(ProtocolError::InvalidSequence)?;
        out.reserve(n + MESSAGE_OVERHEAD + payload);
        out.extend_from_slice(&header[..n]);
        out.extend_from_slice(b"\x07MESSAGE");
        out.extend_from_slice(&nonce_value.to_be_bytes());
        let tag_at = out.len();
        out.extend_from_slice(&[0u8; TAG_SIZE]);
        let start = out.len();
        out.push(flags);
        for p in parts {
            out.extend_from_slice(p);
        }
        let tag = self
            .send
            .seal(&nonce_value.to_be_bytes(), &mut out[start..]);
        out[tag_at..tag_at + TAG_SIZE].copy_from_slice(&tag);
        Ok(())
    }

    /// Checks and opens a MESSAGE frame body in place. Returns the
    /// plaintext flags; the payload is then `body[MESSAGE_OVERHEAD..]`.
    pub fn decode(&mut self, body: &mut [u8]) -> Result<u8, ProtocolError> {
        let (head, ct) = body.split_at_mut(MESSAGE_BOX_AT.min(body.len()));
        self.decode_split(head, ct)
    }

    /// Like [`Codec::decode`] for a payload that may not be written in
    /// place: `ct` is the body's ciphertext copied out (from the flags
    /// byte on); `head` is the body up to there.
    pub fn decode_split(&mut self, head: &[u8], ct: &mut [u8]) -> Result<u8, ProtocolError> {
        if head.len() < 8 || &head[..8] != b"\x07MESSAGE" {
            return Err(ProtocolError::UnexpectedCommand);
        }
        if head.len() < MESSAGE_BOX_AT || ct.is_empty() {
            return Err(ProtocolError::MalformedCommandMessage);
        }
        let n = u64_at(head, 8);
        if n <= self.recv_nonce {
            return Err(ProtocolError::InvalidSequence);
        }
        self.recv_nonce = n;
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&head[8..16]);
        let tag = tag_of(&head[16..MESSAGE_BOX_AT]);
        if !self.recv.open(&tail, ct, &tag) {
            return Err(ProtocolError::Cryptographic);
        }
        Ok(ct[0] & (message_flags::MORE | message_flags::COMMAND))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Ready,
    Failed,
}

/// The CURVE client: knows the server's long-term public key.
pub struct CurveClient {
    local: LocalProperties,
    check: TypeCheck,
    public: [u8; KEY_SIZE],
    secret: [u8; KEY_SIZE],
    server: [u8; KEY_SIZE],
    t_public: [u8; KEY_SIZE],
    t_secret: [u8; KEY_SIZE],
    server_transient: [u8; KEY_SIZE],
    cookie: [u8; 96],
    session: Option<BoxKey>,
    state: Client,
    nonce: u64,
    peer: Properties,
    codec: Option<Codec>,
}

impl CurveClient {
    pub fn new(
        local: LocalProperties,
        check: TypeCheck,
        public: [u8; KEY_SIZE],
        secret: [u8; KEY_SIZE],
        server: [u8; KEY_SIZE],
    ) -> Result<CurveClient, ProtocolError> {
        let (t_public, t_secret) = keypair()?;
        Ok(CurveClient {
            local,
            check,
            public,
            secret,
            server,
            t_public,
            t_secret,
            server_transient: [0; KEY_SIZE],
            cookie: [0; 96],
            session: None,
            state: Client::SendHello,
            nonce: 1,
            peer: Vec::new(),
            codec: None,
        })
    }

    fn next_nonce(&mut self) -> [u8; 8] {
        let n = self.nonce;
        self.nonce += 1;
        n.to_be_bytes()
    }

    fn hello(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let key = BoxKey::new(&self.server, &self.t_secret).ok_or(ProtocolError::Cryptographic)?;
        let n = self.next_nonce();
        let mut body = Vec::with_capacity(200);
        body.extend_from_slice(b"\x05HELLO\x01\x00");
        body.extend_from_slice(&[0u8; 72]);
        body.extend_from_slice(&self.t_public);
        body.extend_from_slice(&n);
        key.seal(&nonce(b"CurveZMQHELLO---", &n), &[0u8; 64], &mut body)?;
        Ok(body)
    }

    fn initiate(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let metadata = self.local.encode();
        self.initiate_with(&metadata)
    }

    /// INITIATE carrying `metadata` as its property list.
    fn initiate_with(&mut self, metadata: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let mut vouch_nonce = [0u8; 16];
        random(&mut vouch_nonce)?;
        let vouch_key = BoxKey::new(&self.server_transient, &self.secret)
            .ok_or(ProtocolError::Cryptographic)?;
        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(&self.t_public);
        vouch_plain[32..].copy_from_slice(&self.server);
        let mut plain = Vec::with_capacity(128 + 64);
        plain.extend_from_slice(&self.public);
        plain.extend_from_slice(&vouch_nonce);
        vouch_key.seal(&nonce(b"VOUCH---", &vouch_nonce), &vouch_plain, &mut plain)?;
        plain.extend_from_slice(metadata);
        let n = self.next_nonce();
        let session = self.session.as_ref().ok_or(ProtocolError::Unspecified)?;
        let mut body = Vec::with_capacity(9 + 96 + 8 + 16 + plain.len());
        body.extend_from_slice(b"\x08INITIATE");
        body.extend_from_slice(&self.cookie);
        body.extend_from_slice(&n);
        session.seal(&nonce(b"CurveZMQINITIATE", &n), &plain, &mut body)?;
        Ok(body)
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> &'static [u8] {
        b"CURVE"
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Vec<u8>> {
        let made = match self.state {
            Client::SendHello => self.hello().map(|b| (b, Client::ExpectWelcome)),
            Client::SendInitiate => self.initiate().map(|b| (b, Client::ExpectReady)),
            _ => return None,
        };
        match made {
            Ok((body, next)) => {
                self.state = next;
                Some(body)
            }
            Err(_) => {
                self.state = Client::Failed;
                None
            }
        }
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let r = match (self.state, Command::parse(body)?) {
            (Client::ExpectWelcome | Client::ExpectReady, Command::Error(reason)) => {
                Err(peer_error(reason))
            }
            (Client::ExpectWelcome, Command::Welcome(data)) => self.welcome(data),
            (Client::ExpectReady, Command::Ready(data)) => self.ready(data),
            _ => Err(ProtocolError::UnexpectedCommand),
        };
        if r.is_err() {
            self.state = Client::Failed;
        }
        r
    }

    fn status(&self) -> Status {
        match self.state {
            Client::Ready => Status::Ready,
            Client::Failed => Status::Error,
            _ => Status::Handshaking,
        }
    }

    fn peer_properties(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.peer
    }

    fn take_codec(&mut self) -> Option<Codec> {
        self.codec.take()
    }
}

impl CurveClient {
    /// WELCOME: nonce16 | Box[S' + cookie](S -> C').
    fn welcome(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        if data.len() != 16 + TAG_SIZE + 32 + 96 {
            return Err(ProtocolError::MalformedCommandWelcome);
        }
        let key = BoxKey::new(&self.server, &self.t_secret).ok_or(ProtocolError::Cryptographic)?;
        let plain = key.open(&nonce(b"WELCOME-", &data[..16]), &data[16..])?;
        self.server_transient = key_at(&plain, 0);
        self.cookie.copy_from_slice(&plain[32..128]);
        self.session = Some(
            BoxKey::new(&self.server_transient, &self.t_secret)
                .ok_or(ProtocolError::Cryptographic)?,
        );
        self.state = Client::SendInitiate;
        Ok(())
    }

    /// READY: nonce8 | Box[metadata](S' -> C').
    fn ready(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        if data.len() < 8 + TAG_SIZE {
            return Err(ProtocolError::MalformedCommandReady);
        }
        let session = self.session.take().ok_or(ProtocolError::Unspecified)?;
        let plain = session.open(&nonce(b"CurveZMQREADY---", &data[..8]), &data[8..])?;
        self.peer = accept_properties(&plain, &self.check)?;
        self.codec = Some(
            Codec::new(&session, true, self.nonce, u64_at(data, 0))
                .ok_or(ProtocolError::Cryptographic)?,
        );
        self.state = Client::Ready;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    ExpectHello,
    SendWelcome,
    ExpectInitiate,
    /// INITIATE taken; READY once ZAP says yes.
    SendReady,
    Ready,
    Failed,
}

/// The CURVE server: its long-term key pair; any client that proves it
/// knows the server's public key gets in (ZAP decides on the client's key).
pub struct CurveServer {
    local: LocalProperties,
    check: TypeCheck,
    public: [u8; KEY_SIZE],
    secret: [u8; KEY_SIZE],
    client_transient: [u8; KEY_SIZE],
    t_secret: [u8; KEY_SIZE],
    cookie_key: [u8; KEY_SIZE],
    session: Option<BoxKey>,
    state: Server,
    nonce: u64,
    peer_nonce: u64,
    zap: ZapStep,
    /// No ZAP at all (libzmq: ZAP_ENFORCE_DOMAIN set and no domain).
    skip_zap: bool,
    peer: Properties,
    codec: Option<Codec>,
}

impl CurveServer {
    /// Lets every client with the server's key in without asking ZAP:
    /// libzmq's rule when ZAP_ENFORCE_DOMAIN is set but no ZAP_DOMAIN is
    /// (it asks ZAP when a domain is set or enforcement is off).
    pub fn without_zap(mut self) -> CurveServer {
        self.skip_zap = true;
        self
    }

    /// The public key is derived from the secret one, as libzmq's server
    /// does (its ZMQ_CURVE_PUBLICKEY is not needed, and not trusted).
    pub fn new(local: LocalProperties, check: TypeCheck, secret: [u8; KEY_SIZE]) -> CurveServer {
        CurveServer {
            local,
            check,
            // Only if libsodium could not start: then no box opens either.
            public: public_key(&secret).unwrap_or_default(),
            secret,
            client_transient: [0; KEY_SIZE],
            t_secret: [0; KEY_SIZE],
            cookie_key: [0; KEY_SIZE],
            session: None,
            state: Server::ExpectHello,
            nonce: 1,
            peer_nonce: 0,
            zap: ZapStep::Off,
            skip_zap: false,
            peer: Vec::new(),
            codec: None,
        }
    }

    /// HELLO: version 1.0 | padding72 | C' | nonce8 | Box[64 zeros](C' -> S).
    fn hello(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        if data.len() != 2 + 72 + 32 + 8 + TAG_SIZE + 64 || data[..2] != [1, 0] {
            return Err(ProtocolError::MalformedCommandHello);
        }
        self.client_transient = key_at(data, 74);
        let key = BoxKey::new(&self.client_transient, &self.secret)
            .ok_or(ProtocolError::Cryptographic)?;
        let plain = key.open(&nonce(b"CurveZMQHELLO---", &data[106..114]), &data[114..])?;
        if plain != [0u8; 64] {
            return Err(ProtocolError::Cryptographic);
        }
        self.peer_nonce = u64_at(data, 106);
        self.state = Server::SendWelcome;
        Ok(())
    }

    fn welcome(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let (t_public, t_secret) = keypair()?;
        self.t_secret = t_secret;
        random(&mut self.cookie_key)?;
        let mut cookie_nonce = [0u8; 16];
        random(&mut cookie_nonce)?;
        let mut cookie_plain = [0u8; 64];
        cookie_plain[..32].copy_from_slice(&self.client_transient);
        cookie_plain[32..].copy_from_slice(&self.t_secret);
        let mut plain = Vec::with_capacity(128 + TAG_SIZE);
        plain.extend_from_slice(&t_public);
        plain.extend_from_slice(&cookie_nonce);
        BoxKey::secret(&self.cookie_key).seal(
            &nonce(b"COOKIE--", &cookie_nonce),
            &cookie_plain,
            &mut plain,
        )?;
        let key = BoxKey::new(&self.client_transient, &self.secret)
            .ok_or(ProtocolError::Cryptographic)?;
        let mut welcome_nonce = [0u8; 16];
        random(&mut welcome_nonce)?;
        let mut body = Vec::with_capacity(168);
        body.extend_from_slice(b"\x07WELCOME");
        body.extend_from_slice(&welcome_nonce);
        key.seal(&nonce(b"WELCOME-", &welcome_nonce), &plain, &mut body)?;
        Ok(body)
    }

    /// INITIATE: cookie96 | nonce8 | Box[C | vouch96 | metadata](C' -> S').
    fn initiate(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        if data.len() < 96 + 8 + TAG_SIZE + 32 + 96 {
            return Err(ProtocolError::MalformedCommandInitiate);
        }
        // The cookie proves this INITIATE answers our WELCOME.
        let cookie = BoxKey::secret(&self.cookie_key)
            .open(&nonce(b"COOKIE--", &data[..16]), &data[16..96])?;
        if cookie[..32] != self.client_transient || cookie[32..] != self.t_secret {
            return Err(ProtocolError::Cryptographic);
        }
        let session = BoxKey::new(&self.client_transient, &self.t_secret)
            .ok_or(ProtocolError::Cryptographic)?;
        let n = u64_at(data, 96);
        if n <= self.peer_nonce {
            return Err(ProtocolError::InvalidSequence);
        }
        let plain = session.open(&nonce(b"CurveZMQINITIATE", &data[96..104]), &data[104..])?;
        let client = key_at(&plain, 0);
        // The vouch: the client's long-term key stands behind C' for us.
        let vouch_key = BoxKey::new(&client, &self.t_secret).ok_or(ProtocolError::Cryptographic)?;
        let vouch = vouch_key.open(&nonce(b"VOUCH---", &plain[32..48]), &plain[48..128])?;
        if vouch[..32] != self.client_transient || vouch[32..] != self.public {
            return Err(ProtocolError::KeyExchange);
        }
        self.peer = accept_properties(&plain[128..], &self.check)?;
        self.peer_nonce = n;
        self.session = Some(session);
        self.zap = if self.skip_zap {
            ZapStep::Passed
        } else {
            ZapStep::Wanted(ZapRequest {
                mechanism: b"CURVE",
                credentials: vec![client.to_vec()],
            })
        };
        self.state = Server::SendReady;
        Ok(())
    }

    fn ready(&mut self) -> Result<Vec<u8>, ProtocolError> {
        let session = self.session.take().ok_or(ProtocolError::Unspecified)?;
        let n = self.nonce.to_be_bytes();
        self.nonce += 1;
        let mut body = Vec::new();
        command::encode(b"READY", &n, &mut body);
        session.seal(
            &nonce(b"CurveZMQREADY---", &n),
            &self.local.encode(),
            &mut body,
        )?;
        self.codec = Some(
            Codec::new(&session, false, self.nonce, self.peer_nonce)
                .ok_or(ProtocolError::Cryptographic)?,
        );
        Ok(body)
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> &'static [u8] {
        b"CURVE"
    }

    fn as_server(&self) -> bool {
        true
    }

    fn next_command(&mut self) -> Option<Vec<u8>> {
        if let Some(e) = self.zap.error_command() {
            return Some(e);
        }
        if self.zap.pending() || self.zap.refused() {
            return None;
        }
        let made = match self.state {
            Server::SendWelcome => self.welcome().map(|b| (b, Server::ExpectInitiate)),
            Server::SendReady => self.ready().map(|b| (b, Server::Ready)),
            _ => return None,
        };
        match made {
            Ok((body, next)) => {
                self.state = next;
                Some(body)
            }
            Err(_) => {
                self.state = Server::Failed;
                None
            }
        }
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let r = match (self.state, Command::parse(body)?) {
            (Server::ExpectHello, Command::Hello(data)) => self.hello(data),
            (Server::ExpectInitiate, Command::Initiate(data)) => self.initiate(data),
            _ => Err(ProtocolError::UnexpectedCommand),
        };
        if r.is_err() {
            self.state = Server::Failed;
        }
        r
    }

    fn status(&self) -> Status {
        if self.zap.refused() || self.state == Server::Failed {
            Status::Error
        } else if self.state == Server::Ready {
            Status::Ready
        } else {
            Status::Handshaking
        }
    }

    fn peer_properties(&self) -> &[(Vec<u8>, Vec<u8>)] {
        &self.peer
    }

    /// Without a handler any client with the server's key gets in (the
    /// "Stonehouse" pattern), unless ZMQ_ZAP_ENFORCE_DOMAIN: the default
    /// `zap_unavailable`.
    fn zap_step(&mut self) -> Option<&mut ZapStep> {
        Some(&mut self.zap)
    }

    fn take_codec(&mut self) -> Option<Codec> {
        self.codec.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(t: &'static [u8]) -> LocalProperties {
        LocalProperties {
            socket_type: t,
            identity: None,
            app: Vec::new(),
        }
    }

    fn pair(server_key_seen_by_client: Option<[u8; 32]>) -> (CurveClient, CurveServer, [u8; 32]) {
        let (sp, ss) = keypair().unwrap();
        let (cp, cs) = keypair().unwrap();
        let c = CurveClient::new(
            local(b"DEALER"),
            Box::new(|t| t == b"ROUTER"),
            cp,
            cs,
            server_key_seen_by_client.unwrap_or(sp),
        )
        .unwrap();
        let s = CurveServer::new(local(b"ROUTER"), Box::new(|t| t == b"DEALER"), ss);
        assert_eq!(s.public, sp);
        (c, s, cp)
    }

    /// Runs the handshake; the server's ZAP request gets `status`.
    fn run(c: &mut CurveClient, s: &mut CurveServer, status: u16) -> Result<(), ProtocolError> {
        for _ in 0..4 {
            while let Some(m) = c.next_command() {
                s.process_command(&m)?;
                if let Some(r) = s.zap_request() {
                    assert_eq!(r.mechanism, b"CURVE");
                    s.zap_reply(status);
                }
            }
            while let Some(m) = s.next_command() {
                c.process_command(&m)?;
            }
        }
        Ok(())
    }

    #[test]
    fn public_key_of_a_known_secret_matches_rfc_32_test_keys() {
        // The key pair in libzmq's and RFC 26's examples, Z85-decoded.
        let secret = crate::util::z85::decode(b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs").unwrap();
        let public = crate::util::z85::decode(b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID").unwrap();
        let mut s = [0u8; 32];
        s.copy_from_slice(&secret);
        assert_eq!(public_key(&s).unwrap().to_vec(), public);
    }

    #[test]
    fn a_handshake_completes_and_messages_flow_both_ways() {
        let (mut c, mut s, cp) = pair(None);
        let mut seen_key = None;
        for _ in 0..4 {
            while let Some(m) = c.next_command() {
                s.process_command(&m).unwrap();
                if let Some(r) = s.zap_request() {
                    seen_key = Some(r.credentials[0].clone());
                    s.zap_reply(200);
                }
            }
            while let Some(m) = s.next_command() {
                c.process_command(&m).unwrap();
            }
        }
        assert_eq!(seen_key.unwrap(), cp.to_vec());
        assert_eq!((c.status(), s.status()), (Status::Ready, Status::Ready));
        assert!(s
            .peer_properties()
            .iter()
            .any(|(n, v)| n == b"Socket-Type" && v == b"DEALER"));
        let (mut cc, mut sc) = (c.take_codec().unwrap(), s.take_codec().unwrap());
        for (i, text) in [&b""[..], b"hello", &[7u8; 70_000][..]].iter().enumerate() {
            let mut wire = Vec::new();
            cc.encode(message_flags::MORE, &[text], &mut wire).unwrap();
            let mut d = frame::Decoder::new(None);
            let mut got = Vec::new();
            d.decode(&wire, &mut |m: &mut crate::msg::Msg| {
                got.push(m.data().to_vec());
                true
            })
            .unwrap();
            let mut body = got.pop().unwrap();
            assert_eq!(
                sc.decode(&mut body).unwrap(),
                message_flags::MORE,
                "message {i}"
            );
            assert_eq!(&body[MESSAGE_OVERHEAD..], *text);
            // And back.
            let mut back = Vec::new();
            sc.encode(0, &[b"re:", text], &mut back).unwrap();
            let hdr = if back[0] & 2 != 0 { 9 } else { 2 };
            let mut body = back[hdr..].to_vec();
            assert_eq!(cc.decode(&mut body).unwrap(), 0);
            assert_eq!(body[MESSAGE_OVERHEAD..3 + MESSAGE_OVERHEAD], *b"re:");
        }
    }

    #[test]
    fn replayed_tampered_and_short_messages_are_refused() {
        let (mut c, mut s, _) = pair(None);
        run(&mut c, &mut s, 200).unwrap();
        let (mut cc, mut sc) = (c.take_codec().unwrap(), s.take_codec().unwrap());
        let mut wire = Vec::new();
        cc.encode(0, &[b"x"], &mut wire).unwrap();
        let body = wire[2..].to_vec();
        let mut tampered = body.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(sc.decode(&mut tampered), Err(ProtocolError::Cryptographic));
        assert_eq!(
            sc.decode(&mut body.clone()).map(|_| ()),
            Err(ProtocolError::InvalidSequence)
        );
        let mut w2 = Vec::new();
        cc.encode(0, &[b"y"], &mut w2).unwrap();
        assert!(sc.decode(&mut w2[2..].to_vec()).is_ok());
        assert_eq!(
            sc.decode(&mut body.clone()),
            Err(ProtocolError::InvalidSequence)
        );
        assert_eq!(
            sc.decode(&mut b"\x07MESSAGE\0".to_vec()),
            Err(ProtocolError::MalformedCommandMessage)
        );
        assert_eq!(
            sc.decode(&mut b"\x05HELLO".to_vec()),
            Err(ProtocolError::UnexpectedCommand)
        );
    }

    #[test]
    fn a_wrong_server_key_fails_at_hello_with_a_cryptographic_error() {
        let (other, _) = keypair().unwrap();
        let (mut c, mut s, _) = pair(Some(other));
        assert_eq!(run(&mut c, &mut s, 200), Err(ProtocolError::Cryptographic));
        assert_eq!(s.status(), Status::Error);
    }

    #[test]
    fn zap_denial_sends_the_code_and_300_sends_nothing() {
        let (mut c, mut s, _) = pair(None);
        assert_eq!(run(&mut c, &mut s, 500), Err(ProtocolError::PeerError(500)));
        let (mut c, mut s, _) = pair(None);
        run(&mut c, &mut s, 300).unwrap();
        assert_eq!(
            (c.status(), s.status()),
            (Status::Handshaking, Status::Error)
        );
    }

    #[test]
    fn malformed_hellos_and_initiates_and_a_replayed_cookie_are_refused() {
        let (mut c, mut s, _) = pair(None);
        let hello = c.next_command().unwrap();
        assert_eq!(hello.len(), 200);
        for bad in [&hello[..199], &hello[..100]] {
            let (_, mut s2, _) = pair(None);
            assert_eq!(
                s2.process_command(bad),
                Err(ProtocolError::MalformedCommandHello)
            );
        }
        let mut wrong_version = hello.clone();
        wrong_version[6] = 2;
        let (_, mut s3, _) = pair(None);
        assert_eq!(
            s3.process_command(&wrong_version),
            Err(ProtocolError::MalformedCommandHello)
        );
        // A HELLO boxed for another server.
        let mut bad_box = hello.clone();
        bad_box[150] ^= 0xFF;
        let (_, mut s4, _) = pair(None);
        assert_eq!(
            s4.process_command(&bad_box),
            Err(ProtocolError::Cryptographic)
        );

        s.process_command(&hello).unwrap();
        let welcome = s.next_command().unwrap();
        assert_eq!(welcome.len(), 168);
        c.process_command(&welcome).unwrap();
        let initiate = c.next_command().unwrap();
        assert!(initiate.len() >= 257);
        assert_eq!(
            s.clone_for_test().process_command(&initiate[..200]),
            Err(ProtocolError::MalformedCommandInitiate)
        );
        // A cookie from another connection's WELCOME does not open here.
        let (mut c2, mut s5, _) = pair(None);
        s5.process_command(&c2.next_command().unwrap()).unwrap();
        c2.process_command(&s5.next_command().unwrap()).unwrap();
        assert_eq!(
            s.clone_for_test()
                .process_command(&c2.next_command().unwrap()),
            Err(ProtocolError::Cryptographic)
        );
        s.process_command(&initiate).unwrap();
        // A second INITIATE is out of order.
        assert_eq!(
            s.process_command(&initiate),
            Err(ProtocolError::UnexpectedCommand)
        );
    }

    impl CurveServer {
        /// A copy of the handshake state, to try several inputs on.
        fn clone_for_test(&self) -> CurveServer {
            CurveServer {
                local: self.local.clone(),
                check: Box::new(|_| true),
                public: self.public,
                secret: self.secret,
                client_transient: self.client_transient,
                t_secret: self.t_secret,
                cookie_key: self.cookie_key,
                session: None,
                state: self.state,
                nonce: self.nonce,
                peer_nonce: self.peer_nonce,
                zap: self.zap.clone(),
                skip_zap: self.skip_zap,
                peer: Vec::new(),
                codec: None,
            }
        }
    }

    #[test]
    fn a_low_order_key_is_refused() {
        let (_, ss) = keypair().unwrap();
        assert!(BoxKey::new(&[0u8; 32], &ss).is_none());
        let (mut c, _, _) = pair(Some([0u8; 32]));
        assert!(c.next_command().is_none());
        assert_eq!(c.status(), Status::Error);
    }

    #[test]
    fn initiate_metadata_whose_lengths_lie_is_refused_without_overflow() {
        // CVE-2019-13132's shape: a property value length far beyond the
        // box, inside an INITIATE that authenticates correctly.
        for lie in [
            &b"\x0bSocket-Type\xff\xff\xff\xffDEALER"[..],
            b"\x0bSocket-Type\x00\x00\x00\x07DEALER",
            b"\xffSocket",
            b"\x00\x00\x00\x00\x00",
        ] {
            let (mut c, mut s, _) = pair(None);
            s.process_command(&c.next_command().unwrap()).unwrap();
            c.process_command(&s.next_command().unwrap()).unwrap();
            let initiate = c.initiate_with(lie).unwrap();
            assert_eq!(
                s.process_command(&initiate),
                Err(ProtocolError::InvalidMetadata)
            );
            assert_eq!(s.status(), Status::Error);
        }
        // A 64 KiB property list is fine when it is honest.
        let (mut c, mut s, _) = pair(None);
        s.process_command(&c.next_command().unwrap()).unwrap();
        c.process_command(&s.next_command().unwrap()).unwrap();
        let mut big = Vec::new();
        command::encode_property(b"X-Big", &vec![7u8; 65536], &mut big);
        s.process_command(&c.initiate_with(&big).unwrap()).unwrap();
    }
}
