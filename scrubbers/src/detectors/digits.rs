//! Digit groups: phone numbers (international and national formats), Luhn-valid payment
//! cards and US SSNs. Never takes dates, sizes, counts, version or build numbers, or a
//! number that fails the checksum of what it looks like.

use super::{at, cand, is_alnum, prev, Cand, PRIO_PII};
use crate::kind::Kind;
use crate::validate::luhn;

/// Bytes before a digit run that rule out phones, cards and SSNs (see `digits`).
#[inline]
pub(crate) fn digits_rejects_prev(p: u8) -> bool {
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
pub(crate) fn digits(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
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
    // Card-shaped (groups of four, 13 digits or more): a card or a wrong card number or
    // test pattern, never a phone number in its first groups.
    let card_shaped = !plus
        && !paren
        && ng >= 3
        && glen[..2].iter().all(|&g| g == 4)
        && glen[2] == 4
        && total >= 13;
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
            !card_shaped,
            out,
        ) {
            return Some(end);
        }
    }
    card_shaped.then_some(gend[ng - 1])
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
    allow_phone: bool,
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

    // SSN: 3-2-4 with dashes, or nine digits (plain, spaced or dotted) after an SSN cue.
    // One that is not issued is no phone number either.
    let ssn_shaped = !plus
        && !paren
        && ext_end.is_none()
        && ((groups == [3, 2, 4] && uniform_sep == Some(b'-'))
            || ((groups == [9] || (groups == [3, 2, 4] && uniform_sep.is_some()))
                && ssn_context(b, start)));
    if ssn_shaped {
        let (area, group, serial) = (&digit_bytes[0..3], &digit_bytes[3..5], &digit_bytes[5..9]);
        if area != b"000"
            && area != b"666"
            && area[0] != b'9'
            && group != b"00"
            && serial != b"0000"
            // The wallet-card number printed in 1938 and used by thousands since.
            && digit_bytes != b"078051120"
        {
            out.push(cand(s, end, Kind::SSN, "ssn", PRIO_PII));
        }
        return Some(end);
    }
    // Payment cards: 12-19 digits, Luhn-valid, card-like grouping and prefix.
    if !plus
        && !paren
        && (12..=19).contains(&d)
        // Cards have no extensions: an `x1` after one is just the next word.
        && sep_uniform
        // Dots only in the printed 4-4-4-4 layout (`4401.6112.4024.3403`).
        && (matches!(uniform_sep, None | Some(b' ') | Some(b'-'))
            || (uniform_sep == Some(b'.') && groups == [4, 4, 4, 4]))
    {
        let grouping_ok = ng == 1
            || (groups[..ng - 1].iter().all(|&g| g == 4) && groups[ng - 1] <= 4)
            || groups == [4, 6, 5]
            || groups == [4, 6, 4]
            // 13-digit Visa: `4622 1586 64539`.
            || groups == [4, 4, 5];
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
            out.push(cand(s, end, Kind::CREDIT_CARD, "credit_card", PRIO_PII));
            return Some(end);
        }
    }
    // Phones.
    let is_phone = if !allow_phone {
        false
    } else if plus {
        (8..=15).contains(&d) && (ng == 1 || groups[0] <= 7)
    } else {
        let trunk = digit_bytes[0] == b'0';
        let intl = digit_bytes.starts_with(b"00") || digit_bytes.starts_with(b"011");
        let max_d = if intl { 15 } else { 12 };
        let dotted = seps_used & 4 != 0;
        let dotted_ok = !dotted
            || (seps_used == 4 && groups == [3, 3, 4])
            // French `04.91.55.27.63`.
            || (seps_used == 4 && trunk && ng == 5 && groups.iter().all(|&g| g == 2));
        let year_like = groups[0] == 4
            && (digit_bytes.starts_with(b"19") || digit_bytes.starts_with(b"20"))
            && seps_used & 1 == 0;
        let contiguous = ng == 1
            && ((trunk && (10..=11).contains(&d) && digit_bytes[1] != b'0')
                || ((9..=15).contains(&d) && phone_context(b, start)));
        // Thousands separators (`1 234 567 890`), port or id lists of equal groups of four
        // (`3000 3001 3002`), and a one-digit last group (ISBN-10 `0-306-40615-2`).
        let thousands = ng >= 3 && groups[0] <= 3 && groups[1..].iter().all(|&g| g == 3);
        let equal_fours = ng >= 3 && groups.iter().all(|&g| g == 4) && !trunk;
        let check_digit = ng >= 3 && groups[ng - 1] == 1;
        // Runs of small numbers (`1 2 3 4 5`, `10 20 30 40 50`), and part or order numbers
        // whose last group is short (`555-0199-01`, `RMA 7700-1234-55`).
        let small_numbers = ng >= 5 && !trunk && groups.iter().all(|&g| g <= 2);
        let part_number = ng >= 3 && groups[0] >= 3 && groups[ng - 1] <= 2;
        // (Looked at only where the groups would otherwise make a phone number.)
        let product = || !phone_context(b, start) && product_context(b, start);
        let grouped = (9..=max_d).contains(&d)
            && (ng >= 3 || (ng == 2 && (trunk || paren || seps_used & 8 != 0)))
            // Brazil's `(11) 98765-4321`: a five-digit group after an area code.
            && groups
                .iter()
                .all(|&g| g <= 4 || (trunk && g <= 8) || (paren && g == 5))
            && !year_like
            && !equal_fours
            && !check_digit
            && !small_numbers
            // Spanish `912 345 678` and Swiss `079 123 45 67` are shaped like thousands
            // and part numbers: a phone word before them decides.
            && (!(thousands || part_number) || phone_context(b, start))
            && !product()
            && dotted_ok;
        contiguous || grouped
    };
    if is_phone {
        let fin = ext_end.unwrap_or(end);
        out.push(cand(start, fin, Kind::PHONE, "phone", PRIO_PII));
        return Some(fin);
    }
    None
}

