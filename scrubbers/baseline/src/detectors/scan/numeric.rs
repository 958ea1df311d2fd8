//! Digit- and hex-shaped words: MAC addresses, IPv6 and IPv4 addresses, and the hand-off of
//! digit runs to `digits`.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::digits::{digits, digits_rejects_prev};
use crate::detectors::{at, cand, is_alnum, prev, Cand, PRIO_PII};
use crate::kind::Kind;

/// A word starting with a digit at `s` (alphanumerics up to `we`) where `numeric` finds
/// nothing, by the first checks of each detector there: no MAC (`xx:xx:` or `xx-xx-`, not
/// glued to a `:` or `-` before), no IPv6 (`::` before, or a `:` after and neither an
/// alphanumeric nor a `.` before), no IPv4 (at most 3 digits then a `.`, and no `.`
/// before), and no digit groups for `digits`: a byte before that it rejects outright, or a
/// first group of fewer than 8 digits followed by no `. - ( )` or space that could join
/// more groups.
#[inline]
pub(super) fn plain_number(b: &[u8], s: usize, we: usize) -> bool {
    let p = prev(b, s);
    let sep = at(b, s + 2);
    if matches!(sep, b':' | b'-') && at(b, s + 5) == sep && !matches!(p, b':' | b'-') {
        return false;
    }
    let ipv6 = if p == b':' {
        s >= 2 && b[s - 2] == b':'
    } else {
        at(b, we) == b':' && !is_alnum(p) && p != b'.'
    };
    if ipv6 {
        return false;
    }
    let g0 = b[s..we].iter().take_while(|c| c.is_ascii_digit()).count();
    let after = at(b, s + g0);
    if p != b'.' && g0 <= 3 && after == b'.' {
        return false;
    }
    digits_rejects_prev(p) || (g0 < 8 && !matches!(after, b' ' | b'-' | b'.' | b'(' | b')'))
}

/// Words that announce a version number, so `version 1.2.3.4` is not an address.
fn version_context(b: &[u8], s: usize) -> bool {
    let mut i = s;
    while i > 0 && matches!(b[i - 1], b' ' | b':' | b'=' | b'@' | b'\t') {
        i -= 1;
    }
    let end = i;
    while i > 0 && b[i - 1].is_ascii_alphabetic() {
        i -= 1;
    }
    let w = &b[i..end];
    [
        &b"version"[..],
        b"ver",
        b"build",
        b"release",
        b"firmware",
        b"rev",
        b"revision",
        b"chrome",
        b"firefox",
        b"safari",
    ]
    .iter()
    .any(|v| w.eq_ignore_ascii_case(v))
}

/// Digit- and hex-shaped detectors starting at word `s..we`. Returns where to resume when
/// something was found.
#[inline(never)]
pub(super) fn numeric(text: &str, s: usize, we: usize, out: &mut Vec<Cand>) -> Option<usize> {
    let b = text.as_bytes();
    let p = prev(b, s);
    if matches!(at(b, s + 2), b':' | b'-') {
        if let Some(end) = mac(b, s) {
            out.push(cand(s, end, Kind::MacAddress, "mac_address", PRIO_PII));
            return Some(end);
        }
    }
    if at(b, we) == b':' || p == b':' {
        if let Some((st, end)) = ipv6(text, s) {
            out.push(cand(st, end, Kind::Ipv6, "ipv6", PRIO_PII));
            return Some(end);
        }
    }
    if !b[s].is_ascii_digit() {
        return None;
    }
    if p != b'.' {
        if let Some((end, addr)) = ipv4(b, s) {
            if addr.is_loopback()
                || addr.is_unspecified()
                || addr.is_broadcast()
                || version_context(b, s)
            {
                return Some(end);
            }
            out.push(cand(s, end, Kind::Ipv4, "ipv4", PRIO_PII));
            return Some(end);
        }
    }
    digits(b, s, out)
}

fn mac(b: &[u8], s: usize) -> Option<usize> {
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

fn ipv6(text: &str, s: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut st = s;
    if prev(b, s) == b':' {
        if s >= 2 && b[s - 2] == b':' && !is_alnum(prev(b, s - 2)) && prev(b, s - 2) != b':' {
            st = s - 2;
        } else {
            return None;
        }
    } else if is_alnum(prev(b, s)) || prev(b, s) == b'.' {
        return None;
    }
    let mut i = s;
    let mut colons = 0;
    while i < b.len() && (b[i].is_ascii_hexdigit() || b[i] == b':' || b[i] == b'.') {
        if b[i] == b':' {
            colons += 1;
        }
        i += 1;
        if i - st > 45 {
            return None;
        }
    }
    if st < s {
        colons += 2;
    }
    if colons < 2 {
        return None;
    }
    let mut end = i;
    while end > st && b[end - 1] == b'.' {
        end -= 1;
    }
    if end > st + 1 && b[end - 1] == b':' && b[end - 2] != b':' {
        end -= 1;
    }
    if is_alnum(at(b, end)) {
        return None;
    }
    let addr: Ipv6Addr = text[st..end].parse().ok()?;
    let mut fin = end;
    // Zone index: fe80::1%eth0
    if at(b, fin) == b'%' {
        let mut k = fin + 1;
        while k < b.len() && is_alnum(b[k]) {
            k += 1;
        }
        if k > fin + 1 {
            fin = k;
        }
    }
    if addr.is_loopback() || addr.is_unspecified() {
        return None;
    }
    Some((st, fin))
}

fn ipv4(b: &[u8], s: usize) -> Option<(usize, Ipv4Addr)> {
    let mut i = s;
    for g in 0..4 {
        let gs = i;
        while i < b.len() && b[i].is_ascii_digit() && i - gs < 4 {
            i += 1;
        }
        if i == gs || i - gs > 3 {
            return None;
        }
        if g < 3 {
            if at(b, i) != b'.' {
                return None;
            }
            i += 1;
        }
    }
    if is_alnum(at(b, i)) || (at(b, i) == b'.' && at(b, i + 1).is_ascii_digit()) {
        return None;
    }
    let addr: Ipv4Addr = std::str::from_utf8(&b[s..i]).ok()?.parse().ok()?;
    Some((i, addr))
}
