//! The word scan: digit-shaped personal data and long credential-like tokens.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{at, cand, is_alnum, prev, ByteClasses, Cand, PRIO_GENERIC, PRIO_PII, PRIO_VENDOR};
use crate::kind::Kind;
use crate::validate::{iban_mod97, is_base64_of_text, luhn, shannon_entropy};

const F_DIGIT: u8 = 1;
const F_HEX: u8 = 2;
const F_UPPER: u8 = 4;

/// What a word's first byte can start: digits (numbers), hex letters (short hex groups of
/// MACs and IPv6 addresses), uppercase letters (IBANs).
static FIRST: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        if c.is_ascii_digit() {
            t[i] = F_DIGIT;
        } else {
            if c.is_ascii_hexdigit() {
                t[i] |= F_HEX;
            }
            if c.is_ascii_uppercase() {
                t[i] |= F_UPPER;
            }
        }
        i += 1;
    }
    t
};

thread_local! {
    /// The hot-run bitmap reused across calls on this thread (see `find`).
    static HOT: std::cell::Cell<Vec<u64>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The shortest token run that a long-token rule looks at.
const LONG_TOKEN: usize = 20;

/// The word starts of block `w` that the scan must visit: a superset of those where any of
/// its detectors can start (see `find`).
#[inline]
fn worth_visiting(classes: &ByteClasses<'_>, hot: &[u64], w: usize) -> u64 {
    let blk = classes.block(w);
    let nxt = classes.block(w + 1);
    let wide = |x: u64, y: u64| u128::from(x) | u128::from(y) << 64;
    let (digit, upper, trigger) = (
        wide(blk.digit, nxt.digit),
        wide(blk.upper, nxt.upper),
        wide(blk.trigger, nxt.trigger),
    );
    // IBANs: two uppercase letters, then two digits.
    let iban = upper & upper >> 1 & digit >> 2 & digit >> 3;
    // MAC and IPv6 groups that start with a hex letter: a word of at most 4 bytes followed
    // by `:` or `-` (here: a word start with any trigger byte 1 to 4 bytes after it).
    let short = trigger >> 1 | trigger >> 2 | trigger >> 3 | trigger >> 4;
    classes.word_starts(w) & (blk.digit | (iban | short) as u64 | hot[w])
}

/// Runs the word scan over `text` (`classes`: its byte classes), appending candidates to
/// `out`.
///
/// It visits only the word starts that [`worth_visiting`] selects: digits (numbers), short
/// words before a trigger byte (hex groups of MACs and IPv6 addresses), two uppercase
/// letters and two digits (IBANs), and every word of a run of token bytes of at least
/// [`LONG_TOKEN`] bytes that holds an uppercase letter (where the long-token rules can
/// fire). At any other word start no detector can begin, and its token run is too short
/// or lowercase, so skipping it changes nothing. After a finding or a claimed span, the
/// scan resumes exactly where it jumped to, mid-word included.
pub(crate) fn find(
    text: &str,
    classes: &ByteClasses<'_>,
    skip: &[(usize, usize)],
    out: &mut Vec<Cand>,
) {
    find_visiting::<false>(text, classes, skip, out);
}

/// [`find`], or with `EVERY_WORD` the plain reference it must agree with: every word start
/// visited, every token run checked.
fn find_visiting<const EVERY_WORD: bool>(
    text: &str,
    classes: &ByteClasses<'_>,
    skip: &[(usize, usize)],
    out: &mut Vec<Cand>,
) {
    let b = text.as_bytes();
    let mut hot = HOT.with(std::cell::Cell::take);
    classes.long_upper_token_runs::<LONG_TOKEN>(&mut hot);
    if EVERY_WORD {
        hot.fill(u64::MAX);
    }
    let visit = |w: usize| {
        if EVERY_WORD {
            classes.word_starts(w)
        } else {
            worth_visiting(classes, &hot, w)
        }
    };
    let mut i = 0;
    let mut tok_checked = 0;
    // Start of the next claimed span that may cover a word start (none: `usize::MAX`).
    let mut k = 0;
    let mut next_claim = skip.first().map_or(usize::MAX, |c| c.0);
    // Word starts of block `w` still to visit.
    let mut w = 0;
    let mut todo = visit(0);
    // Set after a jump: an alphanumeric byte right there is visited even mid-word.
    let mut jumped = false;
    'scan: loop {
        if jumped && classes.get(i) {
            jumped = false;
        } else {
            jumped = false;
            if i / 64 > w {
                w = i / 64;
                if w >= classes.len() {
                    break;
                }
                todo = visit(w);
            }
            todo &= u64::MAX << (i % 64);
            while todo == 0 {
                w += 1;
                if w >= classes.len() {
                    break 'scan;
                }
                todo = visit(w);
            }
            i = w * 64 + todo.trailing_zeros() as usize;
            todo &= todo - 1;
        }
        // Spans already claimed by an anchored detector (vendor tokens, JWTs, keys…).
        if next_claim <= i {
            while k < skip.len() && skip[k].1 <= i {
                k += 1;
            }
            next_claim = skip.get(k).map_or(usize::MAX, |c| c.0);
            if next_claim <= i {
                i = skip[k].1;
                jumped = true;
                continue;
            }
        }
        let s = i;
        // Outside hot runs no token run can reach a long-token rule (and `tok_checked` only
        // matters inside the hot run that sets it).
        let in_hot = (hot[s / 64] >> (s % 64)) & 1 != 0;
        let first = FIRST[b[s] as usize];
        let we = classes.next_clear(s + 1);
        if in_hot && s >= tok_checked {
            let (te, found) = token_run(b, classes, s, we, out);
            tok_checked = te;
            if let Some(end) = found {
                i = end;
                jumped = true;
                continue;
            }
        }
        if first != 0 {
            let found = if first == F_DIGIT {
                if plain_number(b, s, we) {
                    None
                } else {
                    numeric(text, s, we, out)
                }
            } else if first & F_HEX != 0 && we - s <= 4 && matches!(at(b, we), b':' | b'-') {
                numeric(text, s, we, out)
            } else if first & F_UPPER != 0 && we - s >= 4 {
                iban(b, s, out)
            } else {
                None
            };
            if let Some(end) = found {
                i = end;
                jumped = true;
                continue;
            }
        }
        i = we;
    }
    HOT.with(|c| c.set(hot));
}

