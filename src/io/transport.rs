//! tcp and ipc endpoints: parsing `tcp://host:port` / `ipc://path`, binding
//! listeners (synchronously, so EADDRINUSE reaches the caller), resolving
//! connect addresses, and the stream type engines read and write.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// A bound listening socket.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    Ipc(UnixListener, Option<SocketFile>),
}

/// The file a path-bound ipc listener created, identified by inode: only
/// that file is removed when the listener closes, not one a later bind of
/// the same path made meanwhile (close is asynchronous).
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    id: Option<(u64, u64)>,
}

impl SocketFile {
    fn new(path: PathBuf) -> SocketFile {
        let id = file_id(&path);
        SocketFile { path, id }
    }
}

fn file_id(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// A connected byte stream.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Ipc(UnixStream),
    /// ws:// (draft): WebSocket frames over a tcp stream.
    Ws(Box<super::ws::WsStream>),
}

/// Where a connecter connects to (and, for tcp, from).
#[derive(Debug, Clone)]
pub enum Target {
    Tcp {
        addr: SocketAddr,
        source: Option<SocketAddr>,
    },
    /// A host name (or an address the socket's IPV6 setting rules out),
    /// resolved in the background before each connect attempt, as libzmq
    /// resolves it asynchronously: zmq_connect does not wait for it.
    TcpHost {
        host: String,
        port: u16,
        source: Option<SocketAddr>,
        ipv6: bool,
    },
    Ipc(UnixAddr),
}

/// Resolves a host name for a connect (blocking; run off the I/O thread).
pub fn resolve_host(host: &str, port: u16, ipv6: bool) -> Option<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .ok()?
        .find(|a| ipv6 || a.is_ipv4())
}

/// Socket options that go to the kernel socket, libzmq's values: -1 (or 0
/// for TOS) leaves the OS default.
#[derive(Debug, Clone, Default)]
pub struct TcpTuning {
    pub sndbuf: i32,
    pub rcvbuf: i32,
    pub tos: i32,
    pub keepalive: i32,
    pub keepalive_cnt: i32,
    pub keepalive_idle: i32,
    pub keepalive_intvl: i32,
    pub backlog: i32,
    /// ZMQ_TCP_MAXRT (ms, 0 = the OS default): TCP_USER_TIMEOUT.
    pub maxrt: i32,
    /// ZMQ_BINDTODEVICE (empty: none): SO_BINDTODEVICE on tcp sockets,
    /// which fails without CAP_NET_RAW, as in libzmq.
    pub device: Vec<u8>,
    /// ZMQ_BUSY_POLL (draft): SO_BUSY_POLL microseconds when > 0.
    pub busy_poll: i32,
}

impl TcpTuning {
    fn bind_device(&self, sock: &socket2::Socket) -> Result<()> {
        if !self.device.is_empty() {
            sock.bind_device(Some(&self.device))?;
        }
        Ok(())
    }
}

