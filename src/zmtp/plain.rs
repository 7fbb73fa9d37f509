//! PLAIN (RFC 24), sans I/O: a user name and password in clear, for
//! trusted networks. The client sends HELLO(user, password), waits for
//! WELCOME, sends INITIATE(metadata) and waits for READY(metadata). The
//! server asks ZAP about HELLO (a handler is required, as in libzmq 4.3),
//! then answers WELCOME or ERROR, and READY to the INITIATE.

use super::command::{self, Command};
use super::mechanism::{accept_properties, peer_error, LocalProperties, Mechanism};
use super::mechanism::{Properties, Status, TypeCheck};
use super::zap::{ZapRequest, ZapStep};
use super::ProtocolError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    SendHello,
    ExpectWelcome,
    SendInitiate,
    ExpectReady,
    Ready,
    Failed,
}

pub struct PlainClient {
    local: LocalProperties,
    check: TypeCheck,
    username: Vec<u8>,
    password: Vec<u8>,
    state: Client,
    peer: Properties,
}

impl PlainClient {
    /// User name and password are at most 255 bytes each (the options
    /// enforce it; longer ones are cut here rather than mis-encoded).
    pub fn new(
        local: LocalProperties,
        check: TypeCheck,
        username: &[u8],
        password: &[u8],
    ) -> PlainClient {
        PlainClient {
            local,
            check,
            username: username[..username.len().min(255)].to_vec(),
            password: password[..password.len().min(255)].to_vec(),
            state: Client::SendHello,
            peer: Vec::new(),
        }
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> &'static [u8] {
        b"PLAIN"
    }

    fn as_server(&self) -> bool {
        false
    }

    fn next_command(&mut self) -> Option<Vec<u8>> {
        let mut body = Vec::new();
        match self.state {
            Client::SendHello => {
                let mut data = vec![self.username.len() as u8];
                data.extend_from_slice(&self.username);
                data.push(self.password.len() as u8);
                data.extend_from_slice(&self.password);
                command::encode(b"HELLO", &data, &mut body);
                self.state = Client::ExpectWelcome;
            }
            Client::SendInitiate => {
                command::encode(b"INITIATE", &self.local.encode(), &mut body);
                self.state = Client::ExpectReady;
            }
            _ => return None,
        }
        Some(body)
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let cmd = Command::parse(body)?;
        match (self.state, cmd) {
            (Client::ExpectWelcome | Client::ExpectReady, Command::Error(reason)) => {
                self.state = Client::Failed;
                Err(peer_error(reason))
            }
            (Client::ExpectWelcome, Command::Welcome(data)) => {
                if !data.is_empty() {
                    return Err(ProtocolError::MalformedCommandWelcome);
                }
                self.state = Client::SendInitiate;
                Ok(())
            }
            (Client::ExpectReady, Command::Ready(data)) => {
                self.peer = accept_properties(data, &self.check)?;
                self.state = Client::Ready;
                Ok(())
            }
            _ => Err(ProtocolError::UnexpectedCommand),
        }
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    ExpectHello,
    /// HELLO taken; WELCOME once ZAP says yes.
    SendWelcome,
    ExpectInitiate,
    SendReady,
    Ready,
}

pub struct PlainServer {
    local: LocalProperties,
    check: TypeCheck,
    state: Server,
    zap: ZapStep,
    peer: Properties,
}

impl PlainServer {
    pub fn new(local: LocalProperties, check: TypeCheck) -> PlainServer {
        PlainServer {
            local,
            check,
            state: Server::ExpectHello,
            zap: ZapStep::Off,
            peer: Vec::new(),
        }
    }
}

/// `len:u8 bytes` at the front of `data`: the bytes and the rest.
fn short_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&n, rest) = data.split_first()?;
    (rest.len() >= n as usize).then(|| rest.split_at(n as usize))
}

