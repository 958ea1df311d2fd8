//! Checksums and statistics used to confirm candidates.

/// Luhn checksum over ASCII digits (other bytes are ignored).
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for &b in digits.iter().rev() {
        if !b.is_ascii_digit() {
            continue;
        }
        let mut d = u32::from(b - b'0');
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum.is_multiple_of(10)
}

/// IBAN mod-97 check over an uppercase alphanumeric IBAN without spaces.
/// CRC-32 (IEEE 802.3, as zlib computes it), a byte at a time from a table.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    static TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = i as u32;
            let mut k = 0;
            while k < 8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
                k += 1;
            }
            t[i] = crc;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &byte in data {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

pub(crate) fn iban_mod97(iban: &[u8]) -> bool {
    if iban.len() < 15 || iban.len() > 34 {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for &b in tail.iter().chain(head.iter()) {
        match b {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(b - b'0')) % 97,
            b'A'..=b'Z' => {
                let v = u32::from(b - b'A') + 10;
                rem = (rem * 100 + v) % 97;
            }
            _ => return false,
        }
    }
    rem == 1
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    // Terms depend only on the count, and most counts are small and repeat: compute each
    // small count's term once (same operations, so the same bits) and sum in byte order.
    let mut memo = [None::<f64>; 16];
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let term = || {
                let p = f64::from(c) / n;
                -p * p.log2()
            };
            match memo.get_mut(c as usize) {
                Some(slot) => *slot.get_or_insert_with(term),
                None => term(),
            }
        })
        .sum()
}

fn b64_value(b: u8) -> Option<u32> {
    Some(match b {
        b'A'..=b'Z' => u32::from(b - b'A'),
        b'a'..=b'z' => u32::from(b - b'a') + 26,
        b'0'..=b'9' => u32::from(b - b'0') + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

/// True when `s` decodes as base64 (standard or URL-safe) to mostly printable text that
/// contains a space: encoded prose or JSON rather than a random credential.
pub(crate) fn is_base64_of_text(s: &[u8]) -> bool {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    let mut acc = 0u32;
    let mut bits = 0u32;
    let (mut total, mut printable, mut spaces) = (0usize, 0usize, 0usize);
    let (mut letters, mut separators) = (0usize, 0usize);
    let mut first = 0u8;
    for &b in s {
        let Some(v) = b64_value(b) else { return false };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = ((acc >> bits) & 0xff) as u8;
            if total == 0 {
                first = byte;
            }
            total += 1;
            if (0x20..0x7f).contains(&byte) || byte == b'\n' || byte == b'\t' {
                printable += 1;
            }
            if byte == b' ' {
                spaces += 1;
            }
            letters += usize::from(byte.is_ascii_alphabetic());
            separators += usize::from(matches!(byte, b'=' | b';' | b':' | b',' | b'&'));
        }
    }
    // Prose has spaces; compact JSON (a JWT header on its own) starts with `{`; settings
    // (`user=guest;role=viewer`) are mostly letters between separators.
    total >= 16
        && printable * 100 >= total * 95
        && (spaces > 0 || first == b'{' || (separators > 0 && letters * 10 >= total * 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn luhn_known_values() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"4111 1111 1111 1111"));
        assert!(!luhn(b"4111111111111112"));
    }

    #[test]
    fn iban_known_values() {
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
    }

    #[test]
    fn base64_text() {
        // "hello world this is a test"
        assert!(is_base64_of_text(b"aGVsbG8gd29ybGQgdGhpcyBpcyBhIHRlc3Q="));
        assert!(!is_base64_of_text(
            b"Qh9X3xpYOqfZBhzFdFy7vsFTQh9X3xpYOqfZBhzFdFy7"
        ));
    }
}
