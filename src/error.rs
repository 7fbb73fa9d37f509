//! The one error type of the core. Every variant maps one-to-one onto the errno
//! value libzmq reports for the same failure; only `capi` turns it into errno.

use std::fmt;

/// libzmq's base for the error numbers it defines itself (`ZMQ_HAUSNUMERO`).
pub const HAUSNUMERO: i32 = 156_384_712;
/// Operation cannot be accomplished in current state.
pub const EFSM: i32 = HAUSNUMERO + 51;
/// The protocol is not compatible with the socket type.
pub const ENOCOMPATPROTO: i32 = HAUSNUMERO + 52;
/// Context was terminated.
pub const ETERM: i32 = HAUSNUMERO + 53;
/// No thread available.
pub const EMTHREAD: i32 = HAUSNUMERO + 54;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// EAGAIN: would block (DONTWAIT or timeout).
    Again,
    /// EINVAL: bad argument, option, length or value.
    Invalid,
    /// EFAULT: invalid context or message.
    Fault,
    /// ENOTSOCK: invalid socket handle.
    NotSocket,
    /// ENOTSUP: not supported (yet, or by this socket type).
    NotSupported,
    /// ENOMEM: allocation failed.
    NoMemory,
    /// EMFILE: too many sockets or files.
    TooManyFiles,
    /// EINTR: interrupted by a signal.
    Interrupted,
    /// ETERM: the context was terminated.
    Terminated,
    /// EFSM: operation not valid in the socket's current state.
    State,
    /// ENOCOMPATPROTO: transport incompatible with the socket type.
    IncompatibleProtocol,
    /// EMTHREAD: no I/O thread available.
    NoThread,
    /// Any other operating-system error, kept as its errno value.
    Os(i32),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The errno value libzmq sets for this error.
    pub fn errno(self) -> i32 {
        match self {
            Error::Again => libc::EAGAIN,
            Error::Invalid => libc::EINVAL,
            Error::Fault => libc::EFAULT,
            Error::NotSocket => libc::ENOTSOCK,
            Error::NotSupported => libc::ENOTSUP,
            Error::NoMemory => libc::ENOMEM,
            Error::TooManyFiles => libc::EMFILE,
            Error::Interrupted => libc::EINTR,
            Error::Terminated => ETERM,
            Error::State => EFSM,
            Error::IncompatibleProtocol => ENOCOMPATPROTO,
            Error::NoThread => EMTHREAD,
            Error::Os(e) => e,
        }
    }

    /// The inverse of [`Error::errno`], for errors coming back from the OS.
    pub fn from_errno(e: i32) -> Error {
        match e {
            libc::EAGAIN => Error::Again,
            libc::EINVAL => Error::Invalid,
            libc::EFAULT => Error::Fault,
            libc::ENOTSOCK => Error::NotSocket,
            libc::ENOTSUP => Error::NotSupported,
            libc::ENOMEM => Error::NoMemory,
            libc::EMFILE => Error::TooManyFiles,
            libc::EINTR => Error::Interrupted,
            ETERM => Error::Terminated,
            EFSM => Error::State,
            ENOCOMPATPROTO => Error::IncompatibleProtocol,
            EMTHREAD => Error::NoThread,
            other => Error::Os(other),
        }
    }

    pub fn last_os_error() -> Error {
        Error::from_errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        )
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::from_errno(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

/// libzmq's texts for its own error numbers; `None` means "ask the OS".
pub fn zmq_error_text(errnum: i32) -> Option<&'static str> {
    // Texts as libzmq's errno_to_string gives them (src/err.cpp), NUL-terminated
    // so the C boundary can hand them out as `const char *`.
    Some(match errnum {
        EFSM => "Operation cannot be accomplished in current state\0",
        ENOCOMPATPROTO => "The protocol is not compatible with the socket type\0",
        ETERM => "Context was terminated\0",
        EMTHREAD => "No thread available\0",
        libc::EHOSTUNREACH => "Host unreachable\0",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match zmq_error_text(self.errno()) {
            Some(t) => f.write_str(t.trim_end_matches('\0')),
            None => write!(f, "{}", std::io::Error::from_raw_os_error(self.errno())),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_errno() {
        for e in [
            Error::Again,
            Error::Invalid,
            Error::Fault,
            Error::NotSocket,
            Error::NotSupported,
            Error::NoMemory,
            Error::TooManyFiles,
            Error::Interrupted,
            Error::Terminated,
            Error::State,
            Error::IncompatibleProtocol,
            Error::NoThread,
            Error::Os(libc::EADDRINUSE),
        ] {
            assert_eq!(Error::from_errno(e.errno()), e);
        }
    }

    #[test]
    fn zmq_native_errnos_have_libzmq_values() {
        assert_eq!(EFSM, 156_384_763);
        assert_eq!(ETERM, 156_384_765);
    }
}