impl Mechanism for PlainServer {
    fn name(&self) -> &'static [u8] {
        b"PLAIN"
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
        let mut body = Vec::new();
        match self.state {
            Server::SendWelcome => {
                command::encode(b"WELCOME", &[], &mut body);
                self.state = Server::ExpectInitiate;
            }
            Server::SendReady => {
                command::encode(b"READY", &self.local.encode(), &mut body);
                self.state = Server::Ready;
            }
            _ => return None,
        }
        Some(body)
    }

    fn process_command(&mut self, body: &[u8]) -> Result<(), ProtocolError> {
        let cmd = Command::parse(body)?;
        match (self.state, cmd) {
            (Server::ExpectHello, Command::Hello(data)) => {
                let malformed = ProtocolError::MalformedCommandHello;
                let (user, rest) = short_string(data).ok_or(malformed)?;
                let (password, rest) = short_string(rest).ok_or(malformed)?;
                if !rest.is_empty() {
                    return Err(malformed);
                }
                self.zap = ZapStep::Wanted(ZapRequest {
                    mechanism: b"PLAIN",
                    credentials: vec![user.to_vec(), password.to_vec()],
                });
                self.state = Server::SendWelcome;
                Ok(())
            }
            (Server::ExpectInitiate, Command::Initiate(data)) => {
                self.peer = accept_properties(data, &self.check)?;
                self.state = Server::SendReady;
                Ok(())
            }
            _ => Err(ProtocolError::UnexpectedCommand),
        }
    }

    fn status(&self) -> Status {
        if self.zap.refused() {
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

    fn zap_step(&mut self) -> Option<&mut ZapStep> {
        Some(&mut self.zap)
    }

    /// libzmq 4.3's PLAIN server cannot do without a handler.
    fn zap_unavailable(&mut self, _enforce: bool) -> bool {
        false
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

    fn pair() -> (PlainClient, PlainServer) {
        (
            PlainClient::new(
                local(b"DEALER"),
                Box::new(|t| t == b"ROUTER"),
                b"admin",
                b"secret",
            ),
            PlainServer::new(local(b"ROUTER"), Box::new(|t| t == b"DEALER")),
        )
    }

    /// Runs the exchange; the server's ZAP gets `status`.
    fn run(c: &mut PlainClient, s: &mut PlainServer, status: u16) -> Result<(), ProtocolError> {
        for _ in 0..6 {
            while let Some(m) = c.next_command() {
                s.process_command(&m)?;
                if let Some(req) = s.zap_request() {
                    assert_eq!(req.credentials, vec![b"admin".to_vec(), b"secret".to_vec()]);
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
    fn client_and_server_complete_with_zap_200() {
        let (mut c, mut s) = pair();
        run(&mut c, &mut s, 200).unwrap();
        assert_eq!((c.status(), s.status()), (Status::Ready, Status::Ready));
        assert!(s
            .peer_properties()
            .iter()
            .any(|(n, v)| n == b"Socket-Type" && v == b"DEALER"));
        assert!(c
            .peer_properties()
            .iter()
            .any(|(n, v)| n == b"Socket-Type" && v == b"ROUTER"));
    }

    #[test]
    fn a_denial_reaches_the_client_as_an_error_with_the_code() {
        let (mut c, mut s) = pair();
        assert_eq!(run(&mut c, &mut s, 400), Err(ProtocolError::PeerError(400)));
        assert_eq!((c.status(), s.status()), (Status::Error, Status::Error));
        let (mut c, mut s) = pair();
        // 300: the server closes without an ERROR.
        run(&mut c, &mut s, 300).unwrap();
        assert_eq!(s.status(), Status::Error);
        assert_eq!(c.status(), Status::Handshaking);
    }

    #[test]
    fn malformed_and_unexpected_commands_are_refused() {
        let (_, mut s) = pair();
        for bad in [
            &b"\x05HELLO"[..],
            b"\x05HELLO\x05adm",
            b"\x05HELLO\x01a\x01bX",
            b"\x05HELLO\x01a",
        ] {
            let mut s2 = PlainServer::new(local(b"ROUTER"), Box::new(|_| true));
            assert_eq!(
                s2.process_command(bad),
                Err(ProtocolError::MalformedCommandHello)
            );
        }
        assert_eq!(
            s.process_command(b"\x05READY"),
            Err(ProtocolError::UnexpectedCommand)
        );
        let (mut c, _) = pair();
        c.next_command();
        assert_eq!(
            c.process_command(b"\x07WELCOMEx"),
            Err(ProtocolError::MalformedCommandWelcome)
        );
        assert!(!s.zap_unavailable(false));
    }
}