/// The long-token rules on the token run that starts at word `s..we`: the run's end, and
/// where to resume when something was found.
#[inline(never)]
fn token_run(
    b: &[u8],
    classes: &ByteClasses<'_>,
    s: usize,
    we: usize,
    out: &mut Vec<Cand>,
) -> (usize, Option<usize>) {
    // The longer token run around the word: base64 characters, with `=` only as trailing
    // padding, never as `key=value`.
    let mut te = we;
    // `te` is always on a non-alphanumeric byte here.
    loop {
        match at(b, te) {
            b'_' | b'-' | b'+' | b'/' => te = classes.next_clear(te + 1),
            b'=' if !classes.get(te + 1) => te += 1,
            _ => break,
        }
    }
    // Every long-token rule needs an uppercase letter (Twilio `SK`, mixed-case AWS keys,
    // generic secrets), so lowercase runs (UUIDs, git SHAs, paths) stop here.
    if te - s < LONG_TOKEN || !classes.any_upper(s, te) {
        return (te, None);
    }
    match long_token(b, s, te) {
        LongToken::Secret(c) => {
            let end = c.end;
            out.push(c);
            (te, Some(end))
        }
        // A digest or public key as a whole: its `/` are base64, not a path.
        LongToken::Public => (te, None),
        LongToken::No if b[s..te].contains(&b'/') => {
            // A path: its segments are judged alone, as they would be if a neighbouring
            // segment had been redacted.
            let mut found = None;
            let mut seg = s;
            for k in s..=te {
                if k == te || b[k] == b'/' {
                    if k - seg >= LONG_TOKEN && !(seg == s && k == te) {
                        if let LongToken::Secret(c) = long_token(b, seg, k) {
                            found = Some(c.end);
                            out.push(c);
                        }
                    }
                    seg = k + 1;
                }
            }
            (te, found)
        }
        LongToken::No => (te, None),
    }
}

