//! Phones, payment cards and US SSNs: digit groups joined by short separators.

use crate::detectors::{at, cand, is_alnum, prev, Cand, PRIO_PII};
use crate::kind::Kind;
use crate::validate::luhn;

/// Bytes before a digit run that rule out phones, cards and SSNs (see `digits`).
#[inline]
pub(super) fn digits_rejects_prev(p: u8) -> bool {
    matches!(
        p,
        b'.' | b':'
            | b'/'
            | b'_'
            | b'-'
            | b'#'
            | b'$'
            | b'%'
            | b'@'
            | b'\\'
            | b'&'
            | b'^'
            | b'~'
            | b','
    )
}

/// Phones, cards and SSNs: digit groups joined by short separators.
pub(super) fn digits(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
    let p = prev(b, s);
    let mut start = s;
    let (mut plus, mut paren) = (false, false);
    if p == b'+' || p == b'(' {
        start = s - 1;
        if is_alnum(prev(b, start)) {
            return None;
        }
        plus = p == b'+';
        paren = p == b'(';
    } else if digits_rejects_prev(p) {
        return None;
    }
    // Phones after `+` have at least 8 digits; everything else here (SSNs, cards, other
    // phones) at least 9. Most digit runs in logs (dates, sizes, counts) have fewer.
    if !has_digits(b, s, if plus { 8 } else { 9 }) {
        return None;
    }
    // Groups of digits; the separator after group g is b[gend[g]..gstart[g + 1]].
    const MAX: usize = 24;
    let mut glen = [0u8; MAX];
    let mut gend = [0usize; MAX];
    let mut sep_flags = [0u8; MAX]; // 1 space, 2 dash, 4 dot, 8 paren
    let mut sep_byte = [0u8; MAX]; // the separator when it is a single byte, else 0
    let mut ng = 0usize;
    let mut total = 0usize;
    let mut i = s;
    loop {
        let gs = i;
        i = digit_run_end(b, i);
        total += i - gs;
        if total > 19 || ng >= MAX {
            if ng == 0 || i - gs > 19 {
                return None;
            }
            // Too long for any single number: only earlier groups can be one.
            total -= i - gs;
            break;
        }
        glen[ng] = (i - gs) as u8;
        gend[ng] = i;
        ng += 1;
        let Some((k, flags)) = joining_separator(b, i) else {
            break;
        };
        sep_flags[ng - 1] = flags;
        sep_byte[ng - 1] = if k - i == 1 { b[i] } else { 0 };
        i = k;
    }
    if total < 8 {
        return None;
    }
    // Try the longest run of groups first, then shorter prefixes that end at a space.
    for k in (1..=ng).rev() {
        let whole = k == ng && total_ok(b, gend[ng - 1]);
        if !whole && sep_flags[k - 1] & 1 == 0 {
            continue;
        }
        if let Some(end) = classify_digits(
            b,
            s,
            start,
            plus,
            paren,
            &glen[..k],
            gend[k - 1],
            &sep_flags[..k - 1],
            &sep_byte[..k - 1],
            whole,
            out,
        ) {
            return Some(end);
        }
    }
    None
}

/// Do the digit groups from `s`, joined the way [`digits`] joins them, hold at least
/// `min` digits?
fn has_digits(b: &[u8], s: usize, min: usize) -> bool {
    let mut total = 0;
    let mut i = s;
    loop {
        let gs = i;
        i = digit_run_end(b, i);
        total += i - gs;
        if total >= min {
            return true;
        }
        match joining_separator(b, i) {
            Some((next, _)) => i = next,
            None => return false,
        }
    }
}

/// The end of the ASCII digits from `i`.
#[inline]
fn digit_run_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// The separator at `i` after a digit group, when it joins another group: 1 to 3 of
/// `space - . ( )` (at most 2 spaces) followed by a digit. Returns where the next group
/// starts and the kinds of separator bytes seen (1 space, 2 dash, 4 dot, 8 paren).
#[inline]
fn joining_separator(b: &[u8], i: usize) -> Option<(usize, u8)> {
    let mut k = i;
    let mut spaces = 0;
    let mut flags = 0u8;
    while k < b.len() && k - i < 4 && matches!(b[k], b' ' | b'-' | b'.' | b'(' | b')') {
        flags |= match b[k] {
            b' ' => {
                spaces += 1;
                1
            }
            b'-' => 2,
            b'.' => 4,
            _ => 8,
        };
        k += 1;
    }
    (k > i && k - i <= 3 && spaces <= 2 && at(b, k).is_ascii_digit()).then_some((k, flags))
}

/// Whether the digit run ending at `end` really ends there (it is not followed by more
/// separator-joined digits that were cut off for being too long).
fn total_ok(b: &[u8], end: usize) -> bool {
    let mut k = end;
    while k < b.len() && k - end < 4 && matches!(b[k], b' ' | b'-' | b'.' | b'(' | b')') {
        k += 1;
    }
    !(k > end && at(b, k).is_ascii_digit())
}

