//! The NaCl primitives CURVE needs, from libsodium (libsodium-sys-stable,
//! built from its bundled source; the same library libzmq uses): X25519,
//! `crypto_box_beforenm` and XSalsa20-Poly1305 (`crypto_secretbox`), in
//! place. libsodium picks SIMD code for the CPU at `sodium_init`.
//!
//! Safe wrappers only: every pointer handed over is a Rust slice or array
//! of the size libsodium reads or writes, and none of these calls can reach
//! `sodium_misuse` (its only trigger here is a message longer than
//! `SIZE_MAX - 16` bytes).
//!
//! [`PrefixBox`] is `crypto_secretbox` for a run of nonces that share their
//! first 16 bytes, as CurveZMQ's MESSAGE nonces do (a fixed prefix, then
//! the counter): XSalsa20 is Salsa20 under HSalsa20(key, nonce[..16]), so
//! that subkey is made once per connection instead of once per message
//! (a fifth of the time of a 64-byte box). It is NaCl's construction step
//! by step on libsodium's primitives, and a unit test holds it to
//! `crypto_secretbox_detached`, byte for byte, over many lengths.

use std::sync::OnceLock;

use libsodium_sys as sodium;

pub const KEY_SIZE: usize = 32;
pub const TAG_SIZE: usize = 16;
pub const NONCE_SIZE: usize = 24;

pub type Nonce = [u8; NONCE_SIZE];

/// Runs `sodium_init` once; false if libsodium could not start (then no
/// box is sealed or opened).
fn ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    // SAFETY: sodium_init takes no arguments and is safe to call from any
    // thread, any number of times.
    *READY.get_or_init(|| unsafe { sodium::sodium_init() } >= 0)
}

/// The X25519 public key of `secret` (clamped as NaCl does).
pub fn public_key(secret: &[u8; KEY_SIZE]) -> Option<[u8; KEY_SIZE]> {
    if !ready() {
        return None;
    }
    let mut public = [0u8; KEY_SIZE];
    // SAFETY: both buffers are 32 bytes, crypto_scalarmult_BYTES and
    // crypto_scalarmult_SCALARBYTES.
    let rc = unsafe { sodium::crypto_scalarmult_base(public.as_mut_ptr(), secret.as_ptr()) };
    (rc == 0).then_some(public)
}

/// `crypto_box_beforenm`: the box key between `their` public and `our`
/// secret key; None for a low-order public key (an all-zero secret).
pub fn box_key(their: &[u8; KEY_SIZE], our: &[u8; KEY_SIZE]) -> Option<[u8; KEY_SIZE]> {
    if !ready() {
        return None;
    }
    let mut key = [0u8; KEY_SIZE];
    // SAFETY: k, pk and sk are 32 bytes each (crypto_box_BEFORENMBYTES,
    // PUBLICKEYBYTES, SECRETKEYBYTES).
    let rc = unsafe { sodium::crypto_box_beforenm(key.as_mut_ptr(), their.as_ptr(), our.as_ptr()) };
    (rc == 0).then_some(key)
}

