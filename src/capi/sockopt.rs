//! `zmq_setsockopt`/`zmq_getsockopt` dispatch: socket state options
//! (TYPE, RCVMORE, FD, EVENTS, LAST_ENDPOINT) are answered from the socket;
//! stored options go to the option tables.

use super::consts::*;
use crate::error::{Error, Result};
use crate::socket::Socket;

fn int(value: Option<&[u8]>) -> Result<i32> {
    let bytes: [u8; 4] = value
        .ok_or(Error::Invalid)?
        .try_into()
        .map_err(|_| Error::Invalid)?;
    Ok(i32::from_ne_bytes(bytes))
}

fn put_int(out: &mut [u8], v: i32) -> Result<usize> {
    let out: &mut [u8; 4] = out.try_into().map_err(|_| Error::Invalid)?;
    *out = v.to_ne_bytes();
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
    let o = &mut sock.options;
    match option {
        ZMQ_SNDHWM => o.sndhwm = int(value).ok().filter(|v| *v >= 0).ok_or(Error::Invalid)?,
        ZMQ_RCVHWM => o.rcvhwm = int(value).ok().filter(|v| *v >= 0).ok_or(Error::Invalid)?,
        ZMQ_SNDTIMEO => o.sndtimeo = int(value).ok().filter(|v| *v >= -1).ok_or(Error::Invalid)?,
        ZMQ_RCVTIMEO => o.rcvtimeo = int(value).ok().filter(|v| *v >= -1).ok_or(Error::Invalid)?,
        ZMQ_LINGER => o.linger = int(value).ok().filter(|v| *v >= -1).ok_or(Error::Invalid)?,
        ZMQ_ROUTING_ID => {
            let v = value
                .filter(|v| !v.is_empty() && v.len() <= 255)
                .ok_or(Error::Invalid)?;
            o.routing_id = v.to_vec();
        }
        ZMQ_SUBSCRIBE | ZMQ_UNSUBSCRIBE => {
            let topic = value.unwrap_or(&[]);
            sock.subscribe(topic, option == ZMQ_SUBSCRIBE)?;
        }
        ZMQ_XPUB_VERBOSE => {
            let v = int(value)
                .ok()
                .filter(|v| *v == 0 || *v == 1)
                .ok_or(Error::Invalid)?;
            sock.publisher_mut()
                .filter(|p| p.is_xpub())
                .ok_or(Error::Invalid)?
                .verbose = v == 1;
        }
        ZMQ_ROUTER_MANDATORY => {
            let v = int(value)
                .ok()
                .filter(|v| *v == 0 || *v == 1)
                .ok_or(Error::Invalid)?;
            sock.router_mut().ok_or(Error::Invalid)?.mandatory = v == 1;
        }
        _ => return Err(Error::Invalid),
    }
    Ok(())
}

pub fn get(sock: &mut Socket, option: i32, out: &mut [u8]) -> Result<usize> {
    match option {
        ZMQ_TYPE => put_int(out, sock.socket_type()),
        ZMQ_RCVMORE => put_int(out, sock.rcvmore() as i32),
        ZMQ_FD => put_int(out, sock.fd()),
        ZMQ_EVENTS => {
            let (has_in, has_out) = sock.events()?;
            put_int(
                out,
                (has_in as i32 * ZMQ_POLLIN) | (has_out as i32 * ZMQ_POLLOUT),
            )
        }
        ZMQ_LAST_ENDPOINT => put_str(out, sock.last_endpoint()),
        ZMQ_SNDHWM => put_int(out, sock.options.sndhwm),
        ZMQ_RCVHWM => put_int(out, sock.options.rcvhwm),
        ZMQ_SNDTIMEO => put_int(out, sock.options.sndtimeo),
        ZMQ_RCVTIMEO => put_int(out, sock.options.rcvtimeo),
        ZMQ_LINGER => put_int(out, sock.options.linger),
        ZMQ_ROUTING_ID => {
            let id = &sock.options.routing_id;
            if out.len() < id.len() {
                return Err(Error::Invalid);
            }
            out[..id.len()].copy_from_slice(id);
            Ok(id.len())
        }
        _ => Err(Error::Invalid),
    }
}
