//! I/O threads: the reactor, tcp/ipc transports and the ZMTP sessions that
//! move messages between pipes and connections. Knows nothing of socket
//! patterns; talks to sockets only through pipes and their mailboxes.

pub mod reactor;
pub mod session;
pub mod socks;
pub mod thread;
pub mod tls;
pub mod transport;
pub mod udp;
pub mod ws;