/// Encrypts `buf` in place under `key` and `nonce`; the tag.
pub fn seal(key: &[u8; KEY_SIZE], nonce: &Nonce, buf: &mut [u8]) -> Option<[u8; TAG_SIZE]> {
    if !ready() {
        return None;
    }
    let mut tag = [0u8; TAG_SIZE];
    // SAFETY: c and m are the same `buf.len()` bytes (libsodium allows
    // in-place sealing); mac is 16 bytes, n 24, k 32.
    let rc = unsafe {
        sodium::crypto_secretbox_detached(
            buf.as_mut_ptr(),
            tag.as_mut_ptr(),
            buf.as_ptr(),
            buf.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    (rc == 0).then_some(tag)
}

/// Checks `tag` and decrypts `buf` in place; false (and `buf` untouched)
/// when the box is not authentic.
pub fn open(key: &[u8; KEY_SIZE], nonce: &Nonce, buf: &mut [u8], tag: &[u8; TAG_SIZE]) -> bool {
    if !ready() {
        return false;
    }
    // SAFETY: m and c are the same `buf.len()` bytes (libsodium allows
    // in-place opening); mac is 16 bytes, n 24, k 32.
    let rc = unsafe {
        sodium::crypto_secretbox_open_detached(
            buf.as_mut_ptr(),
            buf.as_ptr(),
            tag.as_ptr(),
            buf.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    rc == 0
}

/// The bytes of a secretbox's first Salsa20 block that key Poly1305
/// (`crypto_secretbox_ZEROBYTES`).
const AUTH_KEY_SIZE: usize = 32;
const BLOCK_SIZE: usize = 64;

/// `crypto_secretbox` under one key for nonces `prefix | tail` with a fixed
/// 16-byte prefix (see the module's notes).
pub struct PrefixBox {
    subkey: [u8; KEY_SIZE],
}

impl Drop for PrefixBox {
    fn drop(&mut self) {
        wipe(&mut self.subkey);
    }
}

fn wipe(bytes: &mut [u8]) {
    // SAFETY: `bytes` is writable for its length.
    unsafe { sodium::sodium_memzero(bytes.as_mut_ptr().cast(), bytes.len()) }
}

impl PrefixBox {
    pub fn new(key: &[u8; KEY_SIZE], prefix: &[u8; 16]) -> Option<PrefixBox> {
        if !ready() {
            return None;
        }
        let mut subkey = [0u8; KEY_SIZE];
        // SAFETY: out is 32 bytes, in 16, k 32; a NULL c selects the
        // standard constant, as crypto_secretbox does.
        let rc = unsafe {
            sodium::crypto_core_hsalsa20(
                subkey.as_mut_ptr(),
                prefix.as_ptr(),
                key.as_ptr(),
                std::ptr::null(),
            )
        };
        (rc == 0).then_some(PrefixBox { subkey })
    }

    /// The first keystream block for nonce `tail`, XORed over `block`'s
    /// first `len` bytes.
    fn first_block(&self, tail: &[u8; 8], block: &mut [u8; BLOCK_SIZE], len: usize) {
        // SAFETY: c and m are `block`, `len` <= 64 of its bytes; n is the
        // 8-byte Salsa20 nonce, k the 32-byte subkey.
        unsafe {
            sodium::crypto_stream_salsa20_xor(
                block.as_mut_ptr(),
                block.as_ptr(),
                len as u64,
                tail.as_ptr(),
                self.subkey.as_ptr(),
            );
        }
    }

    /// XORs the keystream from block 1 on over `buf`.
    fn rest(&self, tail: &[u8; 8], buf: &mut [u8]) {
        if buf.is_empty() {
            return;
        }
        // SAFETY: c and m are the same `buf.len()` bytes (in place is
        // allowed); n is 8 bytes, k 32.
        unsafe {
            sodium::crypto_stream_salsa20_xor_ic(
                buf.as_mut_ptr(),
                buf.as_ptr(),
                buf.len() as u64,
                tail.as_ptr(),
                1,
                self.subkey.as_ptr(),
            );
        }
    }

    /// Encrypts `buf` in place for nonce `prefix | tail`; the tag.
    pub fn seal(&self, tail: &[u8; 8], buf: &mut [u8]) -> [u8; TAG_SIZE] {
        let head = buf.len().min(BLOCK_SIZE - AUTH_KEY_SIZE);
        let mut block = [0u8; BLOCK_SIZE];
        block[AUTH_KEY_SIZE..AUTH_KEY_SIZE + head].copy_from_slice(&buf[..head]);
        self.first_block(tail, &mut block, AUTH_KEY_SIZE + head);
        buf[..head].copy_from_slice(&block[AUTH_KEY_SIZE..AUTH_KEY_SIZE + head]);
        self.rest(tail, &mut buf[head..]);
        let mut tag = [0u8; TAG_SIZE];
        let mut state = sodium::crypto_onetimeauth_poly1305_state { opaque: [0; 256] };
        // SAFETY: state is libsodium's own (aligned) type; the key is the
        // block's first 32 bytes; `buf` is readable for its length; the
        // tag is 16 bytes.
        unsafe {
            sodium::crypto_onetimeauth_poly1305_init(&mut state, block.as_ptr());
            sodium::crypto_onetimeauth_poly1305_update(&mut state, buf.as_ptr(), buf.len() as u64);
            sodium::crypto_onetimeauth_poly1305_final(&mut state, tag.as_mut_ptr());
        }
        wipe(&mut block);
        wipe(&mut state.opaque);
        tag
    }

    /// Checks `tag` over `buf` for nonce `prefix | tail`, then decrypts
    /// `buf` in place; false (and `buf` untouched) when not authentic.
    pub fn open(&self, tail: &[u8; 8], buf: &mut [u8], tag: &[u8; TAG_SIZE]) -> bool {
        let mut block = [0u8; BLOCK_SIZE];
        self.first_block(tail, &mut block, AUTH_KEY_SIZE);
        // SAFETY: tag is 16 bytes, `buf` readable for its length, the key
        // the block's first 32 bytes.
        let rc = unsafe {
            sodium::crypto_onetimeauth_poly1305_verify(
                tag.as_ptr(),
                buf.as_ptr(),
                buf.len() as u64,
                block.as_ptr(),
            )
        };
        if rc != 0 {
            wipe(&mut block);
            return false;
        }
        let head = buf.len().min(BLOCK_SIZE - AUTH_KEY_SIZE);
        block = [0u8; BLOCK_SIZE];
        block[AUTH_KEY_SIZE..AUTH_KEY_SIZE + head].copy_from_slice(&buf[..head]);
        self.first_block(tail, &mut block, AUTH_KEY_SIZE + head);
        buf[..head].copy_from_slice(&block[AUTH_KEY_SIZE..AUTH_KEY_SIZE + head]);
        self.rest(tail, &mut buf[head..]);
        wipe(&mut block);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_box_is_crypto_secretbox_byte_for_byte() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        let prefix = *b"CurveZMQMESSAGEC";
        let b = PrefixBox::new(&key, &prefix).unwrap();
        for len in (0..300).chain([511, 512, 513, 1024, 4095, 65536 + 17]) {
            let counter = (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let tail = counter.to_be_bytes();
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
            let mut nonce = [0u8; NONCE_SIZE];
            nonce[..16].copy_from_slice(&prefix);
            nonce[16..].copy_from_slice(&tail);
            let mut want = plain.clone();
            let want_tag = seal(&key, &nonce, &mut want).unwrap();
            let mut got = plain.clone();
            let tag = b.seal(&tail, &mut got);
            assert_eq!((got.clone(), tag), (want, want_tag), "length {len}");
            // Opens with libsodium's open and with ours; a flipped bit or a
            // wrong nonce does not.
            let mut theirs = got.clone();
            assert!(open(&key, &nonce, &mut theirs, &tag));
            assert_eq!(theirs, plain);
            if len > 0 {
                let mut bad = got.clone();
                bad[len - 1] ^= 0x80;
                assert!(!b.open(&tail, &mut bad, &tag));
                let mut wrong = got.clone();
                assert!(!b.open(&(counter ^ 1).to_be_bytes(), &mut wrong, &tag));
                assert_eq!(wrong, got, "a refused box is left as it was");
            }
            let mut bad_tag = tag;
            bad_tag[0] ^= 1;
            assert!(!b.open(&tail, &mut got.clone(), &bad_tag));
            assert!(b.open(&tail, &mut got, &tag));
            assert_eq!(got, plain);
        }
    }

    #[test]
    fn a_box_opens_with_its_key_only() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let (pa, pb) = (public_key(&a).unwrap(), public_key(&b).unwrap());
        let k1 = box_key(&pb, &a).unwrap();
        let k2 = box_key(&pa, &b).unwrap();
        assert_eq!(k1, k2);
        let nonce = [9u8; NONCE_SIZE];
        let mut buf = *b"attack at dawn";
        let tag = seal(&k1, &nonce, &mut buf).unwrap();
        assert_ne!(&buf, b"attack at dawn");
        let mut bad = buf;
        bad[0] ^= 1;
        assert!(!open(&k2, &nonce, &mut bad, &tag));
        assert!(open(&k2, &nonce, &mut buf, &tag));
        assert_eq!(&buf, b"attack at dawn");
    }

    #[test]
    fn low_order_keys_are_refused() {
        assert!(box_key(&[0u8; 32], &[5u8; 32]).is_none());
    }

    #[test]
    fn nacl_test_vector() {
        // The X25519 vector of RFC 7748 section 6.1 (Alice's key pair).
        let alice: [u8; 32] = [
            0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2,
            0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5,
            0x1d, 0xb9, 0x2c, 0x2a,
        ];
        let public: [u8; 32] = [
            0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e,
            0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e,
            0xaa, 0x9b, 0x4e, 0x6a,
        ];
        assert_eq!(public_key(&alice), Some(public));
    }
}
