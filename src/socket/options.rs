//! The socket options every socket type shares: libzmq's `options_t`.
//!
//! This module owns the option values and their validation: what
//! `zmq_setsockopt` accepts or rejects (length and range rules exactly as
//! libzmq 4.3.4's `options_t::setsockopt`), what it stores, and what
//! `zmq_getsockopt` reports and how it fills the caller's buffer. It knows
//! nothing about a socket's runtime state (RCVMORE, EVENTS, FD,
//! LAST_ENDPOINT, TYPE, THREAD_SAFE: the socket answers those) nor about
//! the options only some socket types accept (`pattern_options`).
//!
//! The two option sets are disjoint, so the order libzmq uses (the socket
//! type's `xsetsockopt` first, `options_t` when that fails with EINVAL)
//! gives the same answers as asking [`Options::set`] first and the pattern
//! options when it returns `Ok(false)`.
//!
//! Build flavour, as libzmq would be configured for ferrozmq: CURVE yes,
//! GSSAPI no, VMCI no, WSS yes (rustls), `SO_PEERCRED` yes (Linux), and the draft
//! options (IN/OUT_BATCH_SIZE, HELLO_MSG, DISCONNECT_MSG, PRIORITY) only
//! with the `draft` feature, as `ZMQ_BUILD_DRAFT_API` gates them.
//!
//! Calling convention: `value` is `None` when the caller's `optval` was
//! NULL, which libzmq only handles sensibly with `optvallen == 0`; for a
//! NULL pointer with a non-zero length libzmq either fails with EINVAL or
//! dereferences it, so the C boundary should answer EINVAL itself.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ctx::CtxOptions;
use crate::error::{Error, Result};
use crate::util::z85;

// Option numbers (zmq.h of libzmq 4.3.4).
const AFFINITY: i32 = 4;
const ROUTING_ID: i32 = 5;
const RATE: i32 = 8;
const RECOVERY_IVL: i32 = 9;
const SNDBUF: i32 = 11;
const RCVBUF: i32 = 12;
const LINGER: i32 = 17;
const RECONNECT_IVL: i32 = 18;
const BACKLOG: i32 = 19;
const RECONNECT_IVL_MAX: i32 = 21;
const MAXMSGSIZE: i32 = 22;
pub const SNDHWM: i32 = 23;
pub const RCVHWM: i32 = 24;
const MULTICAST_HOPS: i32 = 25;
const RCVTIMEO: i32 = 27;
const SNDTIMEO: i32 = 28;
const IPV4ONLY: i32 = 31;
const TCP_KEEPALIVE: i32 = 34;
const TCP_KEEPALIVE_CNT: i32 = 35;
const TCP_KEEPALIVE_IDLE: i32 = 36;
const TCP_KEEPALIVE_INTVL: i32 = 37;
const TCP_ACCEPT_FILTER: i32 = 38;
const IMMEDIATE: i32 = 39;
const IPV6: i32 = 42;
const MECHANISM: i32 = 43;
const PLAIN_SERVER: i32 = 44;
const PLAIN_USERNAME: i32 = 45;
const PLAIN_PASSWORD: i32 = 46;
const CURVE_SERVER: i32 = 47;
const CURVE_PUBLICKEY: i32 = 48;
const CURVE_SECRETKEY: i32 = 49;
const CURVE_SERVERKEY: i32 = 50;
const CONFLATE: i32 = 54;
const ZAP_DOMAIN: i32 = 55;
const TOS: i32 = 57;
const IPC_FILTER_PID: i32 = 58;
const IPC_FILTER_UID: i32 = 59;
const IPC_FILTER_GID: i32 = 60;
const GSSAPI_SERVER: i32 = 62;
const GSSAPI_PRINCIPAL: i32 = 63;
const GSSAPI_SERVICE_PRINCIPAL: i32 = 64;
const GSSAPI_PLAINTEXT: i32 = 65;
const HANDSHAKE_IVL: i32 = 66;
const SOCKS_PROXY: i32 = 68;
pub const INVERT_MATCHING: i32 = 74;
const HEARTBEAT_IVL: i32 = 75;
const HEARTBEAT_TTL: i32 = 76;
const HEARTBEAT_TIMEOUT: i32 = 77;
const CONNECT_TIMEOUT: i32 = 79;
const TCP_MAXRT: i32 = 80;
const MULTICAST_MAXTPDU: i32 = 84;
const VMCI_BUFFER_SIZE: i32 = 85;
const VMCI_BUFFER_MIN_SIZE: i32 = 86;
const VMCI_BUFFER_MAX_SIZE: i32 = 87;
const VMCI_CONNECT_TIMEOUT: i32 = 88;
const USE_FD: i32 = 89;
const GSSAPI_PRINCIPAL_NAMETYPE: i32 = 90;
const GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: i32 = 91;
const BINDTODEVICE: i32 = 92;
// Draft block of the 4.3.4 header.
const ZAP_ENFORCE_DOMAIN: i32 = 93;
const LOOPBACK_FASTPATH: i32 = 94;
const METADATA: i32 = 95;
const MULTICAST_LOOP: i32 = 96;
const SOCKS_USERNAME: i32 = 99;
const SOCKS_PASSWORD: i32 = 100;
const IN_BATCH_SIZE: i32 = 101;
const OUT_BATCH_SIZE: i32 = 102;
const WSS_KEY_PEM: i32 = 103;
const WSS_CERT_PEM: i32 = 104;
const WSS_TRUST_PEM: i32 = 105;
const WSS_HOSTNAME: i32 = 106;
const WSS_TRUST_SYSTEM: i32 = 107;
const RECONNECT_STOP: i32 = 109;
const HELLO_MSG: i32 = 110;
const DISCONNECT_MSG: i32 = 111;
const HICCUP_MSG: i32 = 114;
const PRIORITY: i32 = 112;
const BUSY_POLL: i32 = 113;

// Socket types whose constructors adjust options_t defaults.
use super::pattern::kind::{
    CLIENT, DEALER, DGRAM, DISH, PEER, PUB, PULL, PUSH, REP, REQ, ROUTER, SERVER, STREAM, SUB, XSUB,
};

/// Whether the draft options libzmq gates behind `ZMQ_BUILD_DRAFT_API` exist.
pub(super) const DRAFT: bool = cfg!(feature = "draft");

/// Raw CURVE key length, and the Z85 text length of one.
pub const CURVE_KEY_SIZE: usize = 32;
const CURVE_KEY_SIZE_Z85: usize = 40;
/// libzmq keeps HEARTBEAT_TTL in deciseconds (it travels as a 16-bit field
/// of the PING command).
const MS_PER_DECISECOND: i32 = 100;
/// `IFNAMSIZ` on Linux: the longest BINDTODEVICE value accepted.
const BINDTODEVICE_MAX: usize = 16;
/// Most strings are limited to what a one-byte length field can carry.
const UCHAR_MAX: usize = 255;

/// The security mechanism a socket will use (`ZMQ_MECHANISM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Null,
    Plain,
    Curve,
}

impl Mechanism {
    /// The zmq.h number (`ZMQ_NULL` 0, `ZMQ_PLAIN` 1, `ZMQ_CURVE` 2).
    pub fn as_i32(self) -> i32 {
        match self {
            Mechanism::Null => 0,
            Mechanism::Plain => 1,
            Mechanism::Curve => 2,
        }
    }
}

/// One `ZMQ_TCP_ACCEPT_FILTER` entry: an address and a prefix length,
/// parsed as libzmq's `tcp_address_mask_t::resolve` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpAcceptFilter {
    /// The network address. With IPV6 set, IPv4 text is stored v4-mapped
    /// (getaddrinfo with AF_INET6 and AI_V4MAPPED), and so only matches
    /// peers seen through an IPv6 socket.
    pub address: IpAddr,
    /// Prefix length in bits; 0 matches every address of the family.
    pub prefix_len: u32,
}

impl TcpAcceptFilter {
    /// Parses `address[/bits]` (numeric addresses only; IPv6 ones only when
    /// `ipv6` is set, except IPv4-mapped ones, which getaddrinfo turns back
    /// into IPv4). Text after an embedded NUL is ignored, as `c_str()` does.
    pub fn parse(text: &[u8], ipv6: bool) -> Result<TcpAcceptFilter> {
        let text = until_nul(text);
        let (addr_text, mask_text) = match text.iter().rposition(|&b| b == b'/') {
            Some(slash) => {
                let mask = &text[slash + 1..];
                if mask.is_empty() {
                    return Err(Error::Invalid);
                }
                (&text[..slash], Some(mask))
            }
            None => (text, None),
        };
        let address = resolve_numeric(addr_text, ipv6).ok_or(Error::Invalid)?;
        let full = if address.is_ipv6() { 128 } else { 32 };
        let prefix_len = match mask_text {
            None => full,
            Some(b"0") => 0,
            Some(mask) => {
                // strtol: "8x" is 8, "00" and "-0" are 0 and so rejected.
                let bits = c_strtol(mask);
                if bits < 1 || bits > i64::from(full) {
                    return Err(Error::Invalid);
                }
                bits as u32
            }
        };
        Ok(TcpAcceptFilter {
            address,
            prefix_len,
        })
    }

    /// Whether a peer address passes this filter (libzmq's `match_address`):
    /// the family must be the same, then the first `prefix_len` bits.
    pub fn matches(&self, peer: &IpAddr) -> bool {
        let (ours, theirs): (Vec<u8>, Vec<u8>) = match (&self.address, peer) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
            _ => return false,
        };
        let bits = (self.prefix_len as usize).min(ours.len() * 8);
        let full_bytes = bits / 8;
        if ours[..full_bytes] != theirs[..full_bytes] {
            return false;
        }
        let rest = bits % 8;
        if rest == 0 {
            return true;
        }
        let mask = 0xffu8 << (8 - rest);
        ours[full_bytes] & mask == theirs[full_bytes] & mask
    }
}

