//! `udp://` (draft): RADIO and DISH over datagrams, and the raw DGRAM socket,
//! with libzmq 4.3's addresses and datagram layout.
//!
//! Addresses: `[source;]host:port`. A DISH (or DGRAM) binds: `*:port`, an
//! address of this host, or a multicast group, which is joined on the
//! source's interface (bound to any address on that port, with
//! SO_REUSEADDR/SO_REUSEPORT so several receivers share it). A RADIO
//! connects: unicast, or a multicast group with ZMQ_MULTICAST_HOPS and
//! ZMQ_MULTICAST_LOOP.
//!
//! Datagrams (at most [`MAX_DATAGRAM`] bytes): RADIO/DISH carry
//! `group length (1 byte), group, body`; DGRAM carries the body alone, and
//! its messages are two frames in the pipe, the peer's `ip:port` (MORE)
//! and the body. A datagram that does not parse is dropped; so is one that
//! arrives while the pipe to the socket is full (udp is lossy, as in
//! libzmq). Joins and leaves from a DISH are not sent: a DISH over udp
//! receives every group and filters itself.
//!
//! The socket is bound synchronously (so zmq_bind reports address errors);
//! the engine then runs in an I/O thread, like a session.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};

use socket2::{Domain, Protocol, Socket, Type};

use super::reactor::{Reactor, Token};
use crate::error::{Error, Result};
use crate::msg::{flags, Msg, GROUP_MAX_LENGTH};
use crate::pipe::{Command, OwnerMailbox, PipeEnd};

/// libzmq's MAX_UDP_MSG.
pub const MAX_DATAGRAM: usize = 8192;

/// Which socket type the engine serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends grouped datagrams to one address.
    Radio,
    /// Receives grouped datagrams.
    Dish,
    /// Sends and receives raw datagrams, addressed per message.
    Dgram,
}

/// A parsed `udp://` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpAddr {
    /// Where to send (connect) or what to bind/join (bind).
    pub target: SocketAddr,
    /// The `source;` part: the interface to bind or to send multicast from
    /// (IPv4: its address; IPv6: its index, from an interface name).
    pub source: Option<Ipv4Addr>,
    pub source_if: u32,
}

impl UdpAddr {
    pub fn is_multicast(&self) -> bool {
        self.target.ip().is_multicast()
    }
}

/// Parses `[source;]host:port` (IPv6 hosts in brackets, with `ipv6`:
/// ZMQ_IPV6). Binding takes literal addresses (or `*`) and interface names;
/// connecting resolves host names.
pub fn parse(addr: &[u8], bind: bool, ipv6: bool) -> Result<UdpAddr> {
    let s = std::str::from_utf8(addr).map_err(|_| Error::Invalid)?;
    let (source, rest) = match s.rfind(';') {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    };
    let (mut source_v4, mut source_if) = (None, 0);
    if let Some(name) = source.filter(|n| *n != "*") {
        let index = std::ffi::CString::new(name)
            // SAFETY: a NUL-terminated string for if_nametoindex.
            .map(|c| unsafe { libc::if_nametoindex(c.as_ptr()) })
            .unwrap_or(0);
        source_if = index;
        match interface_address(name) {
            Ok(a) => source_v4 = Some(a),
            Err(e) if index == 0 => return Err(e),
            Err(_) => {}
        }
    }
    let (host, port) = rest.rsplit_once(':').ok_or(Error::Invalid)?;
    let port: u16 = port.parse().map_err(|_| Error::Invalid)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = if host == "*" {
        if !bind {
            return Err(Error::Invalid);
        }
        if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        }
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        ip
    } else if bind {
        interface_address(host)?.into()
    } else {
        (host, port)
            .to_socket_addrs()
            .map_err(|_| Error::Invalid)?
            .find(|a| a.is_ipv4() || ipv6)
            .ok_or(Error::Invalid)?
            .ip()
    };
    if ip.is_ipv6() && !ipv6 {
        // IPv6 needs ZMQ_IPV6, as in libzmq.
        return Err(Error::Invalid);
    }
    if source_v4.is_some_and(|s| s.is_multicast()) {
        return Err(Error::Invalid);
    }
    Ok(UdpAddr {
        target: SocketAddr::new(ip, port),
        source: source_v4,
        source_if,
    })
}

