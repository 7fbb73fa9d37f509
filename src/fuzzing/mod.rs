//! Fuzz targets over the sans-I/O core, for `fuzz/` (cargo-fuzz, nightly)
//! and for `make fuzz-smoke` (a stable replay-and-mutate runner): both call
//! the same `fn(&[u8])` here, so a crash one finds the other reproduces.
//!
//! Owns nothing of the library: each target only calls the public (or
//! crate-visible) codec, mechanism and parser functions a connection uses,
//! and asserts invariants a peer must not be able to break. A panic here is
//! a bug in the library (or in a target's invariant), never expected.
//! Not part of the API: hidden from the docs, no stability promise.

mod codec;
mod handshake;
mod session;
mod stream;
mod subscriptions;

pub use codec::{command, endpoint, frame, greeting, socks, ws, z85};
pub use handshake::{curve, null, plain};
pub use session::session;
pub use stream::stream_read;
pub use subscriptions::subscriptions;

/// A fuzz target: arbitrary bytes in, a panic only for a bug.
pub type Target = fn(&[u8]);

/// Every target by the name of its directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("greeting", greeting),
    ("frame", frame),
    ("command", command),
    ("null", null),
    ("plain", plain),
    ("curve", curve),
    ("z85", z85),
    ("endpoint", endpoint),
    ("ws", ws),
    ("socks", socks),
    ("session", session),
    ("subscriptions", subscriptions),
    ("stream_read", stream_read),
];

/// The structured part of an input: selector bytes read from the front
/// (0 once exhausted), the rest left as the peer's bytes.
pub(crate) struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    pub(crate) fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Up to `n` bytes (fewer at the end).
    pub(crate) fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length-prefixed (one byte) piece.
    pub(crate) fn piece(&mut self) -> &'a [u8] {
        let n = self.byte() as usize;
        self.take(n)
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// Chunk sizes for splitting a byte stream the way reads might: seed 0
/// gives the whole stream at once, any other seed a reproducible mix of
/// 1-byte, small and large pieces (xorshift32: no crate, no clock).
pub(crate) struct Chunks {
    state: u32,
}

impl Chunks {
    pub(crate) fn new(seed: u8) -> Chunks {
        Chunks {
            state: if seed == 0 {
                0
            } else {
                u32::from(seed).wrapping_mul(0x9E37_79B9) | 1
            },
        }
    }

    /// The next piece's size, at most `left`, at least 1 when `left` > 0.
    pub(crate) fn next(&mut self, left: usize) -> usize {
        if self.state == 0 {
            return left;
        }
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        let n = match x % 4 {
            0 => 1,
            1 => 1 + (x >> 8) as usize % 8,
            2 => 1 + (x >> 8) as usize % 64,
            _ => 1 + (x >> 8) as usize % 40_000,
        };
        n.min(left).max(left.min(1))
    }
}

/// Splits `data` into a list of frames: each a one-byte length then that
/// many bytes (what the mechanism targets feed as command bodies).
pub(crate) fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let mut input = Input::new(data);
    let mut out = Vec::new();
    while !input.is_empty() {
        out.push(input.piece());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_takes_empty_and_short_inputs() {
        for (_, target) in TARGETS {
            for data in [&[][..], &[0], &[0xFF; 3], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]] {
                target(data);
            }
        }
    }

    #[test]
    fn chunks_cover_the_stream_exactly() {
        for seed in [0u8, 1, 7, 255] {
            let mut c = Chunks::new(seed);
            let mut left = 100_000usize;
            while left > 0 {
                let n = c.next(left);
                assert!(n >= 1 && n <= left, "{seed} {n} {left}");
                left -= n;
            }
        }
    }
}
