//! `zmq_setsockopt`/`zmq_getsockopt` dispatch: socket state options
//! (TYPE, RCVMORE, FD, EVENTS, LAST_ENDPOINT, THREAD_SAFE) are answered from
//! the socket; stored options go to the option tables in `socket::options`
//! and `socket::pattern_options`.

use super::consts::*;
use crate::error::{Error, Result};
use crate::socket::Socket;

fn put_int(out: &mut [u8], v: i32) -> Result<usize> {
    let out: &mut [u8; 4] = out.try_into().map_err(|_| Error::Invalid)?;
    *out = v.to_ne_bytes();
    Ok(4)
}

/// A socket-state int (libzmq's `do_getsockopt<int>`): any buffer of at
/// least 4 bytes, zeroed, then the value in its first 4.
fn put_state_int(out: &mut [u8], v: i32) -> Result<usize> {
    if out.len() < 4 {
        return Err(Error::Invalid);
    }
    out.fill(0);
    out[..4].copy_from_slice(&v.to_ne_bytes());
    Ok(4)
}

/// A string option: value plus NUL; the buffer must hold both.
fn put_str(out: &mut [u8], s: &[u8]) -> Result<usize> {
    if out.len() < s.len() + 1 {
        return Err(Error::Invalid);
    }
    out[..s.len()].copy_from_slice(s);
    out[s.len()] = 0;
    Ok(s.len() + 1)
}

pub fn set(sock: &mut Socket, option: i32, value: Option<&[u8]>) -> Result<()> {
    sock.set_option(option, value)
}

pub fn get(sock: &mut Socket, option: i32, out: &mut [u8]) -> Result<usize> {
    match option {
        ZMQ_TYPE => put_int(out, sock.socket_type()),
        ZMQ_RCVMORE => put_state_int(out, sock.rcvmore() as i32),
        ZMQ_FD => match sock.thread_safe_mailbox() {
            // A thread-safe socket has no fd (libzmq: EINVAL); pollers use
            // their own.
            Some(_) => Err(Error::Invalid),
            None => put_state_int(out, sock.fd()),
        },
        ZMQ_EVENTS => {
            let (has_in, has_out) = sock.events()?;
            put_state_int(
                out,
                (has_in as i32 * ZMQ_POLLIN) | (has_out as i32 * ZMQ_POLLOUT),
            )
        }
        ZMQ_LAST_ENDPOINT => put_str(out, sock.last_endpoint()),
        // Classic socket types are not thread-safe (the draft types are).
        #[cfg(feature = "draft")]
        ZMQ_TOPICS_COUNT => put_state_int(out, sock.topics_count()?),
        ZMQ_THREAD_SAFE => put_state_int(out, sock.thread_safe_mailbox().is_some() as i32),
        _ => sock.get_option(option, out)?.ok_or(Error::Invalid),
    }
}
