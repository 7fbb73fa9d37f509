//! Connection metadata: the properties a peer announced in its handshake
//! (`Socket-Type`, `Identity`, `X-*`), plus those the engine and ZAP add
//! (`Peer-Address`, `User-Id`). Shared by every message received on that
//! connection and read through `zmq_msg_gets`.

use std::ffi::{CStr, CString};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    // Few entries (typically 2-4): a vector beats a map here.
    entries: Vec<(Vec<u8>, CString)>,
}

impl Metadata {
    pub fn new() -> Metadata {
        Metadata::default()
    }

    /// Adds or replaces a property. A value with an interior NUL is cut there,
    /// since C callers see it as a NUL-terminated string.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        let value = value.split(|&b| b == 0).next().unwrap_or(&[]);
        let value = CString::new(value).unwrap_or_default();
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = value,
            None => self.entries.push((name.to_vec(), value)),
        }
    }

    /// Exact-name lookup, as libzmq's `metadata_t::get`; the deprecated name
    /// "Identity" falls back to "Routing-Id".
    pub fn get(&self, name: &[u8]) -> Option<&CStr> {
        let find = |key: &[u8]| {
            self.entries
                .iter()
                .find(|(n, _)| n == key)
                .map(|(_, v)| v.as_c_str())
        };
        find(name).or_else(|| {
            if name == b"Identity" {
                find(b"Routing-Id")
            } else {
                None
            }
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &CStr)> {
        self.entries
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_c_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_exact_and_identity_falls_back_to_routing_id() {
        let mut m = Metadata::new();
        m.set(b"Socket-Type", b"DEALER");
        m.set(b"Routing-Id", b"abc");
        assert_eq!(m.get(b"Socket-Type").unwrap().to_bytes(), b"DEALER");
        assert!(m.get(b"socket-type").is_none());
        assert_eq!(m.get(b"Identity").unwrap().to_bytes(), b"abc");
        assert!(m.get(b"X-Missing").is_none());
    }
}