/// The options of one socket, with libzmq's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The socket type the options were made for (libzmq's `options.type`).
    pub socket_type: i32,
    pub sndhwm: i32,
    pub rcvhwm: i32,
    pub affinity: u64,
    /// 0..=255 bytes; empty means "let the peer pick".
    pub routing_id: Vec<u8>,
    pub rate: i32,
    pub recovery_ivl: i32,
    pub multicast_hops: i32,
    pub multicast_maxtpdu: i32,
    pub sndbuf: i32,
    pub rcvbuf: i32,
    pub tos: i32,
    pub priority: i32,
    /// ZMQ_BUSY_POLL (draft, 4.3.5): SO_BUSY_POLL for tcp connections.
    pub busy_poll: i32,
    pub linger: i32,
    pub connect_timeout: i32,
    pub tcp_maxrt: i32,
    /// RECONNECT_STOP bitmask; any int is accepted, unknown bits included.
    pub reconnect_stop: i32,
    pub reconnect_ivl: i32,
    pub reconnect_ivl_max: i32,
    pub backlog: i32,
    pub maxmsgsize: i64,
    pub rcvtimeo: i32,
    pub sndtimeo: i32,
    pub ipv6: bool,
    pub immediate: bool,
    /// Not an option: SUB filters incoming messages (XSUB does not).
    pub filter: bool,
    pub invert_matching: bool,
    /// Not an option: the socket receives peers' routing ids (ROUTER, REP).
    pub recv_routing_id: bool,
    /// Not an option: the socket speaks raw TCP (STREAM, DGRAM; ROUTER once
    /// ROUTER_RAW was set, see `PatternOptions::router_raw_latched`).
    pub raw_socket: bool,
    pub socks_proxy_address: Vec<u8>,
    /// wss:// (draft): PEM text, set-only as in libzmq, read at bind
    /// (the server's certificate chain and key) or connect (what the client
    /// trusts, and the name it expects the server's certificate to carry).
    pub wss_key_pem: Vec<u8>,
    pub wss_cert_pem: Vec<u8>,
    pub wss_trust_pem: Vec<u8>,
    pub wss_hostname: Vec<u8>,
    pub wss_trust_system: bool,
    pub socks_proxy_username: Vec<u8>,
    pub socks_proxy_password: Vec<u8>,
    pub tcp_keepalive: i32,
    pub tcp_keepalive_cnt: i32,
    pub tcp_keepalive_idle: i32,
    pub tcp_keepalive_intvl: i32,
    pub tcp_accept_filters: Vec<TcpAcceptFilter>,
    pub ipc_uid_accept_filters: BTreeSet<u32>,
    pub ipc_gid_accept_filters: BTreeSet<u32>,
    pub ipc_pid_accept_filters: BTreeSet<i32>,
    pub mechanism: Mechanism,
    pub as_server: bool,
    pub zap_domain: Vec<u8>,
    pub plain_username: Vec<u8>,
    pub plain_password: Vec<u8>,
    pub curve_public_key: [u8; CURVE_KEY_SIZE],
    pub curve_secret_key: [u8; CURVE_KEY_SIZE],
    pub curve_server_key: [u8; CURVE_KEY_SIZE],
    pub conflate: bool,
    pub handshake_ivl: i32,
    /// In deciseconds, as libzmq stores it (the option speaks milliseconds).
    pub heartbeat_ttl: u16,
    pub heartbeat_ivl: i32,
    /// -1 until set: then the heartbeat interval is used.
    pub heartbeat_timeout: i32,
    pub use_fd: i32,
    pub bound_device: Vec<u8>,
    pub zap_enforce_domain: bool,
    pub loopback_fastpath: bool,
    pub multicast_loop: bool,
    pub in_batch_size: i32,
    pub out_batch_size: i32,
    /// Not an option: the context's ZERO_COPY_RECV when the socket was made.
    pub zero_copy: bool,
    /// METADATA properties, "X-key" to value; the first value set for a key
    /// stays (libzmq inserts into a std::map, which keeps the old entry).
    pub app_metadata: BTreeMap<Vec<u8>, Vec<u8>>,
    pub hello_msg: Vec<u8>,
    /// Not an option: whether HELLO_MSG applies to this socket type.
    pub can_send_hello_msg: bool,
    pub disconnect_msg: Vec<u8>,
    /// Not an option: whether DISCONNECT_MSG applies to this socket type.
    pub can_recv_disconnect_msg: bool,
    /// HICCUP_MSG (draft, libzmq 4.3.5): delivered to a connecting DEALER,
    /// CLIENT or PEER when its connection drops.
    pub hiccup_msg: Vec<u8>,
    pub can_recv_hiccup_msg: bool,
}

impl Options {
    /// Defaults for a new socket of `socket_type` in a context with `ctx` options:
    /// LINGER is -1, or 0 when the context's BLOCKY is false; IPV6 comes from the context.
    pub fn new(socket_type: i32, ctx: &CtxOptions) -> Options {
        // XSUB (and so SUB) and DISH set linger to 0 in their constructors,
        // whatever BLOCKY says: pending subscriptions must not hold up close.
        let linger = match socket_type {
            SUB | XSUB | DISH => 0,
            _ if ctx.blocky => -1,
            _ => 0,
        };
        Options {
            socket_type,
            sndhwm: 1000,
            rcvhwm: 1000,
            affinity: 0,
            routing_id: Vec::new(),
            rate: 100,
            recovery_ivl: 10000,
            multicast_hops: 1,
            multicast_maxtpdu: 1500,
            sndbuf: -1,
            rcvbuf: -1,
            tos: 0,
            priority: 0,
            busy_poll: 0,
            linger,
            connect_timeout: 0,
            tcp_maxrt: 0,
            reconnect_stop: 0,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            maxmsgsize: -1,
            rcvtimeo: -1,
            sndtimeo: -1,
            ipv6: ctx.ipv6,
            immediate: false,
            filter: socket_type == SUB,
            invert_matching: false,
            // REP is a ROUTER underneath and inherits its constructor.
            recv_routing_id: matches!(socket_type, ROUTER | REP),
            raw_socket: matches!(socket_type, STREAM | DGRAM),
            socks_proxy_address: Vec::new(),
            wss_key_pem: Vec::new(),
            wss_cert_pem: Vec::new(),
            wss_trust_pem: Vec::new(),
            wss_hostname: Vec::new(),
            wss_trust_system: false,
            socks_proxy_username: Vec::new(),
            socks_proxy_password: Vec::new(),
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            tcp_accept_filters: Vec::new(),
            ipc_uid_accept_filters: BTreeSet::new(),
            ipc_gid_accept_filters: BTreeSet::new(),
            ipc_pid_accept_filters: BTreeSet::new(),
            mechanism: Mechanism::Null,
            as_server: false,
            zap_domain: Vec::new(),
            plain_username: Vec::new(),
            plain_password: Vec::new(),
            curve_public_key: [0; CURVE_KEY_SIZE],
            curve_secret_key: [0; CURVE_KEY_SIZE],
            curve_server_key: [0; CURVE_KEY_SIZE],
            conflate: false,
            handshake_ivl: 30000,
            heartbeat_ttl: 0,
            heartbeat_ivl: 0,
            heartbeat_timeout: -1,
            use_fd: -1,
            bound_device: Vec::new(),
            zap_enforce_domain: false,
            loopback_fastpath: false,
            multicast_loop: true,
            in_batch_size: 8192,
            out_batch_size: 8192,
            zero_copy: ctx.zero_copy_recv,
            app_metadata: BTreeMap::new(),
            hello_msg: Vec::new(),
            // REQ inherits DEALER's constructor, REP ROUTER's, PEER SERVER's.
            can_send_hello_msg: matches!(
                socket_type,
                DEALER | REQ | ROUTER | REP | SERVER | PEER | CLIENT
            ),
            disconnect_msg: Vec::new(),
            can_recv_disconnect_msg: matches!(socket_type, ROUTER | REP | SERVER | PEER),
            hiccup_msg: Vec::new(),
            can_recv_hiccup_msg: matches!(socket_type, DEALER | CLIENT | PEER),
        }
    }

    /// CONFLATE only takes effect on some socket types
    /// (libzmq's `get_effective_conflate_option`).
    pub fn effective_conflate(&self) -> bool {
        self.conflate && matches!(self.socket_type, DEALER | PULL | PUSH | PUB | SUB)
    }

