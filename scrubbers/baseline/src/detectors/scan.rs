//! The word scan: digit-shaped personal data and long credential-like tokens.
//!
//! The scan and what it visits are here; the detectors are in the submodules:
//! `long_token` (AWS secret keys, Twilio keys, generic high-entropy secrets), `numeric`
//! (MACs, IPs and the start of digit runs), `digits` (phones, cards, SSNs) and `iban`.

mod digits;
mod iban;
mod long_token;
mod numeric;

use self::iban::iban;
use self::long_token::token_run;
use self::numeric::{numeric, plain_number};
use super::{at, ByteClasses, Cand};

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
