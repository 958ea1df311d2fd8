//! Where capitalised words may start, 64 bytes at a time: an ASCII capital or a non-ASCII
//! lead byte whose previous byte is no word byte (letter, digit, `_`, non-ASCII), and not
//! the first of two capitals (`HTTP`). Base64 and hex blobs, CamelCase and acronyms never
//! reach the word reader. SSE2 on x86_64 (through `safe_arch`), bytewise elsewhere.

/// Per 64-byte block: bit `k` set when byte `k` may start a capitalised word
/// (`starters`), is a word byte (`word`), is an ASCII capital (`upper`).
#[derive(Clone, Copy, Default)]
struct Masks {
    starters: u64,
    word: u64,
    upper: u64,
}

#[cfg(target_arch = "x86_64")]
fn masks(block: &[u8; 64]) -> Masks {
    use crate::detectors::classes::sse2::{eq, in_range, mask};
    use safe_arch::{load_unaligned_m128i, move_mask_i8_m128i};
    let mut out = Masks::default();
    for (j, lane) in block.chunks_exact(16).enumerate() {
        let v = load_unaligned_m128i(lane.try_into().expect("16 bytes"));
        let upper = in_range(v, b'A', b'Z');
        let lead = in_range(v, 0xC0, 0xFF);
        let word = upper | in_range(v, b'a', b'z') | in_range(v, b'0', b'9') | eq(v, b'_');
        let shift = 16 * j;
        out.starters |= mask(upper | lead) << shift;
        // Non-ASCII bytes (high bit) count as word bytes: letters of other scripts.
        out.word |= (mask(word) | u64::from(move_mask_i8_m128i(v) as u16)) << shift;
        out.upper |= mask(upper) << shift;
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8; 64]) -> Masks {
    let mut out = Masks::default();
    for (k, &c) in block.iter().enumerate() {
        let bit = 1u64 << k;
        if c.is_ascii_uppercase() {
            out.upper |= bit;
        }
        if c.is_ascii_uppercase() || c >= 0xC0 {
            out.starters |= bit;
        }
        if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            out.word |= bit;
        }
    }
    out
}

/// Calls `each` with every byte that may start a capitalised word, in order; `each`
/// returns where scanning resumes (the end of what it read).
pub(crate) fn word_starts(bytes: &[u8], mut each: impl FnMut(usize) -> usize) {
    let mut resume = 0;
    let mut prev_word = 0u64;
    let mut base = 0;
    while base < bytes.len() {
        let m = match bytes.get(base..base + 64) {
            Some(block) => masks(block.try_into().expect("64 bytes")),
            None => {
                let mut block = [b' '; 64];
                block[..bytes.len() - base].copy_from_slice(&bytes[base..]);
                masks(&block)
            }
        };
        let after_word = (m.word << 1) | prev_word;
        prev_word = m.word >> 63;
        // `HTTP`, `ERROR`: a capital followed by a capital starts no capitalised word.
        let mut cand = m.starters & !after_word & !(m.upper & (m.upper >> 1));
        if resume > base {
            let consumed = resume - base;
            cand &= if consumed >= 64 {
                0
            } else {
                u64::MAX << consumed
            };
        }
        while cand != 0 {
            let k = base + cand.trailing_zeros() as usize;
            cand &= cand - 1;
            resume = each(k).max(k + 1);
            let consumed = resume - base;
            cand &= if consumed >= 64 {
                0
            } else {
                u64::MAX << consumed
            };
        }
        base += 64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        word_starts(text.as_bytes(), |k| {
            out.push(k);
            k + 1
        });
        out
    }

    #[test]
    fn finds_capitalised_word_starts_only() {
        assert_eq!(starts("hi Ann and Bob"), [3, 11]);
        assert_eq!(starts("TypeError HTTP sha512-IRoL3u x_Name"), [0]);
        assert_eq!(starts("é Łukasz"), [0, 3]);
        let long = format!("{}Ann", "x ".repeat(40));
        assert_eq!(starts(&long), [80]);
    }
}