/// An IPv4 address literal, or the first IPv4 address of an interface.
fn interface_address(name: &str) -> Result<Ipv4Addr> {
    if let Ok(a) = name.parse::<Ipv4Addr>() {
        return Ok(a);
    }
    let mut found = None;
    // SAFETY: getifaddrs fills a list we walk and free below.
    unsafe {
        let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
        if libc::getifaddrs(&mut list) != 0 {
            return Err(Error::last_os_error());
        }
        let mut p = list;
        while !p.is_null() {
            let ifa = &*p;
            let addr = ifa.ifa_addr;
            if !addr.is_null()
                && (*addr).sa_family as i32 == libc::AF_INET
                && std::ffi::CStr::from_ptr(ifa.ifa_name).to_bytes() == name.as_bytes()
            {
                let sin = &*(addr as *const libc::sockaddr_in);
                found = Some(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
                break;
            }
            p = ifa.ifa_next;
        }
        libc::freeifaddrs(list);
    }
    found.ok_or(Error::Os(libc::ENODEV))
}

/// The options the engine takes from its socket.
#[derive(Debug, Clone, Copy)]
pub struct UdpOptions {
    pub multicast_hops: i32,
    pub multicast_loop: bool,
    pub sndbuf: i32,
    pub rcvbuf: i32,
}

/// Opens the socket at `addr` (`bind`: receive there; else send
/// there). Returns it with the endpoint as resolved (for LAST_ENDPOINT).
pub fn open(addr: &UdpAddr, bind: bool, o: &UdpOptions) -> Result<(UdpSocket, String)> {
    let v6 = addr.target.is_ipv6();
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let any: IpAddr = if v6 {
        Ipv6Addr::UNSPECIFIED.into()
    } else {
        Ipv4Addr::UNSPECIFIED.into()
    };
    let sock = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP)).map_err(os)?;
    sock.set_nonblocking(true).map_err(os)?;
    sock.set_cloexec(true).map_err(os)?;
    if o.sndbuf > 0 {
        let _ = sock.set_send_buffer_size(o.sndbuf as usize);
    }
    if o.rcvbuf > 0 {
        let _ = sock.set_recv_buffer_size(o.rcvbuf as usize);
    }
    // Only a bound socket receives: RADIO connects, DISH and DGRAM bind.
    if bind {
        sock.set_reuse_address(true).map_err(os)?;
        let local = if addr.is_multicast() {
            // Every receiver of the group on this port gets each datagram.
            sock.set_reuse_port(true).map_err(os)?;
            SocketAddr::new(any, addr.target.port())
        } else {
            addr.target
        };
        sock.bind(&local.into()).map_err(os)?;
        if addr.is_multicast() {
            match addr.target.ip() {
                IpAddr::V4(group) => {
                    let iface = addr.source.unwrap_or(Ipv4Addr::UNSPECIFIED);
                    sock.join_multicast_v4(&group, &iface).map_err(os)?;
                }
                IpAddr::V6(group) => sock.join_multicast_v6(&group, addr.source_if).map_err(os)?,
            }
        }
    }
    if !bind && addr.is_multicast() && v6 {
        sock.set_multicast_loop_v6(o.multicast_loop).map_err(os)?;
        if o.multicast_hops > 0 {
            sock.set_multicast_hops_v6(o.multicast_hops as u32)
                .map_err(os)?;
        }
        if addr.source_if > 0 {
            sock.set_multicast_if_v6(addr.source_if).map_err(os)?;
        }
    } else if !bind && addr.is_multicast() {
        sock.set_multicast_loop_v4(o.multicast_loop).map_err(os)?;
        if o.multicast_hops > 0 {
            sock.set_multicast_ttl_v4(o.multicast_hops as u32)
                .map_err(os)?;
        }
        if let Some(src) = addr.source {
            sock.set_multicast_if_v4(&src).map_err(os)?;
        }
    } else if !bind {
        if let Some(src) = addr.source {
            sock.bind(&SocketAddr::new(src.into(), 0).into())
                .map_err(os)?;
        }
    }
    let sock: UdpSocket = sock.into();
    let resolved = match (bind, sock.local_addr()) {
        (true, Ok(local)) if !addr.is_multicast() => format!("udp://{}", fmt_addr(local)),
        _ => match addr.source {
            Some(s) => format!("udp://{s};{}", fmt_addr(addr.target)),
            None => format!("udp://{}", fmt_addr(addr.target)),
        },
    };
    Ok((sock, resolved))
}