#[allow(clippy::too_many_arguments)]
fn classify_digits(
    b: &[u8],
    s: usize,
    start: usize,
    plus: bool,
    paren: bool,
    groups: &[u8],
    end: usize,
    seps: &[u8],
    sep_bytes: &[u8],
    whole: bool,
    out: &mut Vec<Cand>,
) -> Option<usize> {
    let ng = groups.len();
    let seps_used = seps.iter().fold(0u8, |a, f| a | f);
    let uniform_sep = sep_bytes
        .first()
        .copied()
        .filter(|_| sep_bytes.iter().all(|&x| x != 0 && x == sep_bytes[0]));
    let sep_uniform = ng == 1 || uniform_sep.is_some();
    let q = at(b, end);
    // Extension: x123, ext. 12, extension 7
    let mut ext_end = None;
    {
        let mut k = end;
        while at(b, k) == b' ' && k - end < 2 {
            k += 1;
        }
        let rest = &b[k..b.len().min(k + 10)];
        let starts = |p: &[u8]| rest.len() >= p.len() && rest[..p.len()].eq_ignore_ascii_case(p);
        let skip = if starts(b"extension") {
            9
        } else if starts(b"ext.") {
            4
        } else if starts(b"ext") {
            3
        } else if starts(b"x") {
            1
        } else {
            0
        };
        if skip > 0 {
            let mut d = k + skip;
            while at(b, d) == b' ' && d - (k + skip) < 2 {
                d += 1;
            }
            let ds = d;
            while at(b, d).is_ascii_digit() && d - ds < 7 {
                d += 1;
            }
            let glued = matches!(at(b, d), b'@' | b'_' | b'-' | b'/' | b':')
                || (at(b, d) == b'.' && is_alnum(at(b, d + 1)));
            if d > ds && !is_alnum(at(b, d)) && !glued {
                ext_end = Some(d);
            }
        }
    }
    if ext_end.is_none() && whole {
        if is_alnum(q) || q == b'_' {
            return None;
        }
        if matches!(q, b'.' | b':' | b'-' | b'/' | b',') && at(b, end + 1).is_ascii_digit() {
            return None;
        }
    }
    let mut digit_buf = [0u8; 24];
    let mut d = 0;
    for &c in &b[s..end] {
        if c.is_ascii_digit() {
            digit_buf[d] = c;
            d += 1;
        }
    }
    let digit_bytes = &digit_buf[..d];

    // SSN: 3-2-4 with dashes.
    if !plus && !paren && groups == [3, 2, 4] && uniform_sep == Some(b'-') && ext_end.is_none() {
        let (area, group, serial) = (&digit_bytes[0..3], &digit_bytes[3..5], &digit_bytes[5..9]);
        if area != b"000"
            && area != b"666"
            && area[0] != b'9'
            && group != b"00"
            && serial != b"0000"
        {
            out.push(cand(s, end, Kind::Ssn, "ssn", PRIO_PII));
            return Some(end);
        }
    }
    // Payment cards: 12-19 digits, Luhn-valid, card-like grouping and prefix.
    if !plus
        && !paren
        && (12..=19).contains(&d)
        // Cards have no extensions: an `x1` after one is just the next word.
        && sep_uniform
        && matches!(uniform_sep, None | Some(b' ') | Some(b'-'))
    {
        let grouping_ok = ng == 1
            || (groups[..ng - 1].iter().all(|&g| g == 4) && groups[ng - 1] <= 4)
            || groups == [4, 6, 5]
            || groups == [4, 6, 4];
        let maestro = d == 12
            && (digit_bytes.starts_with(b"50")
                || (digit_bytes[0] == b'5' && (b'6'..=b'9').contains(&digit_bytes[1]))
                || digit_bytes[0] == b'6');
        let prefix_ok = maestro
            || (d >= 13
                && match digit_bytes[0] {
                    b'4' => true,
                    b'2' | b'3' | b'5' | b'6' => d >= 14,
                    b'1' => digit_bytes.starts_with(b"1800"),
                    _ => false,
                });
        if grouping_ok && prefix_ok && luhn(digit_bytes) {
            out.push(cand(s, end, Kind::CreditCard, "credit_card", PRIO_PII));
            return Some(end);
        }
    }
    // Phones.
    let is_phone = if plus {
        (8..=15).contains(&d) && (ng == 1 || groups[0] <= 7)
    } else {
        let trunk = digit_bytes[0] == b'0';
        let intl = digit_bytes.starts_with(b"00") || digit_bytes.starts_with(b"011");
        let max_d = if intl { 15 } else { 12 };
        let dotted = seps_used & 4 != 0;
        let dotted_ok = !dotted || (seps_used == 4 && groups == [3, 3, 4]);
        let year_like = groups[0] == 4
            && (digit_bytes.starts_with(b"19") || digit_bytes.starts_with(b"20"))
            && seps_used & 1 == 0;
        let contiguous = ng == 1
            && ((trunk && (10..=11).contains(&d) && digit_bytes[1] != b'0')
                || ((9..=15).contains(&d) && phone_context(b, start)));
        let grouped = (9..=max_d).contains(&d)
            && (ng >= 3 || (ng == 2 && (trunk || paren || seps_used & 8 != 0)))
            && groups.iter().all(|&g| g <= 4 || (trunk && g <= 8))
            && !year_like
            && dotted_ok;
        contiguous || grouped
    };
    if is_phone {
        let fin = ext_end.unwrap_or(end);
        out.push(cand(start, fin, Kind::Phone, "phone", PRIO_PII));
        return Some(fin);
    }
    None
}

/// Words before a bare digit run that say it is a phone number.
fn phone_context(b: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(40);
    let ctx = &b[from..start];
    const WORDS: &[&[u8]] = &[
        b"phone",
        b"tel",
        b"call",
        b"mobile",
        b"sms",
        b"send to",
        b"text ",
        b"whatsapp",
        b"fax",
        b"cell",
        b"dial",
        b"contact",
        b"twilio",
        b"number",
        b"mob",
        b"handy",
        b"telefon",
        b"numero",
        b"n\xc3\xbamero",
    ];
    WORDS
        .iter()
        .any(|w| ctx.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}