    /// zmq_setsockopt for options_t-level options. `value` is None when
    /// optval was NULL. Returns Err(Error::Invalid) for a wrong length or
    /// value (or an option of a feature this build lacks), Ok(false) if the
    /// option number is not a generic option (so the caller tries the
    /// socket-type specific ones), Ok(true) when applied. A failed set
    /// changes nothing, except a CURVE key whose Z85 text goes bad part way
    /// (see `set_curve_key`).
    pub fn set(&mut self, option: i32, value: Option<&[u8]>) -> Result<bool> {
        match option {
            SNDHWM => self.sndhwm = int_where(value, |v| v >= 0)?,
            RCVHWM => self.rcvhwm = int_where(value, |v| v >= 0)?,
            AFFINITY => self.affinity = u64::from_ne_bytes(exact(value)?),
            ROUTING_ID => {
                self.routing_id = match value {
                    Some(v) if !v.is_empty() && v.len() <= UCHAR_MAX => v.to_vec(),
                    _ => return Err(Error::Invalid),
                }
            }
            RATE => self.rate = int_where(value, |v| v > 0)?,
            RECOVERY_IVL => self.recovery_ivl = int_where(value, |v| v >= 0)?,
            SNDBUF => self.sndbuf = int_where(value, |v| v >= -1)?,
            RCVBUF => self.rcvbuf = int_where(value, |v| v >= -1)?,
            TOS => self.tos = int_where(value, |v| v >= 0)?,
            LINGER => self.linger = int_where(value, |v| v >= -1)?,
            CONNECT_TIMEOUT => self.connect_timeout = int_where(value, |v| v >= 0)?,
            TCP_MAXRT => self.tcp_maxrt = int_where(value, |v| v >= 0)?,
            RECONNECT_STOP => self.reconnect_stop = int_where(value, |_| true)?,
            RECONNECT_IVL => self.reconnect_ivl = int_where(value, |v| v >= -1)?,
            RECONNECT_IVL_MAX => self.reconnect_ivl_max = int_where(value, |v| v >= 0)?,
            BACKLOG => self.backlog = int_where(value, |v| v >= 0)?,
            // Any int64, negative ones included (all mean "no limit").
            MAXMSGSIZE => self.maxmsgsize = i64::from_ne_bytes(exact(value)?),
            MULTICAST_HOPS => self.multicast_hops = int_where(value, |v| v > 0)?,
            MULTICAST_MAXTPDU => self.multicast_maxtpdu = int_where(value, |v| v > 0)?,
            RCVTIMEO => self.rcvtimeo = int_where(value, |v| v >= -1)?,
            SNDTIMEO => self.sndtimeo = int_where(value, |v| v >= -1)?,
            IPV4ONLY => self.ipv6 = !bool_strict(value)?,
            IPV6 => self.ipv6 = bool_strict(value)?,
            SOCKS_PROXY => self.socks_proxy_address = string_strict(value, usize::MAX)?,
            // wss:// (draft): any bytes, as libzmq's std::string(optval,
            // optvallen); NULL clears. Checked when a bind or connect uses
            // them.
            WSS_KEY_PEM if DRAFT => self.wss_key_pem = value.unwrap_or_default().to_vec(),
            WSS_CERT_PEM if DRAFT => self.wss_cert_pem = value.unwrap_or_default().to_vec(),
            WSS_TRUST_PEM if DRAFT => self.wss_trust_pem = value.unwrap_or_default().to_vec(),
            WSS_HOSTNAME if DRAFT => self.wss_hostname = value.unwrap_or_default().to_vec(),
            WSS_TRUST_SYSTEM if DRAFT => self.wss_trust_system = bool_strict(value)?,
            SOCKS_USERNAME | SOCKS_PASSWORD => {
                // Unlike every other string option, an empty non-NULL value
                // clears too.
                let s = match value {
                    None | Some([]) => Vec::new(),
                    Some(_) => string_strict(value, UCHAR_MAX)?,
                };
                if option == SOCKS_USERNAME {
                    self.socks_proxy_username = s;
                } else {
                    self.socks_proxy_password = s;
                }
            }
            TCP_KEEPALIVE => self.tcp_keepalive = int_where(value, |v| (-1..=1).contains(&v))?,
            TCP_KEEPALIVE_CNT => self.tcp_keepalive_cnt = int_where(value, |v| v >= -1)?,
            TCP_KEEPALIVE_IDLE => self.tcp_keepalive_idle = int_where(value, |v| v >= -1)?,
            TCP_KEEPALIVE_INTVL => self.tcp_keepalive_intvl = int_where(value, |v| v >= -1)?,
            IMMEDIATE => self.immediate = bool_strict(value)?,
            TCP_ACCEPT_FILTER => {
                let text = string_strict(value, UCHAR_MAX)?;
                if text.is_empty() {
                    self.tcp_accept_filters.clear();
                } else {
                    // Resolved with the IPV6 value current at this moment.
                    let filter = TcpAcceptFilter::parse(&text, self.ipv6)?;
                    self.tcp_accept_filters.push(filter);
                }
            }
            IPC_FILTER_UID => {
                set_filter(&mut self.ipc_uid_accept_filters, value, u32::from_ne_bytes)?
            }
            IPC_FILTER_GID => {
                set_filter(&mut self.ipc_gid_accept_filters, value, u32::from_ne_bytes)?
            }
            IPC_FILTER_PID => {
                set_filter(&mut self.ipc_pid_accept_filters, value, i32::from_ne_bytes)?
            }
            PLAIN_SERVER => {
                self.as_server = bool_strict(value)?;
                self.mechanism = if self.as_server {
                    Mechanism::Plain
                } else {
                    Mechanism::Null
                };
            }
            PLAIN_USERNAME | PLAIN_PASSWORD => match value {
                // NULL resets the mechanism but keeps the stored string and
                // the server flag.
                None => self.mechanism = Mechanism::Null,
                Some(v) if !v.is_empty() && v.len() <= UCHAR_MAX => {
                    if option == PLAIN_USERNAME {
                        self.plain_username = v.to_vec();
                    } else {
                        self.plain_password = v.to_vec();
                    }
                    self.as_server = false;
                    self.mechanism = Mechanism::Plain;
                }
                Some(_) => return Err(Error::Invalid),
            },
            // "Relaxed": NULL or empty is rejected, so a ZAP domain, once set,
            // cannot be cleared.
            ZAP_DOMAIN => self.zap_domain = string_relaxed(value, UCHAR_MAX)?,
            CURVE_SERVER => {
                self.as_server = bool_strict(value)?;
                self.mechanism = if self.as_server {
                    Mechanism::Curve
                } else {
                    Mechanism::Null
                };
            }
            CURVE_PUBLICKEY => {
                set_curve_key(&mut self.curve_public_key, value)?;
                self.mechanism = Mechanism::Curve;
            }
            CURVE_SECRETKEY => {
                set_curve_key(&mut self.curve_secret_key, value)?;
                self.mechanism = Mechanism::Curve;
            }
            CURVE_SERVERKEY => {
                set_curve_key(&mut self.curve_server_key, value)?;
                self.mechanism = Mechanism::Curve;
                self.as_server = false;
            }
            CONFLATE => self.conflate = bool_strict(value)?,
            HANDSHAKE_IVL => self.handshake_ivl = int_where(value, |v| v >= 0)?,
            INVERT_MATCHING => self.invert_matching = bool_relaxed(value)?,
            HEARTBEAT_IVL => self.heartbeat_ivl = int_where(value, |v| v >= 0)?,
            HEARTBEAT_TTL => {
                // libzmq divides before range-checking (truncating toward
                // zero), so -99..=-1 are accepted as 0 and 6553599 is the
                // largest value accepted; the get reports a multiple of 100.
                let deciseconds = int_of(value).ok_or(Error::Invalid)? / MS_PER_DECISECOND;
                self.heartbeat_ttl = u16::try_from(deciseconds).map_err(|_| Error::Invalid)?;
            }
            // Once set, it cannot go back to -1 ("use the interval").
            HEARTBEAT_TIMEOUT => self.heartbeat_timeout = int_where(value, |v| v >= 0)?,
            USE_FD => self.use_fd = int_where(value, |v| v >= -1)?,
            BINDTODEVICE => self.bound_device = string_strict(value, BINDTODEVICE_MAX)?,
            ZAP_ENFORCE_DOMAIN => self.zap_enforce_domain = bool_relaxed(value)?,
            LOOPBACK_FASTPATH => self.loopback_fastpath = bool_relaxed(value)?,
            METADATA => {
                let (key, val) = parse_metadata(value).ok_or(Error::Invalid)?;
                self.app_metadata.entry(key).or_insert(val);
            }
            MULTICAST_LOOP => self.multicast_loop = bool_relaxed(value)?,
            IN_BATCH_SIZE if DRAFT => self.in_batch_size = int_where(value, |v| v > 0)?,
            OUT_BATCH_SIZE if DRAFT => self.out_batch_size = int_where(value, |v| v > 0)?,
            HELLO_MSG if DRAFT => self.hello_msg = value.unwrap_or_default().to_vec(),
            DISCONNECT_MSG if DRAFT => self.disconnect_msg = value.unwrap_or_default().to_vec(),
            HICCUP_MSG if DRAFT => self.hiccup_msg = value.unwrap_or_default().to_vec(),
            PRIORITY if DRAFT => self.priority = int_where(value, |v| v >= 0)?,
            BUSY_POLL if DRAFT => self.busy_poll = int_where(value, |_| true)?,
            // Options of features this build lacks: EINVAL, as libzmq built
            // without gssapi or vmci answers.
            GSSAPI_SERVER
            | GSSAPI_PRINCIPAL
            | GSSAPI_SERVICE_PRINCIPAL
            | GSSAPI_PLAINTEXT
            | GSSAPI_PRINCIPAL_NAMETYPE
            | GSSAPI_SERVICE_PRINCIPAL_NAMETYPE
            | VMCI_BUFFER_SIZE
            | VMCI_BUFFER_MIN_SIZE
            | VMCI_BUFFER_MAX_SIZE
            | VMCI_CONNECT_TIMEOUT => return Err(Error::Invalid),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// zmq_getsockopt: writes into `out` (whose length is the caller's
    /// *optvallen) and returns Ok(Some(bytes_written)), the value to store
    /// back in *optvallen; Ok(None) if not a generic option (TYPE and the
    /// other socket-state options included); Err(Invalid) for a too-small or
    /// wrong-size buffer.
    ///
    /// Integers need a buffer of exactly their size. Strings need room for
    /// the value and its NUL, the rest of the buffer is zeroed and the
    /// returned length (the new *optvallen) counts the NUL; ROUTING_ID works
    /// the same without a NUL. CURVE keys take exactly 32 (binary) or 41
    /// (Z85 plus NUL) bytes.
    pub fn get(&self, option: i32, out: &mut [u8]) -> Result<Option<usize>> {
        let written = match option {
            SNDHWM => put_int(out, self.sndhwm)?,
            RCVHWM => put_int(out, self.rcvhwm)?,
            AFFINITY => put_exact(out, &self.affinity.to_ne_bytes())?,
            ROUTING_ID => put_bytes(out, &self.routing_id)?,
            RATE => put_int(out, self.rate)?,
            RECOVERY_IVL => put_int(out, self.recovery_ivl)?,
            SNDBUF => put_int(out, self.sndbuf)?,
            RCVBUF => put_int(out, self.rcvbuf)?,
            TOS => put_int(out, self.tos)?,
            LINGER => put_int(out, self.linger)?,
            CONNECT_TIMEOUT => put_int(out, self.connect_timeout)?,
            TCP_MAXRT => put_int(out, self.tcp_maxrt)?,
            RECONNECT_STOP => put_int(out, self.reconnect_stop)?,
            RECONNECT_IVL => put_int(out, self.reconnect_ivl)?,
            RECONNECT_IVL_MAX => put_int(out, self.reconnect_ivl_max)?,
            BACKLOG => put_int(out, self.backlog)?,
            MAXMSGSIZE => put_exact(out, &self.maxmsgsize.to_ne_bytes())?,
            MULTICAST_HOPS => put_int(out, self.multicast_hops)?,
            MULTICAST_MAXTPDU => put_int(out, self.multicast_maxtpdu)?,
            RCVTIMEO => put_int(out, self.rcvtimeo)?,
            SNDTIMEO => put_int(out, self.sndtimeo)?,
            IPV4ONLY => put_int(out, i32::from(!self.ipv6))?,
            IPV6 => put_int(out, i32::from(self.ipv6))?,
            IMMEDIATE => put_int(out, i32::from(self.immediate))?,
            SOCKS_PROXY => put_string(out, &self.socks_proxy_address)?,
            SOCKS_USERNAME => put_string(out, &self.socks_proxy_username)?,
            SOCKS_PASSWORD => put_string(out, &self.socks_proxy_password)?,
            TCP_KEEPALIVE => put_int(out, self.tcp_keepalive)?,
            TCP_KEEPALIVE_CNT => put_int(out, self.tcp_keepalive_cnt)?,
            TCP_KEEPALIVE_IDLE => put_int(out, self.tcp_keepalive_idle)?,
            TCP_KEEPALIVE_INTVL => put_int(out, self.tcp_keepalive_intvl)?,
            MECHANISM => put_int(out, self.mechanism.as_i32())?,
            // "Is a server" only counts for the mechanism in force.
            PLAIN_SERVER => put_int(
                out,
                i32::from(self.as_server && self.mechanism == Mechanism::Plain),
            )?,
            PLAIN_USERNAME => put_string(out, &self.plain_username)?,
            PLAIN_PASSWORD => put_string(out, &self.plain_password)?,
            ZAP_DOMAIN => put_string(out, &self.zap_domain)?,
            CURVE_SERVER => put_int(
                out,
                i32::from(self.as_server && self.mechanism == Mechanism::Curve),
            )?,
            CURVE_PUBLICKEY => put_curve_key(out, &self.curve_public_key)?,
            CURVE_SECRETKEY => put_curve_key(out, &self.curve_secret_key)?,
            CURVE_SERVERKEY => put_curve_key(out, &self.curve_server_key)?,
            CONFLATE => put_int(out, i32::from(self.conflate))?,
            HANDSHAKE_IVL => put_int(out, self.handshake_ivl)?,
            INVERT_MATCHING => put_int(out, i32::from(self.invert_matching))?,
            HEARTBEAT_IVL => put_int(out, self.heartbeat_ivl)?,
            HEARTBEAT_TTL => put_int(out, i32::from(self.heartbeat_ttl) * MS_PER_DECISECOND)?,
            HEARTBEAT_TIMEOUT => put_int(out, self.heartbeat_timeout)?,
            USE_FD => put_int(out, self.use_fd)?,
            BINDTODEVICE => put_string(out, &self.bound_device)?,
            ZAP_ENFORCE_DOMAIN => put_int(out, i32::from(self.zap_enforce_domain))?,
            LOOPBACK_FASTPATH => put_int(out, i32::from(self.loopback_fastpath))?,
            MULTICAST_LOOP => put_int(out, i32::from(self.multicast_loop))?,
            IN_BATCH_SIZE if DRAFT => put_int(out, self.in_batch_size)?,
            OUT_BATCH_SIZE if DRAFT => put_int(out, self.out_batch_size)?,
            PRIORITY if DRAFT => put_int(out, self.priority)?,
            BUSY_POLL if DRAFT => put_int(out, self.busy_poll)?,
            // Set-only or absent options (TCP_ACCEPT_FILTER, IPC filters,
            // METADATA, HELLO_MSG, GSSAPI, VMCI, ...) are not readable.
            _ => return Ok(None),
        };
        Ok(Some(written))
    }
}

// ---- value decoding (setsockopt) -------------------------------------------

/// The value as a C `int`, if it is exactly `sizeof(int)` bytes.
pub(super) fn int_of(value: Option<&[u8]>) -> Option<i32> {
    value
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(i32::from_ne_bytes)
}

/// An int that satisfies `valid`, or EINVAL.
pub(super) fn int_where(value: Option<&[u8]>, valid: impl Fn(i32) -> bool) -> Result<i32> {
    int_of(value).filter(|v| valid(*v)).ok_or(Error::Invalid)
}

/// libzmq's `do_setsockopt_int_as_bool_strict`: only 0 and 1.
pub(super) fn bool_strict(value: Option<&[u8]>) -> Result<bool> {
    match int_of(value) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(Error::Invalid),
    }
}

/// libzmq's `do_setsockopt_int_as_bool_relaxed`: any int, non-zero is true.
pub(super) fn bool_relaxed(value: Option<&[u8]>) -> Result<bool> {
    int_of(value).map(|v| v != 0).ok_or(Error::Invalid)
}

/// A fixed-size value (uint64 / int64 options).
fn exact<const N: usize>(value: Option<&[u8]>) -> Result<[u8; N]> {
    value
        .and_then(|v| <[u8; N]>::try_from(v).ok())
        .ok_or(Error::Invalid)
}

/// `do_setsockopt_string_allow_empty_strict`: NULL with length 0 clears,
/// otherwise 1..=max bytes; a non-NULL empty value is rejected.
fn string_strict(value: Option<&[u8]>, max: usize) -> Result<Vec<u8>> {
    match value {
        None => Ok(Vec::new()),
        Some(v) if !v.is_empty() && v.len() <= max => Ok(v.to_vec()),
        Some(_) => Err(Error::Invalid),
    }
}

/// `do_setsockopt_string_allow_empty_relaxed` (misnamed): 1..=max bytes,
/// nothing can clear it.
fn string_relaxed(value: Option<&[u8]>, max: usize) -> Result<Vec<u8>> {
    match value {
        Some(v) if !v.is_empty() && v.len() <= max => Ok(v.to_vec()),
        _ => Err(Error::Invalid),
    }
}

/// `do_setsockopt_set`: NULL clears the set, a 4-byte value is added.
fn set_filter<T: Ord>(
    set: &mut BTreeSet<T>,
    value: Option<&[u8]>,
    decode: fn([u8; 4]) -> T,
) -> Result<()> {
    match value {
        None => set.clear(),
        Some(v) => {
            let raw = <[u8; 4]>::try_from(v).map_err(|_| Error::Invalid)?;
            set.insert(decode(raw));
        }
    }
    Ok(())
}

/// A CURVE key: 32 raw bytes, 40 Z85 characters, or 41 with a NUL.
///
/// As in libzmq the text is read as a C string, so it ends at the first NUL:
/// 20 characters then a NUL decode only the first 16 bytes and leave the rest
/// of the key as it was. Decoding writes group by group, so a bad group
/// fails with EINVAL after the groups before it were stored.
fn set_curve_key(key: &mut [u8; CURVE_KEY_SIZE], value: Option<&[u8]>) -> Result<()> {
    let v = value.unwrap_or_default();
    match v.len() {
        CURVE_KEY_SIZE => {
            key.copy_from_slice(v);
            Ok(())
        }
        CURVE_KEY_SIZE_Z85 | 41 => {
            let text = until_nul(v);
            if text.len() < 5 || text.len() % 5 != 0 {
                return Err(Error::Invalid);
            }
            for (group, dest) in text.chunks_exact(5).zip(key.chunks_exact_mut(4)) {
                let bytes = z85::decode(group).ok_or(Error::Invalid)?;
                dest.copy_from_slice(&bytes);
            }
            Ok(())
        }
        _ => Err(Error::Invalid),
    }
}

/// METADATA: "X-key:value" with a non-empty value and a key of at most 255
/// bytes starting with "X-" (case-sensitive). The value may contain ':'.
/// A 4-byte value is rejected whatever it says: libzmq checks `!is_int`.
fn parse_metadata(value: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
    let v = value.filter(|v| !v.is_empty() && v.len() != 4)?;
    let colon = v.iter().position(|&b| b == b':')?;
    if colon == 0 || colon == v.len() - 1 {
        return None;
    }
    let key = &v[..colon];
    if !key.starts_with(b"X-") || key.len() > UCHAR_MAX {
        return None;
    }
    Some((key.to_vec(), v[colon + 1..].to_vec()))
}

/// A C string view: everything before the first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

// ---- value encoding (getsockopt) -------------------------------------------

/// An int needs a buffer of exactly `sizeof(int)`.
pub(super) fn put_int(out: &mut [u8], value: i32) -> Result<usize> {
    put_exact(out, &value.to_ne_bytes())
}

fn put_exact(out: &mut [u8], bytes: &[u8]) -> Result<usize> {
    if out.len() != bytes.len() {
        return Err(Error::Invalid);
    }
    out.copy_from_slice(bytes);
    Ok(bytes.len())
}

/// libzmq's binary `do_getsockopt`: the buffer must be at least as long as
/// the value; the value is copied, the rest of the buffer zeroed.
fn put_bytes(out: &mut [u8], bytes: &[u8]) -> Result<usize> {
    if out.len() < bytes.len() {
        return Err(Error::Invalid);
    }
    let (head, tail) = out.split_at_mut(bytes.len());
    head.copy_from_slice(bytes);
    tail.fill(0);
    Ok(bytes.len())
}

/// A string with its NUL (the zeroed tail provides it).
fn put_string(out: &mut [u8], s: &[u8]) -> Result<usize> {
    if out.len() < s.len() + 1 {
        return Err(Error::Invalid);
    }
    put_bytes(out, s).map(|n| n + 1)
}

/// 32 bytes give the raw key, 41 the Z85 text and a NUL; nothing else.
fn put_curve_key(out: &mut [u8], key: &[u8; CURVE_KEY_SIZE]) -> Result<usize> {
    match out.len() {
        CURVE_KEY_SIZE => {
            out.copy_from_slice(key);
            Ok(CURVE_KEY_SIZE)
        }
        41 => {
            let text = z85::encode(key).ok_or(Error::Invalid)?;
            out[..CURVE_KEY_SIZE_Z85].copy_from_slice(&text);
            out[CURVE_KEY_SIZE_Z85] = 0;
            Ok(41)
        }
        _ => Err(Error::Invalid),
    }
}

// ---- TCP accept filter address parsing -------------------------------------

/// What libzmq's `ip_resolver_t` accepts with DNS and NIC names off and no
/// port: optional brackets, an optional `%zone` (validated, then dropped),
/// and a numeric address as glibc's getaddrinfo(AI_NUMERICHOST) reads it.
fn resolve_numeric(text: &[u8], ipv6: bool) -> Option<IpAddr> {
    let mut addr = text;
    if addr.len() >= 2 && addr[0] == b'[' && addr[addr.len() - 1] == b']' {
        addr = &addr[1..addr.len() - 1];
    }
    if let Some(pct) = addr.iter().rposition(|&b| b == b'%') {
        let zone = &addr[pct + 1..];
        let first = *zone.first()?;
        let zone_id = if first.is_ascii_alphabetic() {
            interface_index(zone)
        } else {
            // atoi; a negative number becomes a large unsigned id.
            c_strtol(zone) as i32 as u32
        };
        if zone_id == 0 {
            return None;
        }
        addr = &addr[..pct];
    }
    if let Some(v4) = parse_inet_aton_exact(addr) {
        return Some(if ipv6 {
            IpAddr::V6(v4.to_ipv6_mapped())
        } else {
            IpAddr::V4(v4)
        });
    }
    let v6: Ipv6Addr = std::str::from_utf8(addr).ok()?.parse().ok()?;
    if ipv6 {
        Some(IpAddr::V6(v6))
    } else {
        // Asked for AF_INET, glibc still accepts an IPv4-mapped address.
        v6.to_ipv4_mapped().map(IpAddr::V4)
    }
}

/// if_nametoindex without FFI: the kernel publishes the index in sysfs.
fn interface_index(name: &[u8]) -> u32 {
    const IFNAMSIZ: usize = 16;
    let Ok(name) = std::str::from_utf8(name) else {
        return 0;
    };
    if name.len() >= IFNAMSIZ || name.contains('/') || name == "." || name == ".." {
        return 0;
    }
    std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// glibc's `inet_aton_exact`: 1 to 4 parts, each decimal, octal (leading 0)
/// or hex (0x); the last part fills the remaining bytes ("127.1").
fn parse_inet_aton_exact(s: &[u8]) -> Option<Ipv4Addr> {
    let mut parts: Vec<u64> = Vec::with_capacity(4);
    let mut i = 0;
    let last = loop {
        if !s.get(i)?.is_ascii_digit() {
            return None;
        }
        let (value, next) = c_strtoul_base0(s, i);
        if value > 0xffff_ffff {
            return None;
        }
        i = next;
        if s.get(i) == Some(&b'.') {
            if parts.len() >= 3 || value > 0xff {
                return None;
            }
            parts.push(value);
            i += 1;
        } else {
            break value;
        }
    };
    if i != s.len() {
        return None;
    }
    let remaining_bits = 32 - 8 * parts.len() as u32;
    if remaining_bits < 32 && last >= 1u64 << remaining_bits {
        return None;
    }
    let mut word = last;
    for (k, part) in parts.iter().enumerate() {
        word |= part << (24 - 8 * k);
    }
    Some(Ipv4Addr::from(word as u32))
}

/// strtoul(s + start, &end, 0) for text starting with a digit: returns the
/// value (saturated) and the index after the digits consumed.
fn c_strtoul_base0(s: &[u8], start: usize) -> (u64, usize) {
    let (radix, mut i) = match (s.get(start), s.get(start + 1), s.get(start + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(c)) if c.is_ascii_hexdigit() => (16, start + 2),
        (Some(b'0'), _, _) => (8, start),
        _ => (10, start),
    };
    let mut value: u64 = 0;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        value = value
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        i += 1;
    }
    (value, i)
}

/// strtol(s, NULL, 10) / atoi: leading white space, a sign, digits, and
/// anything after ignored; saturates like strtol.
fn c_strtol(s: &[u8]) -> i64 {
    let mut i = 0;
    while s
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
        i += 1;
    }
    if negative {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CtxOptions {
        CtxOptions::default()
    }

    fn pair() -> Options {
        Options::new(0, &ctx())
    }

    fn int(v: i32) -> Vec<u8> {
        v.to_ne_bytes().to_vec()
    }

    fn set_int(o: &mut Options, option: i32, v: i32) -> Result<bool> {
        o.set(option, Some(&int(v)))
    }

    fn get_int(o: &Options, option: i32) -> i32 {
        let mut b = [0u8; 4];
        assert_eq!(o.get(option, &mut b), Ok(Some(4)), "get {option}");
        i32::from_ne_bytes(b)
    }

    fn get_vec(o: &Options, option: i32, len: usize) -> Result<Option<Vec<u8>>> {
        let mut b = vec![0xAAu8; len];
        o.get(option, &mut b).map(|n| n.map(|n| b[..n].to_vec()))
    }

    const KEY: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 26, 27, 28, 29, 30, 31,
    ];