impl TcpTuning {
    /// Applies the buffer sizes, TOS and keepalive settings.
    pub fn apply(&self, sock: socket2::SockRef<'_>, tcp: bool) {
        // Failures here are not fatal: libzmq ignores them too, except in
        // assertions we do not copy.
        if self.sndbuf >= 0 {
            let _ = sock.set_send_buffer_size(self.sndbuf as usize);
        }
        if self.rcvbuf >= 0 {
            let _ = sock.set_recv_buffer_size(self.rcvbuf as usize);
        }
        if !tcp {
            return;
        }
        if self.tos != 0 {
            let _ = sock.set_tos(self.tos as u32);
        }
        if self.busy_poll > 0 {
            let v: libc::c_int = self.busy_poll;
            use std::os::fd::AsRawFd;
            // SAFETY: setting an int option on a socket we hold; failure
            // (it needs CAP_NET_ADMIN above the sysctl) is ignored, as in
            // libzmq.
            unsafe {
                libc::setsockopt(
                    sock.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_BUSY_POLL,
                    (&v as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
        }
        if self.maxrt > 0 {
            let _ = sock
                .set_tcp_user_timeout(Some(std::time::Duration::from_millis(self.maxrt as u64)));
        }
        if self.keepalive != -1 {
            let _ = sock.set_keepalive(self.keepalive == 1);
        }
        if self.keepalive == 1 {
            let mut ka = socket2::TcpKeepalive::new();
            if self.keepalive_idle > 0 {
                ka = ka.with_time(std::time::Duration::from_secs(self.keepalive_idle as u64));
            }
            if self.keepalive_intvl > 0 {
                ka = ka.with_interval(std::time::Duration::from_secs(self.keepalive_intvl as u64));
            }
            if self.keepalive_cnt > 0 {
                ka = ka.with_retries(self.keepalive_cnt as u32);
            }
            let _ = sock.set_tcp_keepalive(&ka);
        }
    }
}

/// An ipc address: a filesystem path or a Linux abstract name (`@name`).
#[derive(Debug, Clone)]
pub enum UnixAddr {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

fn addr_in_use_or(e: std::io::Error) -> Error {
    Error::from(e)
}

/// Splits `host:port`, with `[v6]:port` for IPv6 literals.
fn split_host_port(addr: &str) -> Result<(&str, &str)> {
    let colon = addr.rfind(':').ok_or(Error::Invalid)?;
    let (host, port) = (&addr[..colon], &addr[colon + 1..]);
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || port.is_empty() {
        return Err(Error::Invalid);
    }
    Ok((host, port))
}

/// A port as libzmq reads it: `*`/`!`/`0` for any, else a number kept in
/// 16 bits (libzmq truncates: 65536 + p means p), 0 after truncation refused.
fn parse_port(port: &str) -> Result<u16> {
    match port {
        "*" | "!" | "0" => Ok(0),
        p => explicit_port(p),
    }
}

/// A port as libzmq reads it: C's `atoi` (leading blanks, a sign, the
/// digits up to the first non-digit; `strtol`'s clamping, then an `int`)
/// kept as 16 bits, 0 being EINVAL. So "99999" is 34463, "-5" 65531 and
/// "23456abc" 23456, as with libzmq.
fn explicit_port(p: &str) -> Result<u16> {
    let b = p
        .trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let mut v: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        v = -v;
    }
    match (v as i32) as u16 {
        0 => Err(Error::Invalid),
        port => Ok(port),
    }
}

/// libzmq's quick check of a tcp:// connect address (socket_base.cpp,
/// connect): only host, IPv6, interface and source characters, and a port
/// that starts with a digit. So "host:-5" or "host:+5" is EINVAL for a
/// connect, though a bind reads those ports with atoi.
pub fn check_connect_syntax(addr: &[u8]) -> Result<()> {
    let allowed = |c: &u8| c.is_ascii_alphanumeric() || b".-:%;[]_*".contains(c);
    let first_ok = addr
        .first()
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'[' || *c == b':');
    let port_ok = addr
        .iter()
        .rposition(|&c| c == b':')
        .and_then(|i| addr.get(i + 1))
        .is_some_and(u8::is_ascii_digit);
    if first_ok && addr.iter().all(allowed) && port_ok {
        Ok(())
    } else {
        Err(Error::Invalid)
    }
}

/// Binds a tcp listener. `*` binds all interfaces, port `*`/`0` picks one.
/// Returns the listener and the resolved endpoint for `ZMQ_LAST_ENDPOINT`.
pub fn bind_tcp(addr: &[u8], ipv6: bool, tuning: &TcpTuning) -> Result<(Listener, String)> {
    let addr = std::str::from_utf8(addr).map_err(|_| Error::Invalid)?;
    let (host, port) = split_host_port(addr)?;
    let port = parse_port(port)?;
    let ip: std::net::IpAddr = match host {
        "*" if ipv6 => std::net::Ipv6Addr::UNSPECIFIED.into(),
        "*" => std::net::Ipv4Addr::UNSPECIFIED.into(),
        h => match h.parse::<std::net::IpAddr>() {
            // As libzmq: an IPv6 address needs ZMQ_IPV6.
            Ok(ip) if ip.is_ipv6() && !ipv6 => return Err(Error::Os(libc::ENODEV)),
            Ok(ip) => ip,
            // An interface name or host name: resolve it as libzmq does for
            // local addresses; unknown names are ENODEV.
            Err(_) => local_address(h, ipv6).ok_or(Error::Os(libc::ENODEV))?,
        },
    };
    let addr = SocketAddr::new(ip, port);
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    // As libzmq: a restarted server can rebind while old connections linger.
    sock.set_reuse_address(true)?;
    if addr.is_ipv6() {
        // "*" with IPV6 accepts IPv4 too.
        let _ = sock.set_only_v6(false);
    }
    tuning.apply(socket2::SockRef::from(&sock), true);
    tuning.bind_device(&sock)?;
    sock.bind(&addr.into()).map_err(addr_in_use_or)?;
    sock.listen(if tuning.backlog > 0 {
        tuning.backlog
    } else {
        100
    })?;
    let listener: TcpListener = sock.into();
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let endpoint = match local {
        SocketAddr::V4(a) => format!("tcp://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("tcp://[{}]:{}", a.ip(), a.port()),
    };
    Ok((Listener::Tcp(listener), endpoint))
}

/// Resolves a tcp connect address: `host:port`, or `source;host:port` to
/// connect from a given local address (`ip`, `ip:port` or `*:port`).
/// A local address named by an interface ("lo", "eth0") or a host name,
/// the way libzmq resolves the local side of a bind or a `src;dst` pair:
/// interfaces first (getifaddrs), then the resolver.
fn local_address(name: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    interface_address(name, ipv6).or_else(|| {
        (name, 0)
            .to_socket_addrs()
            .ok()?
            .find(|a| ipv6 || a.is_ipv4())
            .map(|a| a.ip())
    })
}

/// The first address of interface `name` of a usable family.
fn interface_address(name: &str, ipv6: bool) -> Option<std::net::IpAddr> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list we walk read-only
    // and free once with freeifaddrs; every pointer is checked for NULL and
    // each sockaddr is read as the family it declares.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return None;
        }
        let mut found = None;
        let mut p = list;
        while !p.is_null() && found.is_none() {
            let ifa = &*p;
            p = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            if std::ffi::CStr::from_ptr(ifa.ifa_name).to_bytes() != name.as_bytes() {
                continue;
            }
            match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    found = Some(std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).into());
                }
                libc::AF_INET6 if ipv6 => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    found = Some(std::net::Ipv6Addr::from(a.sin6_addr.s6_addr).into());
                }
                _ => {}
            }
        }
        libc::freeifaddrs(list);
        found
    }
}