fn fmt_addr(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

fn os(e: std::io::Error) -> Error {
    Error::Os(e.raw_os_error().unwrap_or(libc::EINVAL))
}

/// Parses DGRAM's address frame: a numeric `a.b.c.d:port`, as libzmq.
fn raw_address(frame: &[u8]) -> Option<SocketAddr> {
    let s = std::str::from_utf8(frame).ok()?;
    s.parse::<SocketAddrV4>().ok().map(SocketAddr::V4)
}

/// What the I/O thread runs for one udp endpoint.
pub struct UdpEngine {
    role: Role,
    sock: UdpSocket,
    /// The session side of the pipe to the socket.
    pipe: Option<PipeEnd>,
    /// Where a RADIO sends.
    dest: Option<SocketAddr>,
    /// A datagram the kernel would not take yet, and its destination.
    stalled: Option<(Vec<u8>, SocketAddr)>,
    /// DGRAM: the address frame of the message being read from the pipe.
    dgram_to: Option<Option<SocketAddr>>,
    buf: Vec<u8>,
    /// Whether write interest is registered.
    want_write: bool,
}

impl UdpEngine {
    pub fn new(role: Role, sock: UdpSocket, pipe: PipeEnd, dest: Option<SocketAddr>) -> UdpEngine {
        UdpEngine {
            role,
            sock,
            pipe: Some(pipe),
            dest,
            stalled: None,
            dgram_to: None,
            buf: vec![0; MAX_DATAGRAM],
            want_write: false,
        }
    }

    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    pub fn pipe_id(&self) -> Option<crate::pipe::PipeId> {
        self.pipe.as_ref().map(|p| p.id())
    }

    /// Registers with the reactor and takes ownership of the pipe's wake-ups.
    pub fn start(&mut self, reactor: &Reactor, token: Token, io_mailbox: OwnerMailbox) -> bool {
        if let Some(p) = &self.pipe {
            p.set_owner(io_mailbox);
        }
        let reads = self.role != Role::Radio;
        if reactor.add(self.fd(), token, reads, false).is_err() {
            return false;
        }
        self.pump_out(reactor, token);
        self.pump_in();
        true
    }

    /// Socket readiness. Returns false when the engine is done.
    pub fn on_ready(
        &mut self,
        reactor: &Reactor,
        token: Token,
        readable: bool,
        writable: bool,
    ) -> bool {
        if writable {
            self.pump_out(reactor, token);
        }
        if readable {
            self.pump_in();
        }
        self.pipe.is_some()
    }

    /// A pipe command for our pipe. Returns false when the engine is done.
    pub fn on_pipe_command(&mut self, reactor: &Reactor, token: Token, cmd: Command) -> bool {
        match cmd {
            Command::ActivateRead(_) => self.pump_out(reactor, token),
            // Room again: the next datagram is taken (those in between were
            // dropped by the kernel or by us).
            Command::ActivateWrite(_) => self.pump_in(),
            Command::PipeTerm(_) => {
                self.pump_out(reactor, token);
                if let Some(p) = self.pipe.take() {
                    p.close();
                }
            }
            _ => {}
        }
        self.pipe.is_some()
    }

    /// Stops: the pipe closes, the socket with the engine.
    pub fn close(mut self, reactor: &Reactor) {
        reactor.remove(self.fd());
        if let Some(p) = self.pipe.take() {
            p.close();
        }
    }

    fn set_write_interest(&mut self, reactor: &Reactor, token: Token, on: bool) {
        if self.want_write != on {
            self.want_write = on;
            let reads = self.role != Role::Radio;
            let _ = reactor.modify(self.fd(), token, reads, on);
        }
    }

    /// Sends what the socket queued until the kernel pushes back.
    fn pump_out(&mut self, reactor: &Reactor, token: Token) {
        if let Some((d, to)) = self.stalled.take() {
            match self.sock.send_to(&d, to) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.stalled = Some((d, to));
                    self.set_write_interest(reactor, token, true);
                    return;
                }
                // Other send errors (no route...) lose that datagram only.
                _ => {}
            }
        }
        let mut msg = Msg::new();
        while let Some(pipe) = self.pipe.as_mut() {
            if !pipe.read_into(&mut msg) {
                break;
            }
            let Some((len, to)) = self.datagram(&msg) else {
                continue;
            };
            if let Err(e) = self.sock.send_to(&self.buf[..len], to) {
                if e.kind() == std::io::ErrorKind::WouldBlock {
                    self.stalled = Some((self.buf[..len].to_vec(), to));
                    self.set_write_interest(reactor, token, true);
                    return;
                }
            }
        }
        self.set_write_interest(reactor, token, false);
    }

    /// Lays a message from the pipe out as a datagram in `buf`: its length
    /// and destination, or `None` when nothing is to be sent for it.
    fn datagram(&mut self, msg: &Msg) -> Option<(usize, SocketAddr)> {
        match self.role {
            // A DISH's joins and leaves: nobody to tell over udp.
            Role::Dish => None,
            Role::Radio => {
                if msg.is_join() || msg.is_leave() {
                    return None;
                }
                let group = msg.group().to_bytes();
                let body = msg.data();
                let len = 1 + group.len() + body.len();
                if group.len() > GROUP_MAX_LENGTH || len > MAX_DATAGRAM {
                    return None; // too large for one datagram: dropped
                }
                self.buf[0] = group.len() as u8;
                self.buf[1..1 + group.len()].copy_from_slice(group);
                self.buf[1 + group.len()..len].copy_from_slice(body);
                Some((len, self.dest?))
            }
            Role::Dgram => match self.dgram_to.take() {
                None => {
                    // The address frame; its body follows.
                    if msg.more() {
                        self.dgram_to = Some(raw_address(msg.data()));
                    }
                    None
                }
                Some(to) => {
                    if msg.more() {
                        // A third frame: not a DGRAM message; resynchronise.
                        return None;
                    }
                    let body = msg.data();
                    if body.len() > MAX_DATAGRAM {
                        return None;
                    }
                    self.buf[..body.len()].copy_from_slice(body);
                    Some((body.len(), to?))
                }
            },
        }
    }

    /// Reads datagrams into the pipe until the kernel has no more.
    fn pump_in(&mut self) {
        if self.role == Role::Radio {
            return;
        }
        let mut delivered = false;
        loop {
            let (n, from) = match self.sock.recv_from(&mut self.buf) {
                Ok(x) => x,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let Some(pipe) = self.pipe.as_mut() else {
                break;
            };
            if !pipe.check_write() {
                continue; // full: this datagram is lost
            }
            let d = &self.buf[..n];
            match self.role {
                Role::Dish => {
                    let Some((&glen, rest)) = d.split_first() else {
                        continue;
                    };
                    let glen = glen as usize;
                    if rest.len() < glen {
                        continue;
                    }
                    let Ok(mut m) = Msg::from_slice(&rest[glen..]) else {
                        continue;
                    };
                    if m.set_group(&rest[..glen]).is_err() {
                        continue;
                    }
                    pipe.write(m);
                }
                Role::Dgram => {
                    let (Ok(mut addr), Ok(body)) = (
                        Msg::from_slice(from.to_string().as_bytes()),
                        Msg::from_slice(d),
                    ) else {
                        continue;
                    };
                    addr.set_flags(flags::MORE);
                    pipe.write(addr);
                    pipe.write(body);
                }
                Role::Radio => {}
            }
            delivered = true;
        }
        if delivered {
            if let Some(p) = self.pipe.as_mut() {
                p.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_libzmq_reads_them() {
        let a = parse(b"*:5555", true, false).unwrap();
        assert_eq!(a.target, "0.0.0.0:5555".parse().unwrap());
        assert!(!a.is_multicast());
        let m = parse(b"239.0.0.1:5556", true, false).unwrap();
        assert!(m.is_multicast());
        let s = parse(b"127.0.0.1;239.0.0.1:5556", false, false).unwrap();
        assert_eq!(s.source, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(parse(b"*:5555", false, false), Err(Error::Invalid));
        assert_eq!(parse(b"127.0.0.1", true, false), Err(Error::Invalid));
        assert_eq!(parse(b"127.0.0.1:x", true, false), Err(Error::Invalid));
        assert_eq!(
            parse(b"239.0.0.1;127.0.0.1:1", false, false),
            Err(Error::Invalid)
        );
        assert!(parse(b"lo;239.0.0.1:5556", true, false).is_ok());
        assert_eq!(parse(b"[::1]:5556", false, false), Err(Error::Invalid));
        let v6 = parse(b"[::1]:5556", false, true).unwrap();
        assert_eq!(v6.target, "[::1]:5556".parse().unwrap());
        assert!(parse(b"*:5556", true, true).unwrap().target.is_ipv6());
    }

    #[test]
    fn dgram_addresses_are_numeric_ipv4() {
        assert_eq!(
            raw_address(b"127.0.0.1:5556"),
            Some("127.0.0.1:5556".parse().unwrap())
        );
        assert_eq!(raw_address(b"localhost:5556"), None);
        assert_eq!(raw_address(b"127.0.0.1"), None);
    }
}
