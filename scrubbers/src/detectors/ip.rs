//! IPv4 and IPv6 addresses. Never takes loopback, unspecified or broadcast addresses, or
//! version numbers (`version 1.2.3.4`, `Chrome/156.0.0.0`).

use super::{at, is_alnum, prev};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The prefix length after an address (`/24`), if one follows at `end`.
fn prefix_len(b: &[u8], end: usize) -> Option<u32> {
    if at(b, end) != b'/' {
        return None;
    }
    let digits = b[end + 1..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || at(b, end + 1 + digits).is_ascii_alphanumeric() {
        return None;
    }
    std::str::from_utf8(&b[end + 1..end + 1 + digits])
        .ok()?
        .parse()
        .ok()
}

/// Addresses that identify no one: a network written with its prefix length and no host
/// bits (`10.0.0.0/8`; `10.1.2.3/24` is a host's address), a network or wildcard address (`10.1.0.0`, `0.0.0.255`), multicast
/// (`224.0.0.251`) and the well-known public resolvers (`8.8.8.8`, `1.1.1.1`, `9.9.9.9`).
pub(crate) fn identifies_no_one(b: &[u8], end: usize, addr: Ipv4Addr) -> bool {
    let o = addr.octets();
    prefix_len(b, end).is_some_and(|n| n < 32 && u32::from(addr) << n == 0)
        || o[3] == 0
        || o[0] == 0
        || addr.is_multicast()
        || matches!(
            o,
            [8, 8, 8, 8]
                | [8, 8, 4, 4]
                | [1, 1, 1, 1]
                | [1, 0, 0, 1]
                | [9, 9, 9, 9]
                | [149, 112, 112, 112]
        )
}

/// Is the dotted quad at `s..end` a version, a section number or a netmask rather than
/// an address? A word before it that announces one (`version`, `FileVersion`, `OID`,
/// `section`), a product before a `/` (`Chrome/156.0.0.0`, `Edg/…`), a `-` glued before
/// it (`release-1.4.0.2`), a file name or a word glued after it (`app-2.3.1.0.tar.gz`,
/// `5.15.153.1-microsoft`), or a netmask.
pub(crate) fn version_context(b: &[u8], s: usize, end: usize, addr: Ipv4Addr) -> bool {
    if prev(b, s) == b'-' || (prev(b, s) == b'/' && prev(b, s - 1).is_ascii_alphabetic()) {
        return true;
    }
    if matches!(at(b, end), b'.' | b'-') && at(b, end + 1).is_ascii_alphabetic() {
        return true;
    }
    let mask = u32::from(addr);
    if addr.octets()[0] == 255 && mask.leading_ones() + mask.trailing_zeros() == 32 {
        return true;
    }
    let mut i = s;
    while i > 0
        && matches!(
            b[i - 1],
            b' ' | b':' | b'=' | b'@' | b'\t' | b'"' | b'\'' | b'('
        )
    {
        i -= 1;
    }
    let word_end = i;
    while i > 0 && b[i - 1].is_ascii_alphabetic() && word_end - i < 32 {
        i -= 1;
    }
    let mut w = &b[i..word_end];
    // `upgraded to 3.10.2.4`: the word before a preposition.
    if w.eq_ignore_ascii_case(b"to") || w.eq_ignore_ascii_case(b"from") {
        let mut k = i;
        while k > 0 && b[k - 1] == b' ' {
            k -= 1;
        }
        let e2 = k;
        while k > 0 && b[k - 1].is_ascii_alphabetic() && e2 - k < 32 {
            k -= 1;
        }
        w = &b[k..e2];
    }
    let ends_with = |v: &[u8]| w.len() >= v.len() && w[w.len() - v.len()..].eq_ignore_ascii_case(v);
    // Lower-cased on the stack and matched in one `match` (no word is longer than 10).
    let mut lower = [0u8; 10];
    let listed = w.len() <= lower.len() && {
        let lower = &mut lower[..w.len()];
        lower.copy_from_slice(w);
        lower.make_ascii_lowercase();
        matches!(
            &*lower,
            b"ver"
                | b"build"
                | b"release"
                | b"firmware"
                | b"rev"
                | b"revision"
                | b"chrome"
                | b"firefox"
                | b"safari"
                | b"edg"
                | b"edge"
                | b"opera"
                | b"kernel"
                | b"section"
                | b"chapter"
                | b"oid"
                | b"rfc"
                | b"netmask"
                | b"mask"
                | b"subnet"
                | b"clause"
                | b"table"
                | b"figure"
                | b"fig"
                | b"step"
                | b"sec"
                | b"nuget"
                | b"assembly"
                | b"upgraded"
                | b"updated"
                | b"installed"
                | b"downgraded"
        )
    };
    let named = ends_with(b"version") || listed;
    if named {
        return true;
    }
    // `<add key="webpages:Version" value="3.0.0.0" />`: a version named earlier on the line.
    let line = &b[s.saturating_sub(48)..s];
    let line = memchr::memrchr(b'\n', line).map_or(line, |p| &line[p + 1..]);
    memchr::memchr2_iter(b'v', b'V', line)
        .any(|p| line.len() - p >= 7 && line[p + 1..p + 7].eq_ignore_ascii_case(b"ersion"))
}

pub(crate) fn ipv6(text: &str, s: usize) -> Option<(usize, usize)> {
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
    // Loopback, unspecified, multicast (`ff02::fb`) and a prefix (`fd00::/8`) name no host.
    if addr.is_loopback()
        || addr.is_unspecified()
        || addr.segments()[0] >> 8 == 0xFF
        || prefix_len(b, fin).is_some_and(|n| n < 128 && u128::from(addr) << n == 0)
    {
        return None;
    }
    Some((st, fin))
}

pub(crate) fn ipv4(b: &[u8], s: usize) -> Option<(usize, Ipv4Addr)> {
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