/// ZMQ_SOCKS_PROXY: the proxy to connect to, and what to ask it for (the
/// endpoint's host as written and its port).
pub fn socks_target(
    endpoint: &[u8],
    proxy: &[u8],
    ipv6: bool,
    username: &[u8],
    password: &[u8],
) -> Result<(Target, super::socks::SocksRequest)> {
    let text = std::str::from_utf8(endpoint).map_err(|_| Error::Invalid)?;
    // A source address (src;dst) applies to the connection to the proxy.
    let dst = text.rsplit(';').next().unwrap_or(text);
    let (host, port) = split_host_port(dst)?;
    let port = explicit_port(port)?;
    let target = resolve_tcp(proxy, ipv6)?;
    let req = super::socks::SocksRequest {
        host: host.to_string(),
        port,
        username: username.to_vec(),
        password: password.to_vec(),
    };
    Ok((target, req))
}

pub fn resolve_tcp(addr: &[u8], ipv6: bool) -> Result<Target> {
    let addr = std::str::from_utf8(addr).map_err(|_| Error::Invalid)?;
    let (source, addr) = match addr.split_once(';') {
        Some((src, dst)) => (Some(src), dst),
        None => (None, addr),
    };
    let (host, port) = split_host_port(addr)?;
    let port = match port {
        "*" => return Err(Error::Invalid),
        // libzmq takes port 0 for a connect (which then fails and retries,
        // as any refused connect), only the wildcard is refused.
        "0" => 0,
        p => explicit_port(p)?,
    };

    let source = match source {
        None => None,
        Some(src) => {
            let (h, p) = match src.rsplit_once(':') {
                Some((h, p)) if !h.is_empty() && !h.ends_with(':') => (h, parse_port(p)?),
                _ => (src, 0),
            };
            let h = h
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .unwrap_or(h);
            let ip = match h {
                "*" if ipv6 => std::net::Ipv6Addr::UNSPECIFIED.into(),
                "*" => std::net::Ipv4Addr::UNSPECIFIED.into(),
                h => match h.parse::<std::net::IpAddr>() {
                    Ok(ip) => ip,
                    // A name (libzmq resolves the source as a local
                    // address, at once): the first address of a usable
                    // family.
                    Err(_) => local_address(h, ipv6).ok_or(Error::Invalid)?,
                },
            };
            Some(SocketAddr::new(ip, p))
        }
    };
    // An IP literal the socket may use connects at once; anything else is
    // resolved in the background.
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ipv6 || ip.is_ipv4() => Ok(Target::Tcp {
            addr: SocketAddr::new(ip, port),
            source,
        }),
        // A name that could never resolve fails now, as libzmq's does.
        _ if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]%".contains(&b)) =>
        {
            Err(Error::Invalid)
        }
        _ => Ok(Target::TcpHost {
            host: host.to_string(),
            port,
            source,
            ipv6,
        }),
    }
}