    fn key_z85() -> Vec<u8> {
        z85::encode(&KEY).unwrap()
    }

    #[test]
    fn int_defaults_match_libzmq() {
        let o = pair();
        for (option, want) in [
            (SNDHWM, 1000),
            (RCVHWM, 1000),
            (RATE, 100),
            (RECOVERY_IVL, 10000),
            (SNDBUF, -1),
            (RCVBUF, -1),
            (LINGER, -1),
            (RECONNECT_IVL, 100),
            (BACKLOG, 100),
            (RECONNECT_IVL_MAX, 0),
            (MULTICAST_HOPS, 1),
            (RCVTIMEO, -1),
            (SNDTIMEO, -1),
            (IPV4ONLY, 1),
            (TCP_KEEPALIVE, -1),
            (TCP_KEEPALIVE_CNT, -1),
            (TCP_KEEPALIVE_IDLE, -1),
            (TCP_KEEPALIVE_INTVL, -1),
            (IMMEDIATE, 0),
            (IPV6, 0),
            (MECHANISM, 0),
            (PLAIN_SERVER, 0),
            (CURVE_SERVER, 0),
            (CONFLATE, 0),
            (TOS, 0),
            (HANDSHAKE_IVL, 30000),
            (INVERT_MATCHING, 0),
            (HEARTBEAT_IVL, 0),
            (HEARTBEAT_TTL, 0),
            (HEARTBEAT_TIMEOUT, -1),
            (CONNECT_TIMEOUT, 0),
            (TCP_MAXRT, 0),
            (MULTICAST_MAXTPDU, 1500),
            (USE_FD, -1),
            (ZAP_ENFORCE_DOMAIN, 0),
            (LOOPBACK_FASTPATH, 0),
            (MULTICAST_LOOP, 1),
            (RECONNECT_STOP, 0),
        ] {
            assert_eq!(get_int(&o, option), want, "option {option}");
        }
    }

