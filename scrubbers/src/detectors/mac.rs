//! MAC addresses (`aa:bb:cc:dd:ee:ff`, `AA-BB-…`). Never takes all-zero or broadcast
//! addresses, or longer colon-separated hex runs.

use super::{at, is_alnum, prev};

/// Cisco's dotted form, `0050.56c0.0008`: three groups of four hex digits.
pub(crate) fn dotted_mac(b: &[u8], s: usize) -> Option<usize> {
    if matches!(prev(b, s), b'.' | b':' | b'-') || is_alnum(prev(b, s)) {
        return None;
    }
    let hex4 = |i: usize| (i..i + 4).all(|k| at(b, k).is_ascii_hexdigit());
    if !(hex4(s) && at(b, s + 4) == b'.' && hex4(s + 5) && at(b, s + 9) == b'.' && hex4(s + 10)) {
        return None;
    }
    let end = s + 14;
    if is_alnum(at(b, end)) || (at(b, end) == b'.' && at(b, end + 1).is_ascii_hexdigit()) {
        return None;
    }
    // Version-like runs of decimal digits (`2024.1130.0001`) are no MAC.
    if !b[s..end].iter().any(u8::is_ascii_alphabetic) && b[s..s + 4].starts_with(b"20") {
        return None;
    }
    let g = &b[s..end];
    if g.iter().all(|&c| c == b'0' || c == b'.') || g.iter().all(|&c| c | 0x20 == b'f' || c == b'.')
    {
        return None;
    }
    Some(end)
}

pub(crate) fn mac(b: &[u8], s: usize) -> Option<usize> {
    if prev(b, s) == b':' || prev(b, s) == b'-' {
        return None;
    }
    let hex2 = |i: usize| at(b, i).is_ascii_hexdigit() && at(b, i + 1).is_ascii_hexdigit();
    if !hex2(s) {
        return None;
    }
    let sep = at(b, s + 2);
    if sep != b':' && sep != b'-' {
        return None;
    }
    for g in 1..6 {
        let i = s + g * 3;
        if at(b, i - 1) != sep || !hex2(i) {
            return None;
        }
    }
    let end = s + 17;
    if is_alnum(at(b, end)) || (at(b, end) == sep && at(b, end + 1).is_ascii_hexdigit()) {
        return None;
    }
    let g = &b[s..end];
    if g.iter().all(|&c| c == b'0' || c == sep)
        || g.iter().all(|&c| c == b'f' || c == b'F' || c == sep)
    {
        return None;
    }
    Some(end)
}
