//! The word scan: digit-shaped personal data and long credential-like tokens, visited only
//! at the word starts where one of them can begin.

use super::digits::{digits, digits_rejects_prev};
use super::long_token::token_run;
use super::{at, cand, is_alnum, prev, ByteClasses, Cand, PRIO_PII};
use super::{iban, ip, mac};
use crate::kind::Kind;

const F_DIGIT: u8 = 1;
const F_HEX: u8 = 2;
const F_LETTER: u8 = 4;

/// What a word's first byte can start: digits (numbers), hex letters (short hex groups of
/// MACs and IPv6 addresses), letters (IBANs, in either case).
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
            if c.is_ascii_alphabetic() {
                t[i] |= F_LETTER;
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
pub(crate) const LONG_TOKEN: usize = 20;

/// The word starts of block `w` that the scan must visit: a superset of those where any of
/// its detectors can start (see `find`).
#[inline]
fn worth_visiting(classes: &ByteClasses<'_>, hot: &[u64], w: usize) -> u64 {
    let blk = classes.block(w);
    let nxt = classes.block(w + 1);
    let wide = |x: u64, y: u64| u128::from(x) | u128::from(y) << 64;
    let (digit, letter, trigger) = (
        wide(blk.digit, nxt.digit),
        wide(blk.alnum & !blk.digit, nxt.alnum & !nxt.digit),
        wide(blk.trigger, nxt.trigger),
    );
    // IBANs: two letters, then two digits.
    let iban = letter & letter >> 1 & digit >> 2 & digit >> 3;
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
            } else {
                // A short hex word before `:`, `-` or `.` may start a MAC or IPv6 address;
                // a word of letters and digits, an IBAN (`DE89-3704-…` is both shapes).
                let mut found = None;
                let hex_group = first & F_HEX != 0
                    && we - s <= 4
                    && (matches!(at(b, we), b':' | b'-')
                        // Cisco's `b827.eb4f.2c11`: four hex digits on both sides of a dot.
                        || (we - s == 4
                            && at(b, we) == b'.'
                            && (we + 1..we + 5).all(|k| at(b, k).is_ascii_hexdigit())));
                if hex_group {
                    found = numeric(text, s, we, out);
                }
                if found.is_none() && first & F_LETTER != 0 && we - s >= 4 {
                    found = iban::iban(b, s, out);
                }
                found
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

/// Digit- and hex-shaped detectors starting at word `s..we`. Returns where to resume when
/// something was found.
#[inline(never)]
fn numeric(text: &str, s: usize, we: usize, out: &mut Vec<Cand>) -> Option<usize> {
    let b = text.as_bytes();
    let p = prev(b, s);
    if matches!(at(b, s + 2), b':' | b'-') {
        if let Some(end) = mac::mac(b, s) {
            out.push(cand(s, end, Kind::MAC_ADDRESS, "mac_address", PRIO_PII));
            return Some(end);
        }
    }
    if at(b, s + 4) == b'.' {
        if let Some(end) = mac::dotted_mac(b, s) {
            out.push(cand(s, end, Kind::MAC_ADDRESS, "mac_address", PRIO_PII));
            return Some(end);
        }
    }
    if at(b, we) == b':' || p == b':' {
        if let Some((st, end)) = ip::ipv6(text, s) {
            out.push(cand(st, end, Kind::IPV6, "ipv6", PRIO_PII));
            return Some(end);
        }
    }
    if !b[s].is_ascii_digit() {
        return None;
    }
    if p != b'.' {
        if let Some((end, addr)) = ip::ipv4(b, s) {
            if addr.is_loopback()
                || addr.is_unspecified()
                || addr.is_broadcast()
                || ip::identifies_no_one(b, end, addr)
                || ip::version_context(b, s, end, addr)
            {
                return Some(end);
            }
            out.push(cand(s, end, Kind::IPV4, "ipv4", PRIO_PII));
            return Some(end);
        }
    }
    digits(b, s, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detectors::anchors as anchored;

    type Found = Vec<(usize, usize, &'static str, Option<String>)>;

    /// The word scan's findings on `text`, visiting only the word starts worth it and
    /// visiting every one, after the anchored pass's claims as in `Scrubber::find`.
    fn both_ways(text: &str) -> (Found, Found) {
        let classes = ByteClasses::new(text.as_bytes());
        let mut anchored_cands = Vec::new();
        anchored::find(text, &classes, &mut anchored_cands);
        let mut claimed: Vec<(usize, usize)> =
            anchored_cands.iter().map(|c| (c.start, c.end)).collect();
        claimed.sort_unstable();
        let run = |every: bool| {
            let mut out = Vec::new();
            if every {
                find_visiting::<true>(text, &classes, &claimed, &mut out);
            } else {
                find_visiting::<false>(text, &classes, &claimed, &mut out);
            }
            out.iter()
                .map(|c| {
                    (
                        c.start,
                        c.end,
                        c.rule,
                        c.kind.as_ref().map(|k| k.name().to_owned()),
                    )
                })
                .collect::<Found>()
        };
        (run(false), run(true))
    }

    #[test]
    fn skipping_word_starts_changes_no_finding() {
        let mut texts: Vec<String> = Vec::new();
        for data in [
            include_str!("../../benches/data/clean_logs.txt"),
            include_str!("../../benches/data/pii_dense.txt"),
        ] {
            texts.push(data.to_owned());
            texts.extend(data.lines().map(str::to_owned));
        }
        // Random strings of the pieces the detectors care about: digit groups, hex, short
        // words before separators, uppercase-and-digit runs, long mixed-case tokens,
        // paths, claims from the anchored pass (keys, vendor tokens, e-mails).
        let atoms: &[&str] = &[
            "0",
            "1",
            "42",
            "2026",
            "555",
            "4111",
            "0044",
            "a",
            "b",
            "f",
            "fe80",
            "ab",
            "Z",
            "DE",
            "GB82",
            "X9",
            "q",
            "xyz",
            ":",
            "::",
            "-",
            ".",
            " ",
            "  ",
            "(",
            ")",
            "+",
            "/",
            "_",
            "=",
            "==",
            "@",
            ",",
            "#",
            "\n",
            "é",
            "x12",
            "ext ",
            "version ",
            "phone ",
            "tel:",
            "SK",
            "sha256:",
            "sha512-",
            "AKIA",
            "aws ",
            "secret ",
            "token=",
            "password: ",
            "Bearer ",
            "ghp_",
            "sk-",
            "eyJ",
            "jane@ex.com",
            "https://u:p@h/",
            "/home/",
            "[IP]",
            "Qw7bE5Zt",
            "k9Vd3Jx+Lr2Hm8Nc4Ps6",
            "AbCdEfGhIjKlMnOpQrStUvWx",
            "0123456789abcdef",
            "00:1A:2B:3C:4D:5E",
            "192.168.1.20",
            "10T11",
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "+44 20 7946 0958",
            "4111 1111 1111 1111",
            "078-05-1120",
            "fe80::1ff:fe23:4567:890a",
        ];
        let mut next = crate::detectors::test_rng(0x1234_5678_9ABC_DEF1u64);
        for _ in 0..60_000 {
            let mut t = String::new();
            for _ in 0..1 + next(40) {
                t.push_str(atoms[next(atoms.len())]);
            }
            texts.push(t);
        }
        // Token-shaped runs (base64, paths, padding) between words: where the long-token
        // rules fire, and where their runs start at letters no other detector visits.
        let token_bytes = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=";
        let glue: &[&str] = &[" ", " x ", "=", ": ", "/", "\n", "\"", " SK", " aws "];
        for _ in 0..20_000 {
            let mut t = String::new();
            for _ in 0..1 + next(4) {
                t.push_str(glue[next(glue.len())]);
                let lower_only = next(3) == 0;
                for _ in 0..next(90) {
                    let mut c = token_bytes[next(token_bytes.len())];
                    if lower_only {
                        c = c.to_ascii_lowercase();
                    }
                    t.push(char::from(c));
                }
            }
            texts.push(t);
        }
        for t in &texts {
            let (fast, every) = both_ways(t);
            assert_eq!(fast, every, "{t:?}");
        }
    }
}