    #[cfg(feature = "draft")]
    #[test]
    fn draft_int_defaults_match_libzmq() {
        let o = pair();
        assert_eq!(get_int(&o, IN_BATCH_SIZE), 8192);
        assert_eq!(get_int(&o, OUT_BATCH_SIZE), 8192);
        assert_eq!(get_int(&o, PRIORITY), 0);
    }

    #[test]
    fn linger_defaults_to_minus_one_when_ctx_blocky() {
        assert_eq!(get_int(&pair(), LINGER), -1);
    }

    #[test]
    fn linger_defaults_to_zero_when_ctx_not_blocky() {
        let c = CtxOptions {
            blocky: false,
            ..CtxOptions::default()
        };
        for t in 0..=20 {
            assert_eq!(Options::new(t, &c).linger, 0, "type {t}");
        }
    }

    #[test]
    fn linger_defaults_to_zero_on_sub_xsub_and_dish_even_when_blocky() {
        for t in [SUB, XSUB, DISH] {
            assert_eq!(get_int(&Options::new(t, &ctx()), LINGER), 0, "type {t}");
        }
        assert_eq!(Options::new(PUB, &ctx()).linger, -1);
    }

    #[test]
    fn ipv6_default_comes_from_ctx() {
        let c = CtxOptions {
            ipv6: true,
            ..CtxOptions::default()
        };
        let o = Options::new(0, &c);
        assert_eq!(get_int(&o, IPV6), 1);
        assert_eq!(get_int(&o, IPV4ONLY), 0);
    }

    #[test]
    fn zero_copy_default_comes_from_ctx() {
        let c = CtxOptions {
            zero_copy_recv: false,
            ..CtxOptions::default()
        };
        assert!(!Options::new(0, &c).zero_copy);
        assert!(pair().zero_copy);
    }

    #[test]
    fn type_specific_internal_flags_follow_libzmq_constructors() {
        let o = |t| Options::new(t, &ctx());
        assert!(o(SUB).filter && !o(XSUB).filter);
        assert!(o(ROUTER).recv_routing_id && o(REP).recv_routing_id);
        assert!(!o(DEALER).recv_routing_id);
        assert!(o(STREAM).raw_socket && o(DGRAM).raw_socket && !o(ROUTER).raw_socket);
        for t in [DEALER, REQ, ROUTER, REP, SERVER, PEER, CLIENT] {
            assert!(o(t).can_send_hello_msg, "type {t}");
        }
        assert!(!o(PUB).can_send_hello_msg);
        for t in [ROUTER, REP, SERVER, PEER] {
            assert!(o(t).can_recv_disconnect_msg, "type {t}");
        }
        assert!(!o(DEALER).can_recv_disconnect_msg);
    }

