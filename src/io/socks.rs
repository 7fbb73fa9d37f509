//! The SOCKS5 client handshake (RFC 1928, username/password RFC 1929) of a
//! tcp connect through `ZMQ_SOCKS_PROXY`, sans I/O: the session sends what
//! `greeting` and `feed` return and reads exactly `wants()` bytes at a time,
//! so nothing of the ZMTP greeting that follows the proxy's last reply is
//! read here. Every malformed or refusing reply is an error (the session
//! drops the connection and retries, as libzmq does).

/// Where the proxy is to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocksRequest {
    /// Host name or IP literal, as in the endpoint (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// ZMQ_SOCKS_USERNAME / ZMQ_SOCKS_PASSWORD; an empty user means no
    /// authentication.
    pub username: Vec<u8>,
    pub password: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for [version, method].
    Method,
    /// Waiting for [1, status] after our credentials.
    Auth,
    /// Waiting for the 4-byte head of the CONNECT reply.
    ReplyHead,
    /// Waiting for the rest of the reply (bound address and port).
    ReplyTail,
    Done,
}

/// What the session does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes, then read `wants()` more.
    Send(Vec<u8>),
    /// Read `wants()` more.
    Read,
    /// The proxy connected us: the ZMTP handshake starts.
    Done,
}

/// The proxy refused, or answered what SOCKS5 does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

#[derive(Debug)]
pub struct Socks5 {
    req: SocksRequest,
    state: State,
    wants: usize,
}

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const USER_PASS: u8 = 2;

impl Socks5 {
    pub fn new(req: SocksRequest) -> Socks5 {
        Socks5 {
            req,
            state: State::Method,
            wants: 2,
        }
    }

    /// Bytes the next `feed` needs.
    pub fn wants(&self) -> usize {
        self.wants
    }

    /// The client greeting: the one method we can use.
    pub fn greeting(&self) -> Vec<u8> {
        let method = if self.req.username.is_empty() {
            NO_AUTH
        } else {
            USER_PASS
        };
        vec![VERSION, 1, method]
    }

    /// Takes exactly `wants()` bytes.
    pub fn feed(&mut self, input: &[u8]) -> Result<Step, Refused> {
        if input.len() != self.wants {
            return Err(Refused);
        }
        match self.state {
            State::Method => {
                let expected = if self.req.username.is_empty() {
                    NO_AUTH
                } else {
                    USER_PASS
                };
                if input[0] != VERSION || input[1] != expected {
                    return Err(Refused);
                }
                if expected == USER_PASS {
                    let (u, p) = (&self.req.username, &self.req.password);
                    if u.len() > 255 || p.len() > 255 {
                        return Err(Refused);
                    }
                    let mut out = vec![1, u.len() as u8];
                    out.extend_from_slice(u);
                    out.push(p.len() as u8);
                    out.extend_from_slice(p);
                    self.state = State::Auth;
                    self.wants = 2;
                    return Ok(Step::Send(out));
                }
                Ok(Step::Send(self.connect_request()?))
            }
            State::Auth => {
                if input[0] != 1 || input[1] != 0 {
                    return Err(Refused);
                }
                Ok(Step::Send(self.connect_request()?))
            }
            State::ReplyHead => {
                if input[0] != VERSION || input[1] != 0 {
                    return Err(Refused);
                }
                (self.wants, self.state) = match input[3] {
                    1 => (4 + 2, State::Done),
                    4 => (16 + 2, State::Done),
                    // A domain name: its length byte first.
                    3 => (1, State::ReplyTail),
                    _ => return Err(Refused),
                };
                Ok(Step::Read)
            }
            State::ReplyTail => {
                // The domain's length byte: the name and the port follow.
                self.wants = input[0] as usize + 2;
                self.state = State::Done;
                Ok(Step::Read)
            }
            State::Done => {
                self.wants = 0;
                Ok(Step::Done)
            }
        }
    }

    fn connect_request(&mut self) -> Result<Vec<u8>, Refused> {
        let mut out = vec![VERSION, 1, 0];
        match self.req.host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(a)) => {
                out.push(1);
                out.extend_from_slice(&a.octets());
            }
            Ok(std::net::IpAddr::V6(a)) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            Err(_) => {
                let name = self.req.host.as_bytes();
                if name.is_empty() || name.len() > 255 {
                    return Err(Refused);
                }
                out.push(3);
                out.push(name.len() as u8);
                out.extend_from_slice(name);
            }
        }
        out.extend_from_slice(&self.req.port.to_be_bytes());
        self.state = State::ReplyHead;
        self.wants = 4;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(user: &[u8]) -> SocksRequest {
        SocksRequest {
            host: "example.org".into(),
            port: 5555,
            username: user.to_vec(),
            password: b"pw".to_vec(),
        }
    }

    #[test]
    fn no_auth_handshake_with_a_domain_name() {
        let mut s = Socks5::new(req(b""));
        assert_eq!(s.greeting(), vec![5, 1, 0]);
        let Step::Send(connect) = s.feed(&[5, 0]).unwrap() else {
            panic!("no CONNECT")
        };
        assert_eq!(&connect[..5], &[5, 1, 0, 3, 11]);
        assert_eq!(&connect[5..16], b"example.org");
        assert_eq!(&connect[16..], &5555u16.to_be_bytes());
        assert_eq!(s.feed(&[5, 0, 0, 1]).unwrap(), Step::Read);
        assert_eq!(s.wants(), 6);
        assert_eq!(s.feed(&[127, 0, 0, 1, 0, 80]).unwrap(), Step::Done);
    }

    #[test]
    fn user_pass_handshake_and_a_domain_in_the_reply() {
        let mut s = Socks5::new(req(b"me"));
        assert_eq!(s.greeting(), vec![5, 1, 2]);
        assert_eq!(
            s.feed(&[5, 2]).unwrap(),
            Step::Send(vec![1, 2, b'm', b'e', 2, b'p', b'w'])
        );
        assert!(matches!(s.feed(&[1, 0]).unwrap(), Step::Send(_)));
        assert_eq!(s.feed(&[5, 0, 0, 3]).unwrap(), Step::Read);
        assert_eq!(s.feed(&[9]).unwrap(), Step::Read);
        assert_eq!(s.wants(), 11);
        assert_eq!(s.feed(b"localhost\x00\x50").unwrap(), Step::Done);
    }

    #[test]
    fn refusals_and_garbage_are_errors() {
        assert!(Socks5::new(req(b"")).feed(&[5, 0xff]).is_err());
        assert!(Socks5::new(req(b"")).feed(&[4, 0]).is_err());
        let mut s = Socks5::new(req(b"me"));
        s.feed(&[5, 2]).unwrap();
        assert!(s.feed(&[1, 1]).is_err());
        let mut s = Socks5::new(req(b""));
        s.feed(&[5, 0]).unwrap();
        assert!(s.feed(&[5, 5, 0, 1]).is_err()); // connection refused
        assert!(Socks5::new(req(b"")).feed(&[5]).is_err()); // wrong length
    }
}