/// Words before nine digits that say they are a US social security number.
fn ssn_context(b: &[u8], start: usize) -> bool {
    let ctx = &b[start.saturating_sub(40)..start];
    [
        &b"ssn"[..],
        b"social security",
        b"ss#",
        b"ss no",
        b"sozialversicherung",
    ]
    .iter()
    .any(|w| ctx.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

/// Words before a digit run that say it is a part, order or ticket number.
fn product_context(b: &[u8], start: usize) -> bool {
    let ctx = &b[start.saturating_sub(16)..start];
    [
        &b"sku"[..],
        b"part",
        b"item",
        b"rma",
        b"order",
        b"invoice",
        b"serial",
        b"model",
        b"ticket",
        b"p/n",
    ]
    .iter()
    .any(|w| ctx.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

/// Words before a bare digit run that say it is a phone number.
fn phone_context(b: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(40);
    let ctx = &b[from..start];
    // Whole words only: `callback`, `telemetry`, `cancelled` and `dialog` are no cues.
    // The longer words may start a longer one (`phone_number`, `mobiles`).
    // One pass over the window's word starts, comparing only the words whose first byte
    // (any case) is there.
    // A placeholder (`[PHONE]`, `[HASH:phone:…]`) is no cue: the number it replaced is gone.
    (0..ctx.len()).any(|p| {
        let mut words = PHONE_FIRST[usize::from(ctx[p])];
        if words == 0 || (p > 0 && (ctx[p - 1].is_ascii_alphabetic() || ctx[p - 1] == b'[')) {
            return false;
        }
        while words != 0 {
            let w = PHONE_WORDS[words.trailing_zeros() as usize];
            words &= words - 1;
            let hit = ctx.len() - p >= w.len()
                && ctx[p..p + w.len()].eq_ignore_ascii_case(w)
                && (w.len() >= 5
                    || !ctx
                        .get(p + w.len())
                        .copied()
                        .unwrap_or(b' ')
                        .is_ascii_alphabetic());
            if hit {
                return !ctx[..p].ends_with(b"[HASH:");
            }
        }
        false
    })
}

/// Words that make a bare digit run a phone number (see [`phone_context`]).
const PHONE_WORDS: &[&[u8]] = &[
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
    b"natel",
    b"durchwahl",
    b"telefon",
    b"numero",
    b"n\xc3\xbamero",
    b"mobil",
    b"celular",
    b"cellulare",
    b"telefone",
    b"t\xc3\xa9l\xc3\xa9phone",
    b"tel\xc3\xa9fono",
    b"r\xc3\xbcckruf",
    b"wa.me/",
    "电话".as_bytes(),
    "電話".as_bytes(),
    "联系".as_bytes(),
    "телефон".as_bytes(),
    "номер".as_bytes(),
    "नंबर".as_bytes(),
    "फ़ोन".as_bytes(),
];

/// For each byte, the [`PHONE_WORDS`] whose first byte it is (ASCII case folded), as bits.
static PHONE_FIRST: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut c = 0;
    while c < 256 {
        let mut k = 0;
        while k < PHONE_WORDS.len() {
            if PHONE_WORDS[k][0] | 0x20 == (c as u8) | 0x20 {
                t[c] |= 1 << k;
            }
            k += 1;
        }
        c += 1;
    }
    t
};