    #[test]
    fn int_options_need_exact_int_length() {
        let mut o = pair();
        assert_eq!(o.set(SNDHWM, Some(&[1, 0])), Err(Error::Invalid));
        assert_eq!(
            o.set(SNDHWM, Some(&5i64.to_ne_bytes())),
            Err(Error::Invalid)
        );
        assert_eq!(o.set(SNDHWM, None), Err(Error::Invalid));
        assert_eq!(o.set(SNDHWM, Some(&[])), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, SNDHWM, 5), Ok(true));
        for len in [0, 1, 3, 5, 8] {
            let mut b = vec![0u8; len];
            assert_eq!(o.get(SNDHWM, &mut b), Err(Error::Invalid), "len {len}");
        }
        assert_eq!(get_int(&o, SNDHWM), 5);
    }

    #[test]
    fn hwm_must_be_non_negative() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, SNDHWM, -1), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, RCVHWM, -1), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, SNDHWM, 0), Ok(true));
        assert_eq!(set_int(&mut o, RCVHWM, 7), Ok(true));
        assert_eq!((o.sndhwm, o.rcvhwm), (0, 7));
    }

    #[test]
    fn linger_accepts_minus_one_and_rejects_below() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, LINGER, -2), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, LINGER, 250), Ok(true));
        assert_eq!(get_int(&o, LINGER), 250);
        assert_eq!(set_int(&mut o, LINGER, -1), Ok(true));
        assert_eq!(get_int(&o, LINGER), -1);
    }

    #[test]
    fn rate_multicast_hops_and_maxtpdu_must_be_positive() {
        for option in [RATE, MULTICAST_HOPS, MULTICAST_MAXTPDU] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, 0), Err(Error::Invalid));
            assert_eq!(set_int(&mut o, option, 1), Ok(true));
            assert_eq!(get_int(&o, option), 1);
        }
    }

    #[test]
    fn minus_one_means_default_for_buffers_timeouts_and_reconnect() {
        for option in [SNDBUF, RCVBUF, RCVTIMEO, SNDTIMEO, RECONNECT_IVL, USE_FD] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, -2), Err(Error::Invalid), "{option}");
            assert_eq!(set_int(&mut o, option, 42), Ok(true));
            assert_eq!(set_int(&mut o, option, -1), Ok(true));
            assert_eq!(get_int(&o, option), -1);
        }
    }

    #[test]
    fn non_negative_int_options_reject_minus_one() {
        for option in [
            RECOVERY_IVL,
            TOS,
            CONNECT_TIMEOUT,
            TCP_MAXRT,
            RECONNECT_IVL_MAX,
            BACKLOG,
            HANDSHAKE_IVL,
            HEARTBEAT_IVL,
        ] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, -1), Err(Error::Invalid), "{option}");
            assert_eq!(set_int(&mut o, option, 0), Ok(true));
            assert_eq!(set_int(&mut o, option, i32::MAX), Ok(true));
            assert_eq!(get_int(&o, option), i32::MAX);
        }
    }

    #[test]
    fn tcp_keepalive_takes_only_minus_one_zero_or_one() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, TCP_KEEPALIVE, 2), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, TCP_KEEPALIVE, -2), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, TCP_KEEPALIVE, 1), Ok(true));
        assert_eq!(get_int(&o, TCP_KEEPALIVE), 1);
        assert_eq!(set_int(&mut o, TCP_KEEPALIVE, -1), Ok(true));
    }

    #[test]
    fn tcp_keepalive_tuning_accepts_minus_one_and_up() {
        for option in [TCP_KEEPALIVE_CNT, TCP_KEEPALIVE_IDLE, TCP_KEEPALIVE_INTVL] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, -2), Err(Error::Invalid));
            assert_eq!(set_int(&mut o, option, 30), Ok(true));
            assert_eq!(get_int(&o, option), 30);
        }
    }

    #[test]
    fn immediate_conflate_ipv6_are_strict_booleans() {
        for option in [IMMEDIATE, CONFLATE, IPV6, IPV4ONLY] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, 2), Err(Error::Invalid), "{option}");
            assert_eq!(set_int(&mut o, option, -1), Err(Error::Invalid), "{option}");
            assert_eq!(set_int(&mut o, option, 1), Ok(true));
            assert_eq!(get_int(&o, option), 1);
        }
    }

    #[test]
    fn relaxed_booleans_accept_any_int_and_report_one() {
        for option in [
            INVERT_MATCHING,
            ZAP_ENFORCE_DOMAIN,
            LOOPBACK_FASTPATH,
            MULTICAST_LOOP,
        ] {
            let mut o = pair();
            assert_eq!(set_int(&mut o, option, 7), Ok(true));
            assert_eq!(get_int(&o, option), 1);
            assert_eq!(set_int(&mut o, option, -3), Ok(true));
            assert_eq!(get_int(&o, option), 1);
            assert_eq!(set_int(&mut o, option, 0), Ok(true));
            assert_eq!(get_int(&o, option), 0);
            assert_eq!(o.set(option, Some(&[1])), Err(Error::Invalid));
        }
    }

    #[test]
    fn ipv4only_is_the_inverse_of_ipv6() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, IPV4ONLY, 0), Ok(true));
        assert_eq!(get_int(&o, IPV6), 1);
        assert_eq!(set_int(&mut o, IPV6, 0), Ok(true));
        assert_eq!(get_int(&o, IPV4ONLY), 1);
    }

    #[test]
    fn affinity_is_uint64_for_set_and_get() {
        let mut o = pair();
        assert_eq!(o.get(AFFINITY, &mut [0u8; 8]), Ok(Some(8)));
        assert_eq!(o.get(AFFINITY, &mut [0u8; 4]), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, AFFINITY, 1), Err(Error::Invalid));
        assert_eq!(o.set(AFFINITY, Some(&u64::MAX.to_ne_bytes())), Ok(true));
        assert_eq!(o.affinity, u64::MAX);
    }

    #[test]
    fn maxmsgsize_is_int64_and_accepts_any_value() {
        let mut o = pair();
        let mut b = [0u8; 8];
        assert_eq!(o.get(MAXMSGSIZE, &mut b), Ok(Some(8)));
        assert_eq!(i64::from_ne_bytes(b), -1);
        assert_eq!(o.set(MAXMSGSIZE, Some(&(-5i64).to_ne_bytes())), Ok(true));
        o.get(MAXMSGSIZE, &mut b).unwrap();
        assert_eq!(i64::from_ne_bytes(b), -5);
        assert_eq!(set_int(&mut o, MAXMSGSIZE, 5), Err(Error::Invalid));
        assert_eq!(o.get(MAXMSGSIZE, &mut [0u8; 4]), Err(Error::Invalid));
    }

    #[test]
    fn routing_id_must_be_1_to_255_bytes() {
        let mut o = pair();
        assert_eq!(o.set(ROUTING_ID, None), Err(Error::Invalid));
        assert_eq!(o.set(ROUTING_ID, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.set(ROUTING_ID, Some(&[7u8; 256])), Err(Error::Invalid));
        assert_eq!(o.set(ROUTING_ID, Some(&[7u8; 255])), Ok(true));
        assert_eq!(o.set(ROUTING_ID, Some(&[0])), Ok(true));
        assert_eq!(o.routing_id, vec![0]);
    }

    #[test]
    fn routing_id_get_is_binary_without_nul_and_zero_fills() {
        let mut o = pair();
        // Empty by default: any buffer, even an empty one, gets length 0.
        assert_eq!(get_vec(&o, ROUTING_ID, 0), Ok(Some(vec![])));
        o.set(ROUTING_ID, Some(b"hello")).unwrap();
        assert_eq!(get_vec(&o, ROUTING_ID, 4), Err(Error::Invalid));
        assert_eq!(get_vec(&o, ROUTING_ID, 5), Ok(Some(b"hello".to_vec())));
        let mut b = [0xAAu8; 7];
        assert_eq!(o.get(ROUTING_ID, &mut b), Ok(Some(5)));
        assert_eq!(&b, b"hello\0\0");
    }

    #[test]
    fn string_get_needs_room_for_nul_and_reports_length_with_nul() {
        let mut o = pair();
        o.set(ZAP_DOMAIN, Some(b"abc")).unwrap();
        assert_eq!(get_vec(&o, ZAP_DOMAIN, 3), Err(Error::Invalid));
        assert_eq!(get_vec(&o, ZAP_DOMAIN, 4), Ok(Some(b"abc\0".to_vec())));
        let mut b = [0xAAu8; 6];
        assert_eq!(o.get(ZAP_DOMAIN, &mut b), Ok(Some(4)));
        assert_eq!(&b, b"abc\0\0\0");
        // Empty strings still need one byte.
        assert_eq!(get_vec(&o, SOCKS_PROXY, 0), Err(Error::Invalid));
        assert_eq!(get_vec(&o, SOCKS_PROXY, 1), Ok(Some(vec![0])));
    }

    #[test]
    fn zap_domain_cannot_be_cleared_or_exceed_255_bytes() {
        let mut o = pair();
        assert_eq!(o.set(ZAP_DOMAIN, None), Err(Error::Invalid));
        assert_eq!(o.set(ZAP_DOMAIN, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.set(ZAP_DOMAIN, Some(&[b'd'; 256])), Err(Error::Invalid));
        assert_eq!(o.set(ZAP_DOMAIN, Some(&[b'd'; 255])), Ok(true));
    }

    #[test]
    fn socks_proxy_clears_with_null_but_rejects_empty() {
        let mut o = pair();
        assert_eq!(o.set(SOCKS_PROXY, Some(b"a")), Ok(true));
        assert_eq!(o.set(SOCKS_PROXY, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.socks_proxy_address, b"a");
        assert_eq!(o.set(SOCKS_PROXY, Some(&[b'p'; 1000])), Ok(true));
        assert_eq!(o.set(SOCKS_PROXY, None), Ok(true));
        assert!(o.socks_proxy_address.is_empty());
    }

    #[test]
    fn socks_username_and_password_clear_with_null_or_empty() {
        for option in [SOCKS_USERNAME, SOCKS_PASSWORD] {
            let mut o = pair();
            assert_eq!(o.set(option, Some(b"a")), Ok(true));
            assert_eq!(get_vec(&o, option, 3), Ok(Some(b"a\0".to_vec())));
            assert_eq!(o.set(option, Some(&[])), Ok(true));
            assert_eq!(get_vec(&o, option, 3), Ok(Some(vec![0])));
            assert_eq!(o.set(option, Some(b"b")), Ok(true));
            assert_eq!(o.set(option, None), Ok(true));
            assert_eq!(get_vec(&o, option, 1), Ok(Some(vec![0])));
            assert_eq!(o.set(option, Some(&[b'u'; 256])), Err(Error::Invalid));
            assert_eq!(o.set(option, Some(&[b'u'; 255])), Ok(true));
        }
    }

    #[test]
    fn bindtodevice_takes_up_to_16_bytes_and_null_clears() {
        let mut o = pair();
        assert_eq!(o.set(BINDTODEVICE, Some(&[b'e'; 17])), Err(Error::Invalid));
        assert_eq!(o.set(BINDTODEVICE, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.set(BINDTODEVICE, Some(&[b'e'; 16])), Ok(true));
        assert_eq!(get_vec(&o, BINDTODEVICE, 17).unwrap().unwrap().len(), 17);
        assert_eq!(o.set(BINDTODEVICE, None), Ok(true));
        assert_eq!(get_vec(&o, BINDTODEVICE, 3), Ok(Some(vec![0])));
    }

    #[test]
    fn plain_username_switches_to_plain_client() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, PLAIN_SERVER, 1), Ok(true));
        assert_eq!(get_int(&o, PLAIN_SERVER), 1);
        assert_eq!(o.set(PLAIN_USERNAME, Some(b"u")), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 1);
        assert_eq!(get_int(&o, PLAIN_SERVER), 0);
        assert_eq!(get_vec(&o, PLAIN_USERNAME, 4), Ok(Some(b"u\0".to_vec())));
    }

    #[test]
    fn plain_credentials_null_resets_mechanism_but_keeps_value() {
        for option in [PLAIN_USERNAME, PLAIN_PASSWORD] {
            let mut o = pair();
            o.set(option, Some(b"u")).unwrap();
            assert_eq!(o.set(option, None), Ok(true));
            assert_eq!(get_int(&o, MECHANISM), 0);
            assert_eq!(get_vec(&o, option, 2), Ok(Some(b"u\0".to_vec())));
            assert_eq!(o.set(option, Some(&[])), Err(Error::Invalid));
            assert_eq!(o.set(option, Some(&[b'x'; 256])), Err(Error::Invalid));
        }
    }

    #[test]
    fn plain_server_zero_resets_mechanism_to_null() {
        let mut o = pair();
        o.set(PLAIN_USERNAME, Some(b"u")).unwrap();
        assert_eq!(set_int(&mut o, PLAIN_SERVER, 0), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 0);
        assert_eq!(set_int(&mut o, PLAIN_SERVER, 2), Err(Error::Invalid));
    }

    #[test]
    fn curve_server_overrides_plain_server() {
        let mut o = pair();
        set_int(&mut o, PLAIN_SERVER, 1).unwrap();
        assert_eq!(set_int(&mut o, CURVE_SERVER, 1), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 2);
        assert_eq!(get_int(&o, PLAIN_SERVER), 0);
        assert_eq!(get_int(&o, CURVE_SERVER), 1);
        assert_eq!(set_int(&mut o, CURVE_SERVER, 0), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 0);
    }

    #[test]
    fn curve_serverkey_makes_the_socket_a_curve_client() {
        let mut o = pair();
        set_int(&mut o, CURVE_SERVER, 1).unwrap();
        assert_eq!(o.set(CURVE_SERVERKEY, Some(&key_z85())), Ok(true));
        assert_eq!(get_int(&o, MECHANISM), 2);
        assert_eq!(get_int(&o, CURVE_SERVER), 0);
        assert_eq!(o.curve_server_key, KEY);
    }

    #[test]
    fn curve_public_and_secret_keys_select_curve() {
        for option in [CURVE_PUBLICKEY, CURVE_SECRETKEY] {
            let mut o = pair();
            assert_eq!(o.set(option, Some(&KEY)), Ok(true));
            assert_eq!(get_int(&o, MECHANISM), 2);
        }
    }

    #[test]
    fn curve_key_accepts_32_raw_40_z85_or_41_with_nul() {
        let mut o = pair();
        assert_eq!(o.set(CURVE_PUBLICKEY, Some(&KEY)), Ok(true));
        let mut text = key_z85();
        assert_eq!(o.set(CURVE_SECRETKEY, Some(&text)), Ok(true));
        assert_eq!(o.curve_secret_key, KEY);
        text.push(0);
        o.curve_secret_key = [0; 32];
        assert_eq!(o.set(CURVE_SECRETKEY, Some(&text)), Ok(true));
        assert_eq!(o.curve_secret_key, KEY);
        for len in [0, 31, 33, 39, 42, 64] {
            let v = vec![b'0'; len];
            assert_eq!(
                o.set(CURVE_PUBLICKEY, Some(&v)),
                Err(Error::Invalid),
                "{len}"
            );
        }
        assert_eq!(o.set(CURVE_PUBLICKEY, None), Err(Error::Invalid));
    }

    #[test]
    fn curve_key_41_chars_without_nul_is_rejected() {
        let mut o = pair();
        let mut text = key_z85();
        text.push(b'0');
        assert_eq!(o.set(CURVE_PUBLICKEY, Some(&text)), Err(Error::Invalid));
        assert_eq!(get_int(&o, MECHANISM), 0);
    }

    #[test]
    fn curve_key_text_with_early_nul_decodes_only_the_prefix() {
        let mut o = pair();
        o.curve_public_key = [0xEE; 32];
        let mut text = key_z85();
        text[20] = 0;
        assert_eq!(o.set(CURVE_PUBLICKEY, Some(&text)), Ok(true));
        assert_eq!(o.curve_public_key[..16], KEY[..16]);
        assert_eq!(o.curve_public_key[16..], [0xEE; 16]);
    }

    #[test]
    fn curve_key_bad_group_fails_after_storing_earlier_groups() {
        let mut o = pair();
        o.set(CURVE_PUBLICKEY, Some(&KEY)).unwrap();
        let mut text = key_z85();
        text[..5].copy_from_slice(b"12345");
        text[7] = b' ';
        assert_eq!(o.set(CURVE_PUBLICKEY, Some(&text)), Err(Error::Invalid));
        // Captured from libzmq 4.3.4: bytes 0..4 decoded from "12345".
        assert_eq!(o.curve_public_key[..4], [0x03, 0x2f, 0x98, 0x8f]);
        assert_eq!(o.curve_public_key[4..], KEY[4..]);
    }

    #[test]
    fn curve_key_get_returns_binary_for_32_byte_buffer() {
        let mut o = pair();
        o.set(CURVE_SERVERKEY, Some(&KEY)).unwrap();
        assert_eq!(get_vec(&o, CURVE_SERVERKEY, 32), Ok(Some(KEY.to_vec())));
    }

    #[test]
    fn curve_key_get_returns_z85_for_41_byte_buffer() {
        let mut o = pair();
        o.set(CURVE_SERVERKEY, Some(&KEY)).unwrap();
        let mut want = key_z85();
        want.push(0);
        assert_eq!(get_vec(&o, CURVE_SERVERKEY, 41), Ok(Some(want)));
    }

    #[test]
    fn curve_key_get_rejects_other_lengths() {
        let o = pair();
        for len in [0, 4, 31, 33, 40, 42, 256] {
            assert_eq!(
                get_vec(&o, CURVE_PUBLICKEY, len),
                Err(Error::Invalid),
                "{len}"
            );
        }
    }

    #[test]
    fn heartbeat_ttl_is_stored_in_deciseconds() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, HEARTBEAT_TTL, 150), Ok(true));
        assert_eq!(get_int(&o, HEARTBEAT_TTL), 100);
        assert_eq!(set_int(&mut o, HEARTBEAT_TTL, 199), Ok(true));
        assert_eq!(o.heartbeat_ttl, 1);
        assert_eq!(set_int(&mut o, HEARTBEAT_TTL, 6_553_599), Ok(true));
        assert_eq!(get_int(&o, HEARTBEAT_TTL), 6_553_500);
    }

    #[test]
    fn heartbeat_ttl_range_is_checked_after_dividing() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, HEARTBEAT_TTL, -99), Ok(true));
        assert_eq!(get_int(&o, HEARTBEAT_TTL), 0);
        assert_eq!(set_int(&mut o, HEARTBEAT_TTL, -100), Err(Error::Invalid));
        assert_eq!(
            set_int(&mut o, HEARTBEAT_TTL, 6_553_600),
            Err(Error::Invalid)
        );
        assert_eq!(o.set(HEARTBEAT_TTL, Some(&[0, 0])), Err(Error::Invalid));
    }

    #[test]
    fn heartbeat_timeout_cannot_be_reset_to_minus_one() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, HEARTBEAT_TIMEOUT, -1), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, HEARTBEAT_TIMEOUT, 0), Ok(true));
        assert_eq!(get_int(&o, HEARTBEAT_TIMEOUT), 0);
    }

    #[test]
    fn reconnect_stop_accepts_any_int() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, RECONNECT_STOP, -7), Ok(true));
        assert_eq!(get_int(&o, RECONNECT_STOP), -7);
        assert_eq!(o.set(RECONNECT_STOP, Some(&[3])), Err(Error::Invalid));
    }

    #[test]
    fn tcp_accept_filter_adds_and_empty_clears() {
        let mut o = pair();
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"127.0.0.1")), Ok(true));
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"192.168.0.0/16")), Ok(true));
        assert_eq!(o.tcp_accept_filters.len(), 2);
        assert_eq!(o.tcp_accept_filters[1].prefix_len, 16);
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.set(TCP_ACCEPT_FILTER, None), Ok(true));
        assert!(o.tcp_accept_filters.is_empty());
        assert_eq!(o.get(TCP_ACCEPT_FILTER, &mut [0u8; 256]), Ok(None));
    }

    #[test]
    fn tcp_accept_filter_needs_ipv6_for_ipv6_addresses() {
        let mut o = pair();
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"::1")), Err(Error::Invalid));
        set_int(&mut o, IPV6, 1).unwrap();
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"::1")), Ok(true));
        // IPv4 text becomes v4-mapped under IPV6, so /33 is acceptable.
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"1.2.3.4/33")), Ok(true));
        assert_eq!(
            o.tcp_accept_filters[1].address,
            "::ffff:1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn tcp_accept_filter_ignores_text_after_nul() {
        let mut o = pair();
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"1.2.3.4\0zz")), Ok(true));
        assert_eq!(o.set(TCP_ACCEPT_FILTER, Some(b"\0zz")), Err(Error::Invalid));
    }

    /// Captured from libzmq 4.3.4 on Debian 12 (glibc 2.36): for each text,
    /// whether TCP_ACCEPT_FILTER accepts it with IPV6 off and on.
    const ACCEPT_FILTER_EXPECTED: &[(&str, bool, bool)] = &[
        ("127.0.0.1", true, true),
        ("127.1", true, true),
        ("127.0.1", true, true),
        ("0x7f.1", true, true),
        ("0X7F.0.0.1", true, true),
        ("017.0.0.1", true, true),
        ("08.0.0.1", false, false),
        ("0x", false, false),
        ("1..2", false, false),
        ("1.2.3.", false, false),
        ("1.2.3.4.5", false, false),
        ("256.1.1.1", false, false),
        ("1.2.3.256", false, false),
        ("1.2.65535", true, true),
        ("1.2.65536", false, false),
        ("1.16777215", true, true),
        ("1.16777216", false, false),
        ("4294967295", true, true),
        ("4294967296", false, false),
        ("1.2.3.4 ", false, false),
        (" 1.2.3.4", false, false),
        ("+1.2.3.4", false, false),
        ("1.2.3.4/", false, false),
        ("1.2.3.4/0", true, true),
        ("1.2.3.4/00", false, false),
        ("1.2.3.4/-0", false, false),
        ("1.2.3.4/+8", true, true),
        ("1.2.3.4/ 8", true, true),
        ("1.2.3.4/8 ", true, true),
        ("1.2.3.4/8x", true, true),
        ("1.2.3.4/x", false, false),
        ("1.2.3.4/32", true, true),
        ("1.2.3.4/33", false, true),
        ("1.2.3.4/1", true, true),
        ("1.2.3.4//8", false, false),
        ("/8", false, false),
        ("[1.2.3.4]", true, true),
        ("[1.2.3.4]/8", true, true),
        ("1.2.3.4%1", true, true),
        ("1.2.3.4%0", false, false),
        ("1.2.3.4%", false, false),
        ("1.2.3.4%lo", true, true),
        ("1.2.3.4%nosuchif", false, false),
        ("1.2.3.4%-1", true, true),
        ("1.2.3.4% 3", true, true),
        ("::1", false, true),
        ("::1/128", false, true),
        ("::1/129", false, false),
        ("[::1]", false, true),
        ("[::1]/64", false, true),
        ("::ffff:1.2.3.4", true, true),
        ("::ffff:1.2.3.4/96", false, true),
        ("fe80::1%lo", false, true),
        ("fe80::1%1", false, true),
        ("fe80::1%eth0x", false, false),
        ("1:2:3:4:5:6:7:8", false, true),
        ("1:2:3:4:5:6:7:8:9", false, false),
        ("1::2::3", false, false),
        ("12345::1", false, false),
        ("::1.2.3.4", false, true),
        ("::01.2.3.4", false, false),
        ("::1.2.3", false, false),
        ("ffff::", false, true),
        ("FFFF::", false, true),
        ("::", false, true),
        ("0.0.0.0", true, true),
        ("localhost", false, false),
        ("*", false, false),
        ("1.2.3.4:80", false, false),
        ("[::1", false, false),
        ("::1]", false, false),
        ("1.2.3.4/4294967304", false, false),
        ("1.2.3.4/99999999999999999999", false, false),
        ("01.02.03.04", true, true),
        ("0x1.0x2.0x3.0x4", true, true),
        ("0x100.1.1.1", false, false),
        ("1.2.0x10000", false, false),
        ("00000000001.2.3.4", true, true),
    ];

    #[test]
    fn tcp_accept_filter_parsing_matches_libzmq_on_glibc() {
        let has_lo = interface_index(b"lo") != 0;
        for &(text, v4_ok, v6_ok) in ACCEPT_FILTER_EXPECTED {
            if text.contains("%lo") && !has_lo {
                continue;
            }
            for (ipv6, want) in [(false, v4_ok), (true, v6_ok)] {
                let mut o = pair();
                o.ipv6 = ipv6;
                let got = o.set(TCP_ACCEPT_FILTER, Some(text.as_bytes()));
                let want = if want { Ok(true) } else { Err(Error::Invalid) };
                assert_eq!(got, want, "{text:?} ipv6={ipv6}");
            }
        }
    }

    #[test]
    fn tcp_accept_filter_reads_inet_aton_forms() {
        let f = TcpAcceptFilter::parse(b"0x7f.1", false).unwrap();
        assert_eq!(f.address, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(f.prefix_len, 32);
        let f = TcpAcceptFilter::parse(b"017.0.0.1/8x", false).unwrap();
        assert_eq!(f.address, IpAddr::V4(Ipv4Addr::new(15, 0, 0, 1)));
        assert_eq!(f.prefix_len, 8);
        let f = TcpAcceptFilter::parse(b"1.2.65535", false).unwrap();
        assert_eq!(f.address, IpAddr::V4(Ipv4Addr::new(1, 2, 255, 255)));
        let f = TcpAcceptFilter::parse(b"::1", true).unwrap();
        assert_eq!(f.prefix_len, 128);
    }

    #[test]
    fn tcp_accept_filter_matches_prefix_and_family() {
        let f = TcpAcceptFilter::parse(b"192.168.0.0/16", false).unwrap();
        assert!(f.matches(&"192.168.7.9".parse().unwrap()));
        assert!(!f.matches(&"192.169.0.1".parse().unwrap()));
        assert!(!f.matches(&"::ffff:192.168.7.9".parse().unwrap()));
        let f = TcpAcceptFilter::parse(b"10.0.0.0/9", false).unwrap();
        assert!(f.matches(&"10.127.0.1".parse().unwrap()));
        assert!(!f.matches(&"10.128.0.1".parse().unwrap()));
        let any = TcpAcceptFilter::parse(b"1.2.3.4/0", false).unwrap();
        assert!(any.matches(&"8.8.8.8".parse().unwrap()));
        assert!(!any.matches(&"::1".parse().unwrap()));
        let exact = TcpAcceptFilter::parse(b"::1", true).unwrap();
        assert!(exact.matches(&"::1".parse().unwrap()));
        assert!(!exact.matches(&"::2".parse().unwrap()));
    }

    #[test]
    fn ipc_filters_add_ids_and_null_clears() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, IPC_FILTER_UID, 1000), Ok(true));
        assert_eq!(set_int(&mut o, IPC_FILTER_GID, 100), Ok(true));
        assert_eq!(set_int(&mut o, IPC_FILTER_PID, -1), Ok(true));
        assert_eq!(set_int(&mut o, IPC_FILTER_PID, 42), Ok(true));
        assert!(o.ipc_uid_accept_filters.contains(&1000));
        assert!(o.ipc_gid_accept_filters.contains(&100));
        assert_eq!(o.ipc_pid_accept_filters.len(), 2);
        assert_eq!(o.set(IPC_FILTER_PID, None), Ok(true));
        assert!(o.ipc_pid_accept_filters.is_empty());
        assert_eq!(o.set(IPC_FILTER_UID, Some(&[])), Err(Error::Invalid));
        assert_eq!(o.set(IPC_FILTER_UID, Some(&[0u8; 8])), Err(Error::Invalid));
        assert_eq!(o.get(IPC_FILTER_UID, &mut [0u8; 4]), Ok(None));
    }

    #[test]
    fn metadata_needs_x_prefix_colon_and_value() {
        let mut o = pair();
        assert_eq!(o.set(METADATA, Some(b"X-key:value")), Ok(true));
        assert_eq!(o.set(METADATA, Some(b"X-k:a:b")), Ok(true));
        assert_eq!(o.app_metadata.get(&b"X-k"[..]), Some(&b"a:b".to_vec()));
        for bad in [
            &b"X-key:"[..],
            b"key:value",
            b":value",
            b"x-key:value",
            b"X-key",
            b"X:v1",
            b"",
        ] {
            assert_eq!(o.set(METADATA, Some(bad)), Err(Error::Invalid), "{bad:?}");
        }
        assert_eq!(o.set(METADATA, None), Err(Error::Invalid));
        assert_eq!(o.get(METADATA, &mut [0u8; 64]), Ok(None));
    }

    #[test]
    fn metadata_of_exactly_four_bytes_is_rejected() {
        let mut o = pair();
        assert_eq!(o.set(METADATA, Some(b"X-:v")), Err(Error::Invalid));
        assert_eq!(o.set(METADATA, Some(b"X-a:v")), Ok(true));
    }

    #[test]
    fn metadata_key_over_255_bytes_is_rejected() {
        let mut o = pair();
        let mut long = b"X-".to_vec();
        long.extend_from_slice(&[b'k'; 253]);
        long.extend_from_slice(b":v");
        assert_eq!(o.set(METADATA, Some(&long)), Ok(true));
        long.insert(2, b'k');
        assert_eq!(o.set(METADATA, Some(&long)), Err(Error::Invalid));
    }

    #[test]
    fn metadata_keeps_the_first_value_for_a_key() {
        let mut o = pair();
        assert_eq!(o.set(METADATA, Some(b"X-a:1")), Ok(true));
        assert_eq!(o.set(METADATA, Some(b"X-a:2")), Ok(true));
        assert_eq!(o.app_metadata.get(&b"X-a"[..]), Some(&b"1".to_vec()));
    }

    #[cfg(feature = "draft")]
    #[test]
    fn hello_and_disconnect_msgs_store_any_bytes_and_empty_clears() {
        for option in [HELLO_MSG, DISCONNECT_MSG] {
            let mut o = pair();
            assert_eq!(o.set(option, Some(b"\0hi")), Ok(true));
            let stored = if option == HELLO_MSG {
                &o.hello_msg
            } else {
                &o.disconnect_msg
            };
            assert_eq!(stored, b"\0hi");
            assert_eq!(o.set(option, None), Ok(true));
            assert_eq!(o.set(option, Some(&[])), Ok(true));
            assert!(o.hello_msg.is_empty() && o.disconnect_msg.is_empty());
            assert_eq!(o.get(option, &mut [0u8; 16]), Ok(None));
        }
    }

    #[cfg(feature = "draft")]
    #[test]
    fn batch_sizes_must_be_positive_and_priority_non_negative() {
        let mut o = pair();
        for option in [IN_BATCH_SIZE, OUT_BATCH_SIZE] {
            assert_eq!(set_int(&mut o, option, 0), Err(Error::Invalid));
            assert_eq!(set_int(&mut o, option, 1), Ok(true));
            assert_eq!(get_int(&o, option), 1);
        }
        assert_eq!(set_int(&mut o, PRIORITY, -1), Err(Error::Invalid));
        assert_eq!(set_int(&mut o, PRIORITY, 6), Ok(true));
        assert_eq!(get_int(&o, PRIORITY), 6);
    }

    #[cfg(not(feature = "draft"))]
    #[test]
    fn draft_options_are_not_generic_without_the_draft_feature() {
        let mut o = pair();
        for option in [
            IN_BATCH_SIZE,
            OUT_BATCH_SIZE,
            HELLO_MSG,
            DISCONNECT_MSG,
            PRIORITY,
        ] {
            assert_eq!(set_int(&mut o, option, 1), Ok(false));
            assert_eq!(o.get(option, &mut [0u8; 4]), Ok(None));
        }
    }

    #[test]
    fn gssapi_and_vmci_options_are_rejected() {
        let mut o = pair();
        for option in [
            GSSAPI_SERVER,
            GSSAPI_PRINCIPAL,
            GSSAPI_SERVICE_PRINCIPAL,
            GSSAPI_PLAINTEXT,
            GSSAPI_PRINCIPAL_NAMETYPE,
            GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
            VMCI_BUFFER_SIZE,
            VMCI_BUFFER_MIN_SIZE,
            VMCI_BUFFER_MAX_SIZE,
            VMCI_CONNECT_TIMEOUT,
        ] {
            assert_eq!(set_int(&mut o, option, 0), Err(Error::Invalid), "{option}");
            assert_eq!(o.set(option, Some(b"principal")), Err(Error::Invalid));
            assert_eq!(o.get(option, &mut [0u8; 4]), Ok(None));
        }
    }

    #[cfg(feature = "draft")]
    #[test]
    fn wss_options_are_set_only() {
        let mut o = pair();
        assert_eq!(o.set(WSS_CERT_PEM, Some(b"-----BEGIN")), Ok(true));
        assert_eq!(o.wss_cert_pem, b"-----BEGIN");
        assert_eq!(o.set(WSS_CERT_PEM, None), Ok(true));
        assert!(o.wss_cert_pem.is_empty());
        assert_eq!(o.set(WSS_HOSTNAME, Some(b"zeromq.org")), Ok(true));
        assert_eq!(set_int(&mut o, WSS_TRUST_SYSTEM, 1), Ok(true));
        assert!(o.wss_trust_system);
        assert_eq!(set_int(&mut o, WSS_TRUST_SYSTEM, 2), Err(Error::Invalid));
        for option in [
            WSS_KEY_PEM,
            WSS_CERT_PEM,
            WSS_TRUST_PEM,
            WSS_HOSTNAME,
            WSS_TRUST_SYSTEM,
        ] {
            assert_eq!(o.get(option, &mut [0u8; 64]), Ok(None), "{option}");
        }
    }

    #[test]
    fn mechanism_is_read_only() {
        let mut o = pair();
        assert_eq!(set_int(&mut o, MECHANISM, 1), Ok(false));
    }

    #[test]
    fn socket_state_and_pattern_options_are_not_generic() {
        let mut o = pair();
        // RCVMORE, FD, EVENTS, TYPE, LAST_ENDPOINT, THREAD_SAFE; SUBSCRIBE,
        // ROUTER_MANDATORY, XPUB_VERBOSE, ROUTER_NOTIFY, ONLY_FIRST_SUBSCRIBE;
        // numbers zmq.h does not define.
        for option in [
            13, 14, 15, 16, 32, 81, 6, 7, 33, 40, 97, 108, 0, 10, 130, -1,
        ] {
            assert_eq!(set_int(&mut o, option, 1), Ok(false), "set {option}");
            let mut b = [0u8; 256];
            assert_eq!(o.get(option, &mut b[..4]), Ok(None), "get {option}");
            assert_eq!(o.get(option, &mut b), Ok(None), "get {option}");
        }
    }

    #[test]
    fn effective_conflate_only_on_dealer_pull_push_pub_sub() {
        for t in 0..=20 {
            let mut o = Options::new(t, &ctx());
            set_int(&mut o, CONFLATE, 1).unwrap();
            let want = matches!(t, DEALER | PULL | PUSH | PUB | SUB);
            assert_eq!(o.effective_conflate(), want, "type {t}");
        }
    }

    #[test]
    fn failed_set_leaves_options_unchanged() {
        let mut o = pair();
        let before = o.clone();
        for option in 0..=120 {
            for v in [&int(-1000)[..], &[1, 2][..], &[b'x'; 300][..]] {
                if o.set(option, Some(v)).is_err() {
                    // CURVE keys alone may keep earlier Z85 groups; none of
                    // these values decodes, so nothing may change here.
                    assert_eq!(o, before, "option {option}");
                }
                o = before.clone();
            }
        }
    }
}