/// A word starting with a digit at `s` (alphanumerics up to `we`) where `numeric` finds
/// nothing, by the first checks of each detector there: no MAC (`xx:xx:` or `xx-xx-`, not
/// glued to a `:` or `-` before), no IPv6 (`::` before, or a `:` after and neither an
/// alphanumeric nor a `.` before), no IPv4 (at most 3 digits then a `.`, and no `.`
/// before), and no digit groups for `digits`: a byte before that it rejects outright, or a
/// first group of fewer than 8 digits followed by no `. - ( )` or space that could join
/// more groups.
#[inline]
fn plain_number(b: &[u8], s: usize, we: usize) -> bool {
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

/// Bytes before a digit run that rule out phones, cards and SSNs (see `digits`).
#[inline]
fn digits_rejects_prev(p: u8) -> bool {
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

/// What [`long_token`] makes of a run of token bytes.
enum LongToken {
    /// A secret.
    Secret(Cand),
    /// Public by design: a labelled digest, an integrity string, a publishable key. Its `/`
    /// bytes are base64, so its pieces are not judged as path segments either.
    Public,
    /// Not a secret as a whole.
    No,
}

fn long_token(b: &[u8], s: usize, te: usize) -> LongToken {
    // Trim separators that belong to the surroundings.
    let mut ts = s;
    let mut te = te;
    while te > ts && matches!(b[te - 1], b'-' | b'_' | b'/' | b'+') {
        te -= 1;
    }
    while ts < te && matches!(b[ts], b'-' | b'_' | b'/' | b'+' | b'=') {
        ts += 1;
    }
    let tok = &b[ts..te];
    let len = tok.len();
    if !(20..=4096).contains(&len) {
        return LongToken::No;
    }
    // Labelled digests (`SHA256:…` SSH fingerprints, `sha512:…`).
    let label_from = ts.saturating_sub(7);
    let label = &b[label_from..ts];
    if [&b"sha256:"[..], b"sha512:", b"sha384:", b"sha1:", b"md5:"]
        .iter()
        .any(|p| label.len() >= p.len() && label[label.len() - p.len()..].eq_ignore_ascii_case(p))
    {
        return LongToken::Public;
    }
    // Keys that are public by design: PostHog project keys, Stripe publishable keys.
    for p in [&b"phc_"[..], b"pk_live_", b"pk_test_"] {
        if tok.starts_with(p) {
            return LongToken::Public;
        }
    }
    // Package integrity strings (sha512-…) and hash-prefixed digests.
    for p in [
        &b"sha512-"[..],
        b"sha384-",
        b"sha256-",
        b"sha1-",
        b"md5-",
        b"sha512_",
        b"sha256_",
    ] {
        if tok.starts_with(p) {
            return LongToken::Public;
        }
    }
    // Twilio API key SID.
    if len == 34
        && tok.starts_with(b"SK")
        && tok[2..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
    {
        return LongToken::Secret(cand(ts, te, Kind::TwilioKey, "vendor_token", PRIO_VENDOR));
    }
    let (mut up, mut lo, mut dg, mut slash) = (0usize, 0usize, 0usize, 0usize);
    for &c in tok {
        if c.is_ascii_uppercase() {
            up += 1;
        } else if c.is_ascii_lowercase() {
            lo += 1;
        } else if c.is_ascii_digit() {
            dg += 1;
        } else if c == b'/' {
            slash += 1;
        }
    }
    // AWS secret access key: 40 base64 characters near an AWS or secret keyword.
    if len == 40
        && up > 0
        && lo > 0
        && tok
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'+'))
    {
        let from = ts.saturating_sub(80);
        let ctx = &b[from..ts];
        if ctx.windows(3).any(|w| w.eq_ignore_ascii_case(b"aws"))
            || ctx.windows(6).any(|w| w.eq_ignore_ascii_case(b"secret"))
        {
            return LongToken::Secret(cand(
                ts,
                te,
                Kind::AwsSecretKey,
                "aws_secret_key",
                PRIO_VENDOR,
            ));
        }
    }
    if len < 32 {
        return LongToken::No;
    }
    if up < 2 || lo < 2 || dg < 2 {
        return LongToken::No;
    }
    if slash > 0 {
        // Paths: several segments that are plain lowercase words.
        let wordy = tok
            .split(|&c| c == b'/')
            .filter(|seg| {
                seg.len() >= 3
                    && seg
                        .iter()
                        .all(|c| c.is_ascii_lowercase() || *c == b'-' || *c == b'_')
            })
            .count();
        if wordy >= 2 {
            return LongToken::No;
        }
    }
    // camelCase / snake_case identifiers: long runs of lowercase letters.
    let mut max_lower_run = 0;
    let mut run = 0;
    for &c in tok {
        if c.is_ascii_lowercase() {
            run += 1;
            max_lower_run = max_lower_run.max(run);
        } else {
            run = 0;
        }
    }
    if max_lower_run >= 9 {
        return LongToken::No;
    }
    if shannon_entropy(tok) < 4.2 {
        return LongToken::No;
    }
    if is_base64_of_text(tok) {
        return LongToken::No;
    }
    LongToken::Secret(cand(
        ts,
        te,
        Kind::HighEntropySecret,
        "high_entropy",
        PRIO_GENERIC,
    ))
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
fn numeric(text: &str, s: usize, we: usize, out: &mut Vec<Cand>) -> Option<usize> {
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

/// Phones, cards and SSNs: digit groups joined by short separators.
fn digits(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
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

#[inline(never)]
fn iban(b: &[u8], s: usize, out: &mut Vec<Cand>) -> Option<usize> {
    if !(b[s].is_ascii_uppercase()
        && at(b, s + 1).is_ascii_uppercase()
        && at(b, s + 2).is_ascii_digit()
        && at(b, s + 3).is_ascii_digit())
    {
        return None;
    }
    // Collect alphanumerics, allowing single spaces after groups of four.
    let mut compact: Vec<u8> = Vec::with_capacity(34);
    let mut ends: Vec<(usize, usize)> = Vec::new(); // (compact len, byte end) at group ends
    let mut i = s;
    let mut group = 0;
    while i < b.len() && compact.len() < 34 {
        let c = b[i];
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            compact.push(c);
            group += 1;
            i += 1;
        } else if c == b' '
            && group == 4
            && (at(b, i + 1).is_ascii_uppercase() || at(b, i + 1).is_ascii_digit())
        {
            ends.push((compact.len(), i));
            group = 0;
            i += 1;
        } else {
            break;
        }
    }
    if is_alnum(at(b, i)) {
        // Glued to more text: only the grouped prefixes can be an IBAN.
    } else {
        ends.push((compact.len(), i));
    }
    for &(len, end) in ends.iter().rev() {
        if (15..=34).contains(&len) && iban_mod97(&compact[..len]) {
            out.push(cand(s, end, Kind::Iban, "iban", PRIO_PII));
            return Some(end);
        }
    }
    None
}
