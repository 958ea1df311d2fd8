//! MAC addresses (`aa:bb:cc:dd:ee:ff`, `AA-BB-…`). Never takes all-zero or broadcast
//! addresses, or longer colon-separated hex runs.

use super::{at, is_alnum, prev};

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