fn unix_addr(path: &[u8]) -> Result<UnixAddr> {
    if path.is_empty() {
        return Err(Error::Invalid);
    }
    // sun_path holds 108 bytes: a path and its NUL, or '\0' and a name.
    if path.len() >= 108 {
        return Err(Error::Os(libc::ENAMETOOLONG));
    }
    match path.strip_prefix(b"@") {
        Some([]) => Err(Error::Invalid),
        Some(name) => Ok(UnixAddr::Abstract(name.to_vec())),
        None => Ok(UnixAddr::Path(PathBuf::from(
            std::ffi::OsStr::from_encoded_bytes_checked(path)?,
        ))),
    }
}

/// ZMQ_USE_FD: a listener on a socket the application already bound (and
/// put in listening state); it is ours from now on, closed with the
/// listener, as libzmq does. The endpoint is what the fd is bound to.
pub fn listener_from_fd(fd: RawFd, ipc: bool) -> Result<(Listener, String)> {
    use std::os::fd::FromRawFd;
    // SAFETY: the fd is a valid socket by ZMQ_USE_FD's contract (a bad one
    // fails local_addr below with EBADF/ENOTSOCK; the listener only calls
    // socket syscalls on it); ownership passes to the listener.
    let sock = unsafe { socket2::Socket::from_raw_fd(fd) };
    sock.set_nonblocking(true)?;
    let local = sock.local_addr()?;
    if ipc {
        let path = local
            .as_pathname()
            .map(|p| p.to_string_lossy().into_owned());
        let endpoint = format!("ipc://{}", path.unwrap_or_default());
        return Ok((Listener::Ipc(sock.into(), None), endpoint));
    }
    let endpoint = match local.as_socket() {
        Some(SocketAddr::V4(a)) => format!("tcp://{}:{}", a.ip(), a.port()),
        Some(SocketAddr::V6(a)) => format!("tcp://[{}]:{}", a.ip(), a.port()),
        None => {
            // Not an IP socket: give it back untouched.
            std::mem::forget(sock);
            return Err(Error::Invalid);
        }
    };
    Ok((Listener::Tcp(sock.into()), endpoint))
}

