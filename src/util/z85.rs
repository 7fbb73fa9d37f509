//! Z85 (RFC 32): the printable encoding of binary keys used by CURVE.
//! Four bytes become five characters of an 85-symbol alphabet.

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Maps a character (minus 32) back to its digit; 0xFF marks characters
/// outside the alphabet.
const DECODER: [u8; 96] = {
    let mut t = [0xFFu8; 96];
    let mut i = 0;
    while i < 85 {
        t[(ALPHABET[i] - 32) as usize] = i as u8;
        i += 1;
    }
    t
};

/// Encodes `data` (length a multiple of 4) into Z85 text, or `None`.
pub fn encode(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        out.extend_from_slice(&digits);
    }
    Some(out)
}

/// Decodes Z85 text (length a non-zero multiple of 5) into bytes, or `None`
/// for a bad length (libzmq refuses the empty string too), a character
/// outside the alphabet, or a group above 2^32-1.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 5 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 5 * 4);
    for chunk in text.chunks_exact(5) {
        let mut value: u64 = 0;
        for &c in chunk {
            let digit = c
                .checked_sub(32)
                .and_then(|i| DECODER.get(i as usize))
                .copied()
                .unwrap_or(0xFF);
            if digit == 0xFF {
                return None;
            }
            value = value * 85 + digit as u64;
        }
        let value = u32::try_from(value).ok()?;
        out.extend_from_slice(&value.to_be_bytes());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc32_test_vector_round_trips() {
        let data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&data).unwrap(), b"HelloWorld");
        assert_eq!(decode(b"HelloWorld").unwrap(), data);
    }

    #[test]
    fn bad_lengths_characters_and_overflow_are_refused() {
        assert!(encode(&[1, 2, 3]).is_none());
        assert!(decode(b"1234").is_none());
        assert!(decode(b"").is_none());
        assert!(decode(b"Hello\x7fWorl").is_none());
        assert!(decode(b"Hel\"o").is_none());
        assert!(decode(b"%%%%%").is_none()); // 85^5-1 > u32::MAX
    }
}