/// Binds an ipc listener. `*` creates a unique path under the temp dir.
pub fn bind_ipc(path: &[u8]) -> Result<(Listener, String)> {
    use std::os::linux::net::SocketAddrExt;
    if path == b"*" {
        let dir = std::env::temp_dir();
        for attempt in 0..100u32 {
            let p = dir.join(format!(
                "ferrozmq-{}-{}-{}",
                std::process::id(),
                unique(),
                attempt
            ));
            if let Ok(l) = UnixListener::bind(&p) {
                l.set_nonblocking(true)?;
                let ep = format!("ipc://{}", p.display());
                return Ok((Listener::Ipc(l, Some(SocketFile::new(p))), ep));
            }
        }
        return Err(Error::Os(libc::EADDRINUSE));
    }
    let listener = match unix_addr(path)? {
        UnixAddr::Path(p) => {
            // A socket file left behind by an earlier run (one that died
            // bound) would make bind fail: libzmq removes whatever is at
            // the path first, and so do we.
            let _ = std::fs::remove_file(&p);
            UnixListener::bind(&p).map(|l| (l, Some(SocketFile::new(p))))
        }
        UnixAddr::Abstract(name) => std::os::unix::net::SocketAddr::from_abstract_name(&name)
            .and_then(|a| UnixListener::bind_addr(&a))
            .map(|l| (l, None)),
    }
    .map_err(Error::from)?;
    listener.0.set_nonblocking(true)?;
    let ep = format!("ipc://{}", String::from_utf8_lossy(path));
    Ok((Listener::Ipc(listener.0, listener.1), ep))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub fn resolve_ipc(path: &[u8]) -> Result<UnixAddr> {
    unix_addr(path)
}

trait FromBytes {
    fn from_encoded_bytes_checked(b: &[u8]) -> Result<&std::ffi::OsStr>;
}
impl FromBytes for std::ffi::OsStr {
    fn from_encoded_bytes_checked(b: &[u8]) -> Result<&std::ffi::OsStr> {
        use std::os::unix::ffi::OsStrExt;
        if b.contains(&0) {
            return Err(Error::Invalid);
        }
        Ok(std::ffi::OsStr::from_bytes(b))
    }
}

impl Listener {
    pub fn fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Ipc(l, _) => l.as_raw_fd(),
        }
    }

    /// Accepts one pending connection, if any (non-blocking).
    pub fn accept(&self) -> std::io::Result<Option<(Stream, String)>> {
        let r = match self {
            Listener::Tcp(l) => l
                .accept()
                .map(|(s, a)| (Stream::Tcp(s), a.ip().to_string())),
            Listener::Ipc(l, _) => l.accept().map(|(s, _)| (Stream::Ipc(s), String::new())),
        };
        match r {
            Ok((s, peer)) => {
                match &s {
                    Stream::Tcp(t) => {
                        t.set_nonblocking(true)?;
                        t.set_nodelay(true)?;
                    }
                    Stream::Ipc(u) => u.set_nonblocking(true)?,
                    Stream::Ws(_) => {}
                }
                Ok(Some((s, peer)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Stream {
    /// The peer as a monitor's v2 remote endpoint names it
    /// (`tcp://ip:port`; empty for ipc).
    pub fn peer_endpoint(&self) -> String {
        match self {
            Stream::Tcp(t) => tcp_endpoint(t.peer_addr()),
            Stream::Ws(w) => w.inner().peer_endpoint().replacen("tcp", w.scheme(), 1),
            // The connecting end of a Unix socket has no name: libzmq
            // writes the bare scheme.
            Stream::Ipc(_) => "ipc://".to_string(),
        }
    }

    /// This end's address as an endpoint (monitor v2 events of a connect).
    pub fn local_endpoint(&self) -> String {
        match self {
            Stream::Tcp(t) => tcp_endpoint(t.local_addr()),
            Stream::Ws(w) => w.inner().local_endpoint().replacen("tcp", w.scheme(), 1),
            Stream::Ipc(_) => "ipc://".to_string(),
        }
    }

    /// The peer's (uid, gid, pid) on a Unix-domain stream (SO_PEERCRED).
    pub fn peer_credentials(&self) -> Option<(u32, u32, i32)> {
        let Stream::Ipc(u) = self else {
            return None;
        };
        let mut cred = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `cred`, a
        // ucred as SO_PEERCRED defines, on an fd this stream owns.
        let rc = unsafe {
            libc::getsockopt(
                u.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&mut cred as *mut libc::ucred).cast(),
                &mut len,
            )
        };
        (rc == 0).then_some((cred.uid, cred.gid, cred.pid))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Ipc(_, Some(file)) = self {
            if file.id.is_some() && file_id(&file.path) == file.id {
                let _ = std::fs::remove_file(&file.path);
            }
        }
    }
}

impl Stream {
    pub fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Ipc(s) => s.as_raw_fd(),
            Stream::Ws(w) => w.inner().fd(),
        }
    }

    /// Starts a non-blocking connect. The connection completes (or fails)
    /// when the fd becomes writable; see [`Stream::connect_result`].
    pub fn connect(target: &Target, tuning: &TcpTuning) -> Result<Stream> {
        match target {
            Target::Tcp { addr: a, source } => {
                use socket2::{Domain, SockAddr, Socket, Type};
                let sock = Socket::new(Domain::for_address(*a), Type::STREAM, None)?;
                sock.set_nonblocking(true)?;
                sock.set_nodelay(true)?;
                tuning.apply(socket2::SockRef::from(&sock), true);
                tuning.bind_device(&sock)?;
                if let Some(src) = source {
                    sock.set_reuse_address(true)?;
                    sock.bind(&SockAddr::from(*src))?;
                }
                match sock.connect(&SockAddr::from(*a)) {
                    Ok(()) => {}
                    Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                    Err(e) => return Err(e.into()),
                }
                Ok(Stream::Tcp(sock.into()))
            }
            // A Unix-domain connect completes (or fails) at once.
            Target::TcpHost { .. } => Err(Error::Invalid), // resolve first
            Target::Ipc(addr) => {
                let s = match addr {
                    UnixAddr::Path(p) => UnixStream::connect(p)?,
                    UnixAddr::Abstract(name) => {
                        use std::os::linux::net::SocketAddrExt;
                        UnixStream::connect_addr(
                            &std::os::unix::net::SocketAddr::from_abstract_name(name)?,
                        )?
                    }
                };
                s.set_nonblocking(true)?;
                Ok(Stream::Ipc(s))
            }
        }
    }

    /// After a non-blocking connect became writable: Ok if it connected.
    pub fn connect_result(&self) -> std::io::Result<()> {
        let sock = socket2::SockRef::from(self);
        match sock.take_error()? {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Ipc(s) => s.read(buf),
            Stream::Ws(w) => w.read(buf),
        }
    }

    /// `read` into bytes that may be uninitialised (a receive buffer's
    /// unwritten tail): tcp and ipc read straight into them; ws, which
    /// needs initialised bytes, has them zeroed first.
    pub fn read_uninit(&mut self, buf: &mut [std::mem::MaybeUninit<u8>]) -> std::io::Result<usize> {
        if let Stream::Ws(w) = self {
            // Zeroing initialises every byte, so the slice may be viewed as
            // `[u8]` afterwards.
            for b in buf.iter_mut() {
                b.write(0);
            }
            // SAFETY: every byte was just written.
            let init = unsafe { &mut *(buf as *mut [std::mem::MaybeUninit<u8>] as *mut [u8]) };
            return w.read(init);
        }
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes; read(2)
        // only writes, and reports how many bytes it wrote.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// One read into `first`, then `second` (`readv`): the rest of a large
    /// body and the start of what follows, in one syscall. ws reads into
    /// `first` only.
    pub fn read_two(
        &mut self,
        first: &mut [u8],
        second: &mut [std::mem::MaybeUninit<u8>],
    ) -> std::io::Result<usize> {
        if let Stream::Ws(w) = self {
            return w.read(first);
        }
        let iov = [
            libc::iovec {
                iov_base: first.as_mut_ptr().cast(),
                iov_len: first.len(),
            },
            libc::iovec {
                iov_base: second.as_mut_ptr().cast(),
                iov_len: second.len(),
            },
        ];
        // SAFETY: both slices are valid for writes of their lengths for the
        // call; readv(2) only writes into them and reports how many bytes.
        let n = unsafe { libc::readv(self.fd(), iov.as_ptr(), 2) };
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }

    /// Writes with MSG_NOSIGNAL: a peer that has gone is EPIPE, never
    /// SIGPIPE, whichever thread writes (`util::signals`).
    pub fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(_) | Stream::Ipc(_) => send_nosignal(self.fd(), buf),
            Stream::Ws(w) => w.write(buf),
        }
    }

    /// One write of `bufs` in order (`sendmsg`, MSG_NOSIGNAL as `write`).
    pub fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        match self {
            Stream::Tcp(_) | Stream::Ipc(_) => sendmsg_nosignal(self.fd(), bufs),
            Stream::Ws(w) => w.write_vectored(bufs),
        }
    }
}

fn send_nosignal(fd: RawFd, buf: &[u8]) -> std::io::Result<usize> {
    // SAFETY: `buf` is valid for reads of its length for the call; send(2)
    // only reads it.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

fn sendmsg_nosignal(fd: RawFd, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (no name, no control data).
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is ABI-compatible with iovec on Unix (std's guarantee);
    // sendmsg(2) only reads the iovecs and the bytes they cover, which
    // `bufs` keeps valid for the call.
    hdr.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    hdr.msg_iovlen = bufs.len() as _;
    // SAFETY: `hdr` points at `bufs.len()` valid iovecs (above).
    let n = unsafe { libc::sendmsg(fd, &hdr, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd()
    }
}

impl std::os::fd::AsFd for Stream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Ipc(s) => s.as_fd(),
            Stream::Ws(w) => w.inner().as_fd(),
        }
    }
}

fn tcp_endpoint(addr: std::io::Result<SocketAddr>) -> String {
    match addr {
        Ok(SocketAddr::V4(a)) => format!("tcp://{}:{}", a.ip(), a.port()),
        Ok(SocketAddr::V6(a)) => format!("tcp://[{}]:{}", a.ip(), a.port()),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_wildcard_port_resolves_last_endpoint() {
        let (_l, ep) = bind_tcp(b"127.0.0.1:*", false, &TcpTuning::default()).unwrap();
        assert!(
            ep.starts_with("tcp://127.0.0.1:") && !ep.ends_with(":0"),
            "{ep}"
        );
        let port: u16 = ep.rsplit(':').next().unwrap().parse().unwrap();
        let again = bind_tcp(
            format!("127.0.0.1:{port}").as_bytes(),
            false,
            &TcpTuning::default(),
        );
        assert_eq!(again.err(), Some(Error::Os(libc::EADDRINUSE)));
    }

    #[test]
    fn malformed_tcp_addresses_are_einval() {
        assert_eq!(
            bind_tcp(b"nonsense", false, &TcpTuning::default()).err(),
            Some(Error::Invalid)
        );
        // 65536 is 0 in 16 bits (libzmq's truncation), and 0 is refused.
        assert_eq!(
            bind_tcp(b"127.0.0.1:65536", false, &TcpTuning::default()).err(),
            Some(Error::Invalid)
        );
        assert_eq!(explicit_port("99999"), Ok(34463));
        assert_eq!(
            resolve_tcp(b"127.0.0.1:*", false).err(),
            Some(Error::Invalid)
        );
        assert!(matches!(
            resolve_tcp(b"localhost:5", false),
            Ok(Target::TcpHost { .. })
        ));
        assert!(matches!(
            resolve_tcp(b"[::1]:5", true),
            Ok(Target::Tcp { .. })
        ));
    }
}
